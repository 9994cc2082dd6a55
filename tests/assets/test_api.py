"""The REST API end to end: real uploads of the shared samples into real Postgres, JSON errors everywhere."""
import hashlib
import io
import json
import zlib

import orjson
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from assets import pagination
from assets.api.serializers import AssetSerializer, RenditionSerializer
from assets.api.views import AssetViewSet
from assets.models import Asset
from assets.renditions import default_specs, ensure_default_renditions
from assets.services.collections import create_collection
from assets.services.facts import human_size
from assets.services.ingest import ingest_file
from assets.services.inspect import inspect_image
from core.audit import Actor
from core.models import AuditEntry
from core.refusals import Refused
from core.renderers import JSONRenderer
from governance.services.roles import grant_role
from mutations import assert_readable, mutated_uploads

pytestmark = pytest.mark.django_db

ASSETS = reverse("api:asset-list")


def signed_in(user):
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def api(user):
    return signed_in(user)


@pytest.fixture
def admin_api(admin_user):
    """Site admins may file uploads into any collection (others need a contributor role on it)."""
    return signed_in(admin_user)


def upload(api, path, url=ASSETS, **fields):
    with open(path, "rb") as handle:
        return api.post(url, {"file": handle, **fields}, format="multipart")


def upload_bytes(api, name, data, url=ASSETS):
    return api.post(url, {"file": SimpleUploadedFile(name, data)}, format="multipart")


def detail_url(uid, action=None):
    return reverse(f"api:asset-{action or 'detail'}", kwargs={"uid": uid})


def png_claiming(width, height):
    """A tiny valid PNG whose header claims ``width``×``height`` pixels (CRC fixed so it parses)."""
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    data[16:24] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    return bytes(data)


def assert_error(response, status, code, text):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"] == code
    assert text in body["message"]


# Uploads ---------------------------------------------------------------------------------------------


def test_upload_jpeg_creates_an_asset(api, user, samples):
    response = upload(api, samples / "jpg" / "Canon_40D.jpg")
    assert response.status_code == 201
    body = response.json()
    asset = Asset.objects.get(uid=body["uid"])
    assert body["duplicate"] is False
    assert body["title"] == "Canon 40D"
    assert body["status"] == "processing"
    assert body["current_version"] | {"created_at": None} == {
        "number": 1, "format": "jpeg", "mime_type": "image/jpeg", "width": 100, "height": 68, "bytes": 7958,
        "sha256": asset.current_version.sha256, "created_at": None,
    }
    assert set(body["urls"]) == {"self", "page", "jsonld", "metadata", "versions", "download"}
    assert response["Location"] == body["urls"]["self"] == f"http://testserver{detail_url(asset.uid)}"
    entry = AuditEntry.objects.get(action="asset.upload", asset=asset)
    assert (entry.actor, entry.ip_address) == (user, "127.0.0.1")


def test_same_bytes_again_return_the_existing_asset(api, samples):
    first = upload(api, samples / "jpg" / "Nikon_D70.jpg").json()
    again = upload(api, samples / "jpg" / "Nikon_D70.jpg")
    assert again.status_code == 200
    assert again.json()["duplicate"] is True and again.json()["uid"] == first["uid"]
    assert Asset.objects.count() == 1


def test_same_bytes_uploaded_into_a_collection_add_the_existing_asset_to_it(api, user, make_collection, samples):
    make_collection("Cameras", **{user.username: "contributor"})
    first = upload(api, samples / "jpg" / "Nikon_D70.jpg").json()
    assert (first["duplicate_of"], first["added_to_collections"], first["message"]) == (None, [], "")

    again = upload(api, samples / "jpg" / "Nikon_D70.jpg", collections=["cameras"])
    assert again.status_code == 200
    body = again.json()
    assert (body["duplicate"], body["duplicate_of"], body["uid"]) == (True, first["uid"], first["uid"])
    assert (body["added_to_collections"], body["not_added_to_collections"]) == (["cameras"], [])
    assert body["collections"] == ["cameras"]
    assert body["message"] == f"This file was already in the library as “{first['title']}”; added it to “Cameras”."
    entry = AuditEntry.objects.get(action="asset.add_to_collection")
    assert (str(entry.asset.uid), entry.actor) == (first["uid"], user)


