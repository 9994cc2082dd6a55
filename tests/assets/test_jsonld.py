"""Schema.org ImageObject built from real ingested samples: right keys, nothing empty, plain JSON."""
import json
from datetime import datetime

import pytest
from django.urls import reverse

from assets.jsonld import camera_name, image_object, rights_properties
from assets.models import AssetVersion
from assets.renditions import ensure_default_renditions
from assets.services.ingest import ingest_file
from governance.services.rights import set_rights

pytestmark = pytest.mark.django_db


@pytest.fixture
def ingest(samples, actor):
    def ingest_sample(relative):
        with open(samples / relative, "rb") as handle:
            return ingest_file(handle, filename=relative.rsplit("/", 1)[-1], actor=actor).asset

    return ingest_sample


def empty_values(node):
    """Every None/""/[]/{} anywhere in the document (there should be none)."""
    if isinstance(node, dict):
        return [v for v in node.values() if v in (None, "", [], {})] + [e for v in node.values() for e in empty_values(v)]
    if isinstance(node, list):
        return [e for v in node for e in empty_values(v)]
    return []


def test_camera_file_with_gps(ingest, rf):
    asset = ingest("jpg/gps/DSCN0010.jpg")
    version = asset.current_version
    assert "thumbnailUrl" not in image_object(asset)  # not made yet: no link to a 404
    ensure_default_renditions(version)
    data = json.loads(json.dumps(image_object(asset, rf.get("/"))))
    assert (data["@context"], data["@type"], data["identifier"], data["name"]) == (
        "https://schema.org", "ImageObject", str(asset.uid), "DSCN0010",
    )
    assert data["url"] == "http://testserver" + reverse("assets:detail", kwargs={"uid": asset.uid})
    assert data["contentUrl"] == "http://testserver" + reverse("assets:original", kwargs={"uid": asset.uid, "number": 1})
    thumbnail = reverse("assets:rendition", kwargs={"uid": asset.uid, "number": 1, "spec": "width-320|format-jpeg"})
    assert data["thumbnailUrl"] == "http://testserver" + thumbnail
    assert data["encodingFormat"] == "image/jpeg"
    assert data["width"] == {"@type": "QuantitativeValue", "value": 640, "unitCode": "E37"}
    assert data["height"]["value"] == 480
    assert data["contentSize"] == f"{version.bytes} B"
    assert data["dateCreated"] == "2008-10-22T16:28:39"
    assert datetime.fromisoformat(data["uploadDate"]) == version.created_at
    assert data["contentLocation"] == {
        "@type": "Place", "geo": {"@type": "GeoCoordinates", "latitude": 43.4674483, "longitude": 11.8851267},
    }
    assert {p["name"]: p["value"] for p in data["exifData"]} == {
        "Camera": "NIKON COOLPIX P6000", "Exposure time": "1/75 s", "Aperture": "f/5.9", "ISO": 64, "Focal length": "24 mm",
    }
    assert empty_values(data) == []


def test_people_credit_and_place_name(ingest):
    data = image_object(ingest("jpg/long_description.jpg"))
    assert data["creator"] == {"@type": "Person", "name": "SSG KYLE DAVIS"}
    assert data["creditText"] == "HHC 1ST BCT, 10TH MOUNTAIN"
    assert data["caption"].startswith("Operation Mountain Viper") and data["description"] == data["caption"]
    assert data["contentLocation"] == {
        "@type": "Place",
        "address": {"@type": "PostalAddress", "addressLocality": "KANDAHAR ARMY AIRFIELD", "addressCountry": "Afghanistan"},
    }
    assert "copyrightNotice" not in data and "keywords" not in data


def test_without_a_request_urls_use_site_url(ingest, settings):
    settings.SITE_URL = "https://dam.example.org/"
    data = image_object(ingest("jpg/Canon_40D.jpg"))
    assert data["url"].startswith("https://dam.example.org/assets/")
    assert data["contentUrl"].startswith("https://dam.example.org/files/")


def test_copyright_holder_only_when_the_notice_names_the_creator(ingest):
    own = image_object(ingest("jpg/tests/32-lens_data.jpeg"))
    assert own["copyrightNotice"] == "Ilya Kurikhin"
    assert own["copyrightHolder"] == own["creator"] == {"@type": "Person", "name": "Ilya Kurikhin"}
    bare = image_object(ingest("jpg/Samsung_Digimax_i50_MP3.jpg"))
    assert bare["copyrightNotice"] == "COPYRIGHT, 2005" and "copyrightHolder" not in bare


def test_keywords_and_usage_terms(ingest):
    asset = ingest("jpg/xmp/BlueSquare.jpg")
    assert image_object(asset)["keywords"] == ["XMP", "Blue Square", "test file", "Photoshop", ".jpg"]
    metadata = {**asset.current_version.metadata, "rights_usage_terms": "https://creativecommons.org/licenses/by/4.0/"}
    AssetVersion.objects.filter(pk=asset.current_version_id).update(metadata=metadata)
    asset.refresh_from_db()
    assert image_object(asset)["license"] == "https://creativecommons.org/licenses/by/4.0/"


def test_recorded_usage_rights_outrank_the_file(ingest, actor):
    asset = ingest("jpg/long_description.jpg")
    set_rights(asset, actor=actor, licence_type="cc_by", holder="US Army",
               licence_url="https://creativecommons.org/licenses/by/4.0/",
               acquire_licence_url="https://example.org/licensing", credit_line="US Army / K. Davis")
    data = image_object(asset)
    assert (data["license"], data["acquireLicensePage"]) == (
        "https://creativecommons.org/licenses/by/4.0/", "https://example.org/licensing",
    )
    assert (data["copyrightNotice"], data["creditText"]) == ("© US Army", "US Army / K. Davis")


@pytest.mark.parametrize("terms, expected", [
    ("https://example.org/licence", {"license": "https://example.org/licence"}),
    ("Editorial use only.", {"usageInfo": {"@type": "CreativeWork", "text": "Editorial use only."}}),
    ("See https://example.org", {"usageInfo": {"@type": "CreativeWork", "text": "See https://example.org"}}),
    ("  ", {}),
    (None, {}),
])
def test_rights_mapping(terms, expected):
    assert rights_properties(terms) == expected


@pytest.mark.parametrize("make, model, expected", [
    ("Canon", "Canon EOS 40D", "Canon EOS 40D"),
    ("NIKON CORPORATION", "NIKON D70", "NIKON D70"),
    ("NIKON", "COOLPIX P6000", "NIKON COOLPIX P6000"),
    ("Apple", "", "Apple"),
    ("", "iPhone 11 Pro Max", "iPhone 11 Pro Max"),
    (None, None, ""),
])
def test_camera_name(make, model, expected):
    assert camera_name(make, model) == expected
