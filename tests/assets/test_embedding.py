"""What downloads carry: the asset's current details (and the usage rights on record, which outrank them) written
into JPEG, PNG, WebP and TIFF files as XMP, IPTC-IIM and EXIF, read back by exiftool; pixels never change."""
import io
from datetime import date

import pytest
from PIL import Image

from assets.models import Asset
from assets.services.containers import Blocks, write_blocks
from assets.services.editing import edit_metadata
from assets.services.embedding import EmbeddedFields, embed, fields_for
from core.audit import Actor
from governance.services.rights import set_rights
from support import exiftool

pytestmark = pytest.mark.django_db

DETAILS = {"title": "Harbour at dawn", "caption": "Cranes unloading a ship, Hamburg", "alt_text": "Two cranes",
           "keywords": ["harbour", "Zürich café"], "creator": "Ana Lima", "credit": "Ana Lima / Lumen",
           "copyright": "© 2024 Ana Lima"}


def encoded(fmt, **options):
    image = Image.linear_gradient("L").resize((97, 61)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def frames(data):
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGBA").tobytes()


FIELDS = EmbeddedFields(title="Harbour at dawn", caption="Cranes unloading a ship, Hamburg", alt_text="Two cranes",
                        keywords=("harbour", "Zürich café"), creator="Ana Lima", credit="Ana Lima / Lumen",
                        copyright="© 2024 Ana Lima", usage_terms="Royalty-free; channels: web",
                        web_statement="https://example.com/licence", marked=True)
XMP = {"XMP-dc:Title": "Harbour at dawn", "XMP-dc:Description": "Cranes unloading a ship, Hamburg",
       "XMP-dc:Creator": ["Ana Lima"], "XMP-dc:Rights": "© 2024 Ana Lima", "XMP-photoshop:Credit": "Ana Lima / Lumen",
       "XMP-xmpRights:UsageTerms": "Royalty-free; channels: web", "XMP-dc:Subject": ["harbour", "Zürich café"],
       "XMP-xmpRights:WebStatement": "https://example.com/licence", "XMP-iptcCore:AltTextAccessibility": "Two cranes"}
EXIF = {"IFD0:ImageDescription": "Cranes unloading a ship, Hamburg", "IFD0:Artist": "Ana Lima",
        "IFD0:Copyright": "© 2024 Ana Lima"}
IPTC = {"IPTC:ObjectName": "Harbour at dawn", "IPTC:Caption-Abstract": "Cranes unloading a ship, Hamburg",
        "IPTC:By-line": "Ana Lima", "IPTC:Credit": "Ana Lima / Lumen", "IPTC:CopyrightNotice": "© 2024 Ana Lima",
        "IPTC:Keywords": ["harbour", "Zürich café"]}


@pytest.mark.parametrize("fmt, options, iptc", [
    ("JPEG", {"quality": 80}, True),
    ("PNG", {}, False),
    ("WEBP", {"quality": 70}, False),
    ("WEBP", {"lossless": True}, False),
    ("TIFF", {"compression": "tiff_lzw"}, True),
], ids=["jpeg", "png", "webp-lossy", "webp-lossless", "tiff"])
def test_exiftool_reads_every_field_from_each_format(fmt, options, iptc):
    data = encoded(fmt, **options)
    copy = embed(data, FIELDS)
    read = exiftool(copy)
    assert "ExifTool:Warning" not in read, read.get("ExifTool:Warning")
    expected = {**XMP, **EXIF, **(IPTC if iptc else {})}
    assert {key: read.get(key) for key in expected} == expected
    assert frames(copy) == frames(data) if fmt != "JPEG" else Image.open(io.BytesIO(copy)).size == (97, 61)


def test_what_the_file_said_is_replaced_and_the_rest_kept(samples):
    """A camera JPEG with EXIF, IPTC and XMP: our fields replace theirs, camera facts and other tags stay."""
    data = (samples / "jpg" / "Canon_40D.jpg").read_bytes()
    before = exiftool(data)
    copy = embed(data, FIELDS)
    after = exiftool(copy)
    assert {key: after.get(key) for key in {**XMP, **EXIF, **IPTC}} == {**XMP, **EXIF, **IPTC}
    for kept in ("IFD0:Model", "ExifIFD:ExposureTime", "ExifIFD:DateTimeOriginal", "IFD1:ThumbnailLength"):
        assert after.get(kept) == before.get(kept), kept
    again = embed(copy, FIELDS)
    assert again.count(b"http://ns.adobe.com/xap/1.0/\x00") == 1 and again.count(b"Photoshop 3.0\x00") == 1
    assert {key: exiftool(again).get(key) for key in IPTC} == IPTC, "writing again: the same, once"


def test_cleared_fields_leave_no_stale_text(samples):
    data = embed(encoded("JPEG"), FIELDS)
    cleared = embed(data, EmbeddedFields(title="Only a title"))
    read = exiftool(cleared)
    assert read["XMP-dc:Title"] == "Only a title" and read["IPTC:ObjectName"] == "Only a title"
    assert not {"IFD0:Copyright", "IPTC:CopyrightNotice", "XMP-dc:Rights", "XMP-photoshop:Credit"} & set(read)
    assert b"Ana Lima" not in cleared


def test_iptc_of_another_character_set_is_kept_readable():
    """A Latin-1 IPTC city (no 1:90) beside our UTF-8 fields: re-encoded, so both read right."""

    latin1_city = b"\x1c\x02\x5a\x00\x06" + "Zürich".encode("latin-1")
    photoshop = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00" + len(latin1_city).to_bytes(4, "big") + latin1_city
    data = encoded("JPEG")
    data = data[:2] + b"\xff\xed" + (len(photoshop) + 2).to_bytes(2, "big") + photoshop + data[2:]
    copy = write_blocks(data, Blocks(xmp=lambda existing: b"<x/>", iptc={(2, 80): ["Åsa"]}))
    read = exiftool(copy)
    assert read["IPTC:City"] == "Zürich" and read["IPTC:By-line"] == "Åsa"


def test_fields_are_the_assets_outranked_by_the_rights_on_record(make_user, make_asset):
    owner = make_user("owner")
    asset = make_asset(owner, fmt="JPEG")
    edit_metadata(asset, actor=Actor(owner), **DETAILS)
    asset = Asset.objects.get(pk=asset.pk)
    fields = fields_for(asset, asset.current_version)
    assert (fields.title, fields.copyright, fields.credit, fields.keywords) == (
        "Harbour at dawn", "© 2024 Ana Lima", "Ana Lima / Lumen", ("harbour", "Zürich café"))
    assert not fields.marked and not fields.usage_terms
    set_rights(asset, actor=Actor(owner), licence_type="royalty_free", holder="Agence X", channels=["web"],
               expires_on=date(2030, 1, 31), licence_url="https://example.com/licence")
    fields = fields_for(Asset.objects.get(pk=asset.pk), asset.current_version)
    assert fields.copyright == "© Agence X" and fields.credit == "Ana Lima / Lumen", "no credit line: the asset's"
    assert fields.usage_terms == "Royalty-free; channels: web; until 2030-01-31" and fields.marked
    assert fields.web_statement == "https://example.com/licence" and fields.title == "Harbour at dawn"


def test_formats_that_carry_nothing_come_back_unchanged():
    gif = encoded("GIF")
    assert embed(gif, FIELDS) == gif