def test_same_bytes_into_a_collection_leave_an_asset_the_uploader_may_not_change_where_it_is(
        admin_api, admin_user, api, user, make_collection, samples):
    make_collection("News", **{user.username: "viewer"})
    make_collection("Mine", **{user.username: "contributor"})
    first = upload(admin_api, samples / "jpg" / "Nikon_D70.jpg", collections=["news"]).json()

    body = upload(api, samples / "jpg" / "Nikon_D70.jpg", collections=["mine"]).json()
    assert (body["duplicate_of"], body["added_to_collections"], body["not_added_to_collections"]) == (
        first["uid"], [], ["mine"])
    assert "not added to “Mine”" in body["message"] and body["collections"] == ["news"]
    assert not AuditEntry.objects.filter(action="asset.add_to_collection").exists()


def test_heic_upload(api, samples):
    response = upload(api, samples / "heic" / "IMG_5195.HEIC")
    assert response.status_code == 201
    version = response.json()["current_version"]
    assert (version["format"], version["mime_type"], version["width"], version["height"]) == (
        "heif", "image/heif", 2566, 3313,
    )


def test_upload_with_title_and_collections(admin_api, actor, samples):
    create_collection("Cameras", actor=actor)
    create_collection("Test files", actor=actor)
    response = upload(admin_api, samples / "jpg" / "Pentax_K10D.jpg", title="K10D", collections=["cameras", "test-files"],
                      anonymise_faces="true")
    assert response.status_code == 201
    body = response.json()
    assert (body["title"], body["collections"], body["anonymise_faces"]) == ("K10D", ["cameras", "test-files"], True)


def test_unknown_collection_is_a_clear_400(api, samples):
    response = upload(api, samples / "jpg" / "Pentax_K10D.jpg", collections=["nowhere"])
    assert_error(response, 400, "does_not_exist", "collections:")
    assert "nowhere" in response.json()["message"]
    assert not Asset.objects.exists()


def test_missing_file_field(api):
    assert_error(api.post(ASSETS, {"title": "no file"}, format="multipart"), 400, "required", "named “file”")
    assert_error(api.post(ASSETS, {"title": "json"}, format="json"), 400, "required", "named “file”")


@pytest.mark.parametrize("name, data, status, code, text", [
    ("notes.jpg", b"just some text, not an image\n" * 20, 415, "unsupported_type", "not an image type we accept"),
    ("cut.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, 400, "corrupt", "This JPEG file cannot be read"),
    ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', 415,
     "unsupported_type", "SVG"),
    ("bomb.png", png_claiming(100_000, 100_000), 413, "too_many_pixels", "decompression bomb"),
], ids=["text-named-jpg", "truncated-jpeg", "svg-with-script", "decompression-bomb"])
def test_refused_files_get_ingests_message(api, name, data, status, code, text):
    assert_error(upload_bytes(api, name, data), status, code, text)
    assert not Asset.objects.exists()


def test_oversized_upload_is_413_with_its_real_size(api, samples, settings):
    settings.LUMEN_MAX_UPLOAD_BYTES = 4096
    size = human_size((samples / "jpg" / "Canon_40D.jpg").stat().st_size)
    assert_error(upload(api, samples / "jpg" / "Canon_40D.jpg"), 413, "too_large",
                 f"The file is {size}; the limit is 4 KB.")


def test_damaged_uploads_get_the_words_ingest_refuses_them_with(api):
    """The API answers the same sentence inspection refuses with, and keeps the decoder's words apart."""
    refused = []
    for name, data in mutated_uploads(count=40, seed=7):
        try:
            inspect_image(data)
        except Refused as refusal:
            refused.append((name, data, refusal))
    assert len(refused) >= 10
    for name, data, refusal in refused[:10]:
        response = upload_bytes(api, name, data)
        assert response.status_code == refusal.status, name
        body = response.json()
        assert (body["error"], body["message"]) == (refusal.code, refusal.message)
        assert body.get("expert_details", "") == refusal.expert_details
        assert_readable(refusal, name)
    assert not Asset.objects.exists()


# Versions --------------------------------------------------------------------------------------------


