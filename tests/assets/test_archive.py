"""ZIP downloads of many originals (POST /api/assets/zip/ and the library's selection): all or nothing, each
original as a single download serves it (stamped, audit-logged), streamed."""
import io
import zipfile

import pytest
from django.urls import reverse

from assets.services.archive import stream_zip
from assets.services.delivery import Delivery
from core.audit import Actor
from core.models import AuditEntry
from governance.services.rights import set_rights

pytestmark = pytest.mark.django_db


def zip_of(response):
    assert response.status_code == 200 and response["Content-Type"] == "application/zip", response.content[:300]
    assert response.streaming and response["Cache-Control"] == "private, no-store"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_zip_holds_every_original_as_downloaded_and_each_download_is_logged(make_user, make_asset, login):
    owner = make_user("owner")
    first, second = make_asset(owner, title="First"), make_asset(owner, title="Second")
    set_rights(second, actor=Actor(owner), licence_type="cc_by", holder="Owner")
    client = login(owner)
    archive = zip_of(client.post(reverse("api:asset-zip"), {"assets": [str(first.uid), str(second.uid)]},
                                 content_type="application/json"))
    assert archive.namelist() == ["upload.png", "upload-2.png"], "same upload names never overwrite each other"
    def served(asset):
        return b"".join(client.get(reverse("api:asset-download", kwargs={"uid": asset.uid})).streaming_content)
    assert archive.read("upload.png") == served(first), "carries its title, as served"
    assert archive.read("upload-2.png") == served(second), "stamped with its rights, as served"
    assert archive.read("upload.png") != first.current_version.file.open("rb").read()
    assert archive.testzip() is None
    via = AuditEntry.objects.filter(action="asset.download_original", after={"via": "zip"})
    assert {entry.asset_id for entry in via} == {first.pk, second.pk}


def test_one_asset_the_caller_may_not_download_refuses_the_whole_zip(make_user, make_asset, make_collection, login):
    owner, other = make_user("owner"), make_user("other")
    mine, theirs = make_asset(owner), make_asset(other)
    client = login(owner)
    response = client.post(reverse("api:asset-zip"), {"assets": [str(mine.uid), str(theirs.uid)]},
                           content_type="application/json")
    assert response.status_code == 404
    assert response.json()["message"] == ("1 image of the 2 chosen do not exist or are not shared with you; "
                                          "nothing was packed.")
    assert not AuditEntry.objects.filter(action="asset.download_original").exists()


def test_the_zip_is_refused_past_its_size_limit(make_user, make_asset, login, settings):
    owner = make_user("owner")
    asset = make_asset(owner)
    settings.LUMEN_ZIP_MAX_BYTES = asset.current_version.bytes - 1
    response = login(owner).post(reverse("api:asset-zip"), {"assets": [str(asset.uid)]},
                                 content_type="application/json")
    assert response.status_code == 413 and "choose fewer images" in response.json()["message"]


def test_the_library_selection_downloads_a_zip(make_user, make_asset, login):
    owner = make_user("owner")
    assets = [make_asset(owner) for _ in range(3)]
    response = login(owner).post(reverse("governance:selection"), {
        "assets": [str(asset.uid) for asset in assets], "action": "download"})
    assert response["Content-Disposition"].startswith('attachment; filename="lumen-3-images-')
    assert len(zip_of(response).namelist()) == 3


def test_stream_zip_writes_pieces_as_it_goes():
    big = bytes(range(256)) * 8192  # 2 MiB: more than one read
    pieces = list(stream_zip([Delivery(lambda: io.BytesIO(big), "a.jpg", "image/jpeg", '"x"', "")] * 2))
    assert len(pieces) > 2
    archive = zipfile.ZipFile(io.BytesIO(b"".join(pieces)))
    assert archive.namelist() == ["a.jpg", "a-2.jpg"] and archive.read("a-2.jpg") == big