def test_new_version_duplicate_and_restore(api, samples):
    uid = upload(api, samples / "jpg" / "Canon_40D.jpg").json()["uid"]
    versions_url = detail_url(uid, "versions")

    added = upload(api, samples / "jpg" / "Nikon_D70.jpg", url=versions_url, comment="better crop")
    assert added.status_code == 201
    assert (added.json()["number"], added.json()["is_current"], added.json()["comment"]) == (2, True, "better crop")

    assert_error(upload(api, samples / "jpg" / "Canon_40D.jpg", url=versions_url), 409, "duplicate", "version 1")

    history = api.get(versions_url).json()
    assert [(v["number"], v["is_current"], v["created_by"]) for v in history] == [(2, True, "alice"), (1, False, "alice")]
    assert history[1]["original_filename"] == "Canon_40D.jpg"
    assert history[1]["download_url"].endswith(f"{detail_url(uid, 'download')}?version=1")

    restored = api.post(reverse("api:asset-restore", kwargs={"uid": uid, "number": 1}))
    assert restored.status_code == 200
    assert restored.json()["current_version"]["number"] == 1
    assert AuditEntry.objects.filter(action="asset.restore_version").count() == 1
    assert_error(api.post(reverse("api:asset-restore", kwargs={"uid": uid, "number": 7})), 404, "not_found", "")


def test_new_version_needs_a_file(api, samples):
    uid = upload(api, samples / "jpg" / "Canon_40D.jpg").json()["uid"]
    assert_error(api.post(detail_url(uid, "versions"), {"comment": "x"}), 400, "required", "file")


# Reading ---------------------------------------------------------------------------------------------


def test_detail_and_unknown_uids(api, samples):
    uid = upload(api, samples / "jpg" / "Canon_40D.jpg").json()["uid"]
    body = api.get(detail_url(uid)).json()
    assert body["uid"] == uid and body["renditions"] == []
    assert body["urls"]["page"] == f"http://testserver{reverse('assets:detail', kwargs={'uid': uid})}"
    assert_error(api.get(detail_url("00000000-0000-0000-0000-000000000000")), 404, "not_found", "")
    assert api.get(f"{ASSETS}not-a-uuid/").status_code == 404  # no route: the uid pattern admits UUIDs only


def test_detail_ignores_list_filters(api, samples):
    uid = upload(api, samples / "jpg" / "Canon_40D.jpg").json()["uid"]
    assert api.get(detail_url(uid), {"format": "png", "date_from": "bad"}).status_code == 200


def test_metadata_endpoint(api, samples):
    uid = upload(api, samples / "jpg" / "Canon_40D.jpg").json()["uid"]
    body = api.get(detail_url(uid, "metadata")).json()
    assert set(body) == {"version", "metadata", "raw"}
    assert body["version"] == 1
    assert body["metadata"]["camera_model"] == "Canon EOS 40D"
    assert body["metadata"]["taken_at"] == "2008-05-30T15:56:01"
    assert body["raw"]["exif"]


def test_jsonld_endpoint(api, samples):
    uid = upload(api, samples / "jpg" / "gps" / "DSCN0010.jpg").json()["uid"]
    ensure_default_renditions(Asset.objects.get(uid=uid).current_version)
    response = api.get(detail_url(uid, "jsonld"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    data = json.loads(response.content)
    assert (data["@context"], data["@type"], data["identifier"]) == ("https://schema.org", "ImageObject", uid)
    assert {"name", "contentUrl", "thumbnailUrl", "encodingFormat", "width", "height", "dateCreated", "uploadDate",
            "contentLocation", "exifData"} <= set(data)
    assert api.get(detail_url(uid, "jsonld"), HTTP_ACCEPT="application/json")["Content-Type"] == "application/json"


def test_download_streams_the_original_through_delivery(api, samples):
    canon, nikon = samples / "jpg" / "Canon_40D.jpg", samples / "jpg" / "Nikon_D70.jpg"
    uid = upload(api, canon).json()["uid"]
    upload(api, nikon, url=detail_url(uid, "versions"))
    download = detail_url(uid, "download")
    current = api.get(download)
    assert current.status_code == 200 and Image.open(io.BytesIO(b"".join(current.streaming_content))).size == \
        Image.open(nikon).size, "the current metadata is written into a copy"
    assert current["Content-Type"] == "image/jpeg"
    assert current["Content-Disposition"] == 'attachment; filename="Nikon_D70.jpg"'
    first = api.get(download, {"version": 1, "untouched": "true"})
    assert b"".join(first.streaming_content) == canon.read_bytes(), "the stored bytes, for those who may change it"
    assert first["ETag"] == f'"{hashlib.sha256(canon.read_bytes()).hexdigest()}"'
    assert AuditEntry.objects.filter(action="asset.download_original").count() == 2
    assert_error(api.get(download, {"version": "latest"}), 400, "invalid", "version:")
    assert_error(api.get(download, {"version": 9}), 404, "not_found", "")


def test_renditions_list_and_files(api, samples):
    uid = upload(api, samples / "jpg" / "gps" / "DSCN0010.jpg").json()["uid"]
    assert api.get(detail_url(uid, "renditions")).json() == []
    ensure_default_renditions(Asset.objects.get(uid=uid).current_version)
    renditions = api.get(detail_url(uid, "renditions")).json()
    assert {(r["spec"], r["width"], r["format"]) for r in renditions} >= {
        ("width-320|format-jpeg", 320, "jpeg"), ("width-640|format-avif", 640, "avif"), ("width-320|format-avif", 320, "avif"),
    }
    assert api.get(detail_url(uid)).json()["renditions"] == renditions  # tokens written by Postgres and by Python
    thumbnail = next(r for r in renditions if r["spec"] == "width-320|format-jpeg")
    token = Asset.objects.get(uid=uid).current_version.renditions.get(spec="width-320|format-jpeg").content_token
    assert thumbnail["url"] == "http://testserver" + reverse(
        "api:asset-rendition-file", kwargs={"uid": uid, "number": 1, "spec": "width-320|format-jpeg"}) + f"?f={token}"
    response = api.get(thumbnail["url"])
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "immutable" in response["Cache-Control"]
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (320, 240)
    missing = reverse("api:asset-rendition-file", kwargs={"uid": uid, "number": 1, "spec": "width-99|format-png"})
    assert_error(api.get(missing), 404, "not_found", "not been made yet")
    api.patch(detail_url(uid), {"title": "Harbour – été"}, format="json")  # a new metadata revision: new tokens
    assert Asset.objects.get(uid=uid).metadata_revision > 0
    edited = api.get(detail_url(uid, "renditions")).json()
    assert api.get(detail_url(uid)).json()["renditions"] == edited != renditions


# Lists and filters -----------------------------------------------------------------------------------


@pytest.fixture
def three_assets(admin_api, actor, samples):
    """Canon (2008-05-30), Tuscany (GPS, 2008-10-22, in "Travel"), iPhone HEIC (2021, in "Travel")."""
    create_collection("Travel", actor=actor)
    return [
        upload(admin_api, samples / "jpg" / "Canon_40D.jpg").json()["uid"],
        upload(admin_api, samples / "jpg" / "gps" / "DSCN0010.jpg", collections=["travel"]).json()["uid"],
        upload(admin_api, samples / "heic" / "IMG_5195.HEIC", collections=["travel"]).json()["uid"],
    ]


def listed(api, **params):
    response = api.get(ASSETS, params)
    assert response.status_code == 200, response.content
    return [asset["uid"] for asset in response.json()["results"]]


def test_list_is_paginated_newest_first(admin_api, three_assets):
    canon, tuscany, iphone = three_assets
    first = admin_api.get(ASSETS, {"page_size": 2}).json()
    assert first["count"] == 3
    assert [a["uid"] for a in first["results"]] == [iphone, tuscany]
    second = admin_api.get(first["next"]).json()
    assert [a["uid"] for a in second["results"]] == [canon] and second["next"] is None
    assert_error(admin_api.get(ASSETS, {"page": 9}), 404, "not_found", "Invalid page")


def test_list_pages_by_cursor_and_by_number(admin_api, three_assets, monkeypatch):
    canon, tuscany, iphone = three_assets
    monkeypatch.setattr(pagination, "COUNT_CAP", 2)
    first = admin_api.get(ASSETS, {"page_size": 1, "ordering": "created_at"}).json()
    assert (first["count"], first["count_is_exact"], first["previous"]) == (2, False, None)
    assert "cursor=" in first["next"] and "page=" not in first["next"]
    second = admin_api.get(first["next"]).json()
    third = admin_api.get(second["next"]).json()
    assert [page["results"][0]["uid"] for page in (first, second, third)] == [canon, tuscany, iphone]
    assert third["next"] is None
    by_number = admin_api.get(ASSETS, {"page_size": 1, "page": 2, "ordering": "-taken_at"}).json()
    assert by_number["results"][0]["uid"] == tuscany and "page=3" in by_number["next"]
    assert_error(admin_api.get(ASSETS, {"cursor": "forged"}), 404, "not_found", "start again from the first page")


def test_list_filters(admin_api, three_assets):
    canon, tuscany, iphone = three_assets
    assert listed(admin_api, format="heif") == [iphone]
    assert listed(admin_api, format=["jpeg", "heif"], ordering="created_at") == [canon, tuscany, iphone]
    assert listed(admin_api, date_from="2008-06-01", date_to="2008-12-31") == [tuscany]
    assert listed(admin_api, collection="travel") == [iphone, tuscany]
    assert listed(admin_api, status="processing", ordering="-taken_at") == [iphone, tuscany, canon]
    assert listed(admin_api, q="dscn") == [tuscany]
    assert listed(admin_api, keyword="nothing") == []


def test_list_filter_on_format_keeps_json(admin_api, three_assets):
    response = admin_api.get(ASSETS, {"format": "jpeg"})
    assert response["Content-Type"] == "application/json"
    assert "format=jpeg" in admin_api.get(ASSETS, {"format": "jpeg", "page_size": 1}).json()["next"]


def test_invalid_filter_is_a_400_naming_the_parameter(admin_api, three_assets):
    response = admin_api.get(ASSETS, {"date_from": "31.12.2020"})
    assert_error(response, 400, "invalid", "date_from: Enter the date as YYYY-MM-DD")
    assert "date_from" in response.json()["details"]
    assert_error(admin_api.get(ASSETS, {"format": "bmp"}), 400, "invalid", "format: Unknown format “bmp”")


def test_list_and_detail_queries_are_as_many_for_fifty_assets_as_for_five(api, actor, new_image):
    def queries(url, **params):
        with CaptureQueriesContext(connection) as captured:
            response = api.get(url, params)
        assert response.status_code == 200
        return len(captured), response.json()

    for index in range(50):
        asset = ingest_file(io.BytesIO(new_image()), filename=f"{index}.png", actor=actor).asset
        ensure_default_renditions(asset.current_version)
        if index == 4:
            five, listed_five = queries(ASSETS, page_size=50)
            detail_of_few = queries(detail_url(asset.uid))[0]
    fifty, listed_fifty = queries(ASSETS, page_size=50)
    assert (len(listed_five["results"]), len(listed_fifty["results"])) == (5, 50)
    assert all(len(asset["renditions"]) == len(default_specs()) for asset in listed_fifty["results"])
    # RenditionSerializer writes its fields directly: the keys stay those it declares (and the schema shows)
    assert {tuple(r) for asset in listed_fifty["results"] for r in asset["renditions"]} == {
        tuple(RenditionSerializer.Meta.fields)}
    assert fifty == five and queries(detail_url(asset.uid))[0] == detail_of_few


def test_assets_are_written_as_their_declared_fields_would_write_them(admin_api, admin_user, actor, samples):
    """AssetSerializer writes its fields out directly (DRF's walk cost more than a list page's values); the walk
    over the declared fields, which the schema documents, gives the same for an asset with renditions,
    keywords and collections and for one still waiting for its previews."""
    create_collection("Harbour", actor=actor)
    ready = upload(admin_api, samples / "jpg" / "gps" / "DSCN0010.jpg", collections=["harbour"],
                   keywords=["boats", "quay"]).json()["uid"]
    ensure_default_renditions(Asset.objects.get(uid=ready).current_version)
    waiting = upload(admin_api, samples / "jpg" / "Canon_40D.jpg").json()["uid"]
    request = Request(APIRequestFactory().get(ASSETS))
    request.user = admin_user
    def assets(action):
        return AssetViewSet(request=request, action=action, format_kwarg=None).get_queryset().filter(
            uid__in=[ready, waiting])

    # The list and the detail read named tuples; DRF's walk needs the model objects other actions read.
    objects = {asset.uid: asset for asset in assets("partial_update")}
    for action in ("list", "retrieve", "partial_update"):
        serializer = AssetSerializer(context={"request": request})
        rows = list(assets(action))
        # a page places the JSON Postgres wrote as it is (an asset still waiting gets its wait written in)
        listed = orjson.loads(JSONRenderer().render(AssetSerializer(rows, many=True, context={"request": request}).data))
        for asset, in_list in zip(rows, listed, strict=True):
            written = serializer.to_representation(asset)
            assert written == in_list == serializers.ModelSerializer.to_representation(serializer, objects[asset.uid])
            assert written["renditions"] if asset.uid == ready else written["waiting"] is not None


def test_a_total_past_the_time_budget_is_null_unless_asked_for_exactly(api, actor, new_image, monkeypatch):
    """Counting past its budget (a real timeout: tests/assets/test_pagination.py) leaves the cursor page whole."""
    monkeypatch.setattr(pagination, "count_within", lambda queryset, budget_ms: None)
    for index in range(3):
        ingest_file(io.BytesIO(new_image()), filename=f"{index}.png", actor=actor)
    body = api.get(ASSETS, {"page_size": 2}).json()
    assert (body["count"], body["count_is_exact"], len(body["results"])) == (None, False, 2)
    assert "cursor=" in body["next"]
    exact = api.get(ASSETS, {"page_size": 2, "count": "exact"}).json()
    assert (exact["count"], exact["count_is_exact"]) == (3, True) and "count=exact" in exact["next"]


def test_list_query_count_does_not_grow_with_assets(api, samples, django_assert_max_num_queries):
    paths = [samples / "jpg" / name for name in ("Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg", "Kodak_CX7530.jpg")]
    for path in paths:
        uid = upload(api, path).json()["uid"]
        ensure_default_renditions(Asset.objects.get(uid=uid).current_version)
    # session, user, count (in a savepoint with its time budget: 5 here; BEGIN, budget, count, ROLLBACK outside one),
    # assets+versions, collections, renditions;
    # and as these still wait (processing), their places in the queue and the pace (assets.services.waiting)
    with django_assert_max_num_queries(12):
        response = api.get(ASSETS, {"format": "jpeg", "ordering": "-taken_at"})
    results = response.json()["results"]
    assert len(results) == 4 and all(len(asset["renditions"]) == len(default_specs()) for asset in results)


# Authentication and errors ---------------------------------------------------------------------------


def test_token_auth(user, samples):
    client = APIClient()
    refused = client.post(reverse("api:token"), {"username": "alice", "password": "wrong"})
    assert_error(refused, 400, "authorization", "Unable to log in")
    token = client.post(reverse("api:token"), {"username": "alice", "password": "correct-horse-battery"}).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(ASSETS).status_code == 200
    assert upload(client, samples / "jpg" / "Canon_40D.jpg").status_code == 201
    assert AuditEntry.objects.get(action="asset.upload").actor == user


def test_anonymous_requests_get_json_errors(samples):
    client = APIClient()
    assert_error(client.get(ASSETS), 403, "not_authenticated", "credentials were not provided")
    assert_error(upload(client, samples / "jpg" / "Canon_40D.jpg"), 403, "not_authenticated", "")
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error(client.get(ASSETS), 403, "authentication_failed", "Invalid token")
    assert not Asset.objects.exists()


# Collections -----------------------------------------------------------------------------------------


def test_collections_create_list_and_file(api, user, samples):
    created = api.post(reverse("api:collection-list"), {"name": "Street Art", "description": "Walls"}, format="json")
    assert created.status_code == 201
    assert created.json()["slug"] == "street-art"
    assert created.json()["assets_url"].endswith(f"{ASSETS}?collection=street-art")
    assert AuditEntry.objects.get(action="collection.create").actor == user
    duplicate = api.post(reverse("api:collection-list"), {"name": "Street Art"}, format="json")
    assert_error(duplicate, 400, "unique", "name:")
    assert [c["slug"] for c in api.get(reverse("api:collection-list")).json()["results"]] == ["street-art"]
    assert api.get(reverse("api:collection-detail", kwargs={"slug": "street-art"})).json()["name"] == "Street Art"

    uid = upload(api, samples / "jpg" / "Canon_40D.jpg").json()["uid"]
    filing = detail_url(uid, "add-collection")
    added = api.post(filing, {"collection": "street-art"}, format="json")  # the creator administers it
    assert added.status_code == 200 and added.json()["collections"] == ["street-art"]
    assert AuditEntry.objects.filter(action="asset.add_to_collection").count() == 1


# Permissions -----------------------------------------------------------------------------------------


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", "bob@example.com", "correct-horse-battery")


def test_unfiled_assets_are_invisible_to_other_users(api, bob, samples):
    uid = upload(api, samples / "jpg" / "Canon_40D.jpg").json()["uid"]
    other = signed_in(bob)
    assert other.get(ASSETS).json()["count"] == 0
    for url in (detail_url(uid), detail_url(uid, "download"), detail_url(uid, "metadata"), detail_url(uid, "jsonld")):
        assert_error(other.get(url, HTTP_ACCEPT="application/json"), 404, "not_found", "")
    assert_error(other.post(reverse("api:asset-restore", kwargs={"uid": uid, "number": 1})), 404, "not_found", "")


def test_a_viewer_may_read_but_not_change_or_file(admin_api, admin_user, bob, samples):
    admin = Actor(user=admin_user)
    travel = create_collection("Travel", actor=admin)
    uid = upload(admin_api, samples / "jpg" / "Canon_40D.jpg", collections=["travel"]).json()["uid"]
    grant_role(travel, "viewer", actor=admin, user=bob)
    viewer = signed_in(bob)
    assert viewer.get(detail_url(uid)).status_code == 200
    refused = upload(viewer, samples / "jpg" / "Nikon_D70.jpg", url=detail_url(uid, "versions"))
    assert_error(refused, 403, "permission_denied", "You may not change this asset.")
    refused = upload(viewer, samples / "jpg" / "Nikon_D70.jpg", collections=["travel"])
    assert_error(refused, 403, "permission_denied", "may not upload into “Travel”")
    assert Asset.objects.count() == 1 and Asset.objects.get().versions.count() == 1


def test_collections_are_listed_shown_and_named_only_to_those_with_a_role(admin_api, admin_user, bob, samples):
    admin = Actor(user=admin_user)
    travel = create_collection("Travel", actor=admin)
    create_collection("Secret merger", actor=admin, description="Project Falcon")
    grant_role(travel, "contributor", actor=admin, user=bob)
    uid = upload(admin_api, samples / "jpg" / "Canon_40D.jpg", collections=["travel", "secret-merger"]).json()["uid"]
    viewer = signed_in(bob)
    collections = viewer.get(reverse("api:collection-list")).json()
    assert [c["slug"] for c in collections["results"]] == ["travel"] and collections["count"] == 1
    assert_error(viewer.get(reverse("api:collection-detail", kwargs={"slug": "secret-merger"})), 404, "not_found", "")
    assert viewer.get(detail_url(uid)).json()["collections"] == ["travel"]
    assert [a["collections"] for a in viewer.get(ASSETS).json()["results"]] == [["travel"]]
    unknown, hidden = (viewer.get(ASSETS, {"collection": slug}).json() for slug in ("nowhere", "secret-merger"))
    assert unknown["message"] == hidden["message"] == "collection: There is no collection with that slug or id."
    filing = [upload(viewer, samples / "jpg" / "Nikon_D70.jpg", collections=[slug]) for slug in ("nowhere", "secret-merger")]
    assert [(r.status_code, r.json()["error"]) for r in filing] == [(400, "does_not_exist")] * 2
    assert "Secret" not in filing[1].content.decode()
    everything = admin_api.get(reverse("api:collection-list")).json()["results"]
    assert [c["slug"] for c in everything] == ["secret-merger", "travel"]
    assert admin_api.get(detail_url(uid)).json()["collections"] == ["secret-merger", "travel"]


# OpenAPI ---------------------------------------------------------------------------------------------


def test_api_schema_has_no_warnings(tmp_path):
    """Only this API's routes, so a warning here is ours (the full /api/schema/ also covers other apps)."""
    call_command("spectacular", "--fail-on-warn", "--urlconf", "assets.api.urls", "--file", str(tmp_path / "api.yml"))


def test_openapi_schema_documents_uploads_and_filters(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    upload_body = schema["paths"]["/api/assets/"]["post"]["requestBody"]["content"]
    assert list(upload_body) == ["multipart/form-data"]
    assert upload_body["multipart/form-data"]["schema"]["$ref"].endswith("/AssetUpload")
    assert schema["components"]["schemas"]["AssetUpload"]["properties"]["file"]["format"] == "binary"
    list_parameters = {p["name"] for p in schema["paths"]["/api/assets/"]["get"]["parameters"]}
    assert {"format", "date_from", "date_to", "keyword", "collection", "status", "q", "ordering"} <= list_parameters
    assert "/api/token/" in schema["paths"]


def test_file_and_action_urls_with_a_uid_that_is_no_uuid_are_404(api):
    rendition = reverse("api:asset-rendition-file", kwargs={"uid": "not-a-uuid", "number": 1, "spec": "width-320"})
    assert_error(api.get(rendition), 404, "not_found", "")
    assert_error(api.get(detail_url("not-a-uuid", "download")), 404, "not_found", "")
    assert_error(api.post(detail_url("not-a-uuid", "add-collection"), {}), 404, "not_found", "")


def test_patch_edits_the_details_and_only_for_those_who_may_change(api, user, make_user, make_collection, samples):
    uid = upload(api, samples / "jpg" / "Canon_40D.jpg").json()["uid"]
    response = api.patch(detail_url(uid), {"title": "Portrait", "keywords": ["studio", " Studio "],
                                          "alt_text": "A person by a window", "copyright": "© Lumen"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["title"], body["keywords"], body["alt_text"], body["copyright"]) == (
        "Portrait", ["studio"], "A person by a window", "© Lumen")
    assert AuditEntry.objects.get(action="asset.edit_metadata").after["title"] == "Portrait"
    assert api.get(detail_url(uid, "jsonld")).json()["name"] == "Portrait"
    assert_error(api.patch(detail_url(uid), {"keywords": "not a list"}, format="json"), 400, "not_a_list", "keywords:")
    assert_error(api.patch(detail_url(uid), {"title": "x" * 501}, format="json"), 400, "max_length", "title:")
    assert api.put(detail_url(uid), {"title": "Whole"}, format="json").status_code == 405
    viewer = make_user("viewer")
    Asset.objects.get(uid=uid).collections.add(make_collection("Shared", viewer="viewer"))
    assert_error(signed_in(viewer).patch(detail_url(uid), {"title": "Mine"}, format="json"), 403,
                 "permission_denied", "You may not change this asset.")


def test_upload_keywords_and_rights_for_a_batch(api, user, samples):
    rights = json.dumps({"licence_type": "cc_by", "holder": "Ada", "channels": ["web", "print"]})
    created = upload(api, samples / "jpg" / "Canon_40D.jpg", keywords=["trip", "2024"], rights=rights)
    assert created.status_code == 201, created.content
    assert created.json()["keywords"][-2:] == ["trip", "2024"]
    uid = created.json()["uid"]
    assert api.get(reverse("governance-api:rights", kwargs={"uid": uid})).json()["holder"] == "Ada"
    wrong = upload(api, samples / "jpg" / "Nikon_D70.jpg", rights=json.dumps({"licence_type": "cc0",
                                                                               "territories": ["Atlantis"]}))
    assert_error(wrong, 400, "invalid_rights", "Usage rights: territories: “ATLANTIS” is not an ISO 3166 two-letter country code")


def test_downloads_for_a_channel_the_rights_do_not_cover_warn_in_a_header(api, user, samples, settings):
    from datetime import date

    from governance.services.rights import set_rights

    uid = upload(api, samples / "jpg" / "Canon_40D.jpg").json()["uid"]
    set_rights(Asset.objects.get(uid=uid), actor=Actor(user), licence_type="rights_managed", channels=["web"],
               expires_on=date(2099, 1, 1))
    assert "X-Rights-Warning" not in api.get(detail_url(uid, "download"), {"channel": "web"})
    warned = api.get(detail_url(uid, "download"), {"channel": "print"})
    assert warned.status_code == 200
    assert warned["X-Rights-Warning"] == "The licence of this image does not cover print (only web)."
    assert AuditEntry.objects.filter(action="asset.download_original").latest("pk").after == {
        "channel": "print", "warnings": ["The licence of this image does not cover print (only web)."]}
    assert_error(api.get(detail_url(uid, "download"), {"channel": "tv"}), 400, "invalid", "Unknown channel “tv”")
    settings.LUMEN_RIGHTS_ON_DOWNLOAD = "refuse"
    assert_error(api.get(detail_url(uid, "download"), {"channel": "print"}), 451, "rights_not_covered",
                 "does not cover print")
    assert api.get(detail_url(uid, "download"), {"channel": "web"}).status_code == 200
