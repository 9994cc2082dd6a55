"""Signed download links on local storage: they work without a session, expire, and die with the permission."""
import hashlib
import time

import pytest
import urllib3
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from assets.models import CollectionRole, Rendition
from core.audit import Actor
from core.models import AuditEntry
from core.refusals import Refused
from governance.services.moderation import reject
from governance.services.retention import trash
from governance.services.signed_urls import issue_download_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(make_user, make_collection, make_asset):
    owner, viewer, mod = make_user("owner"), make_user("viewer"), make_user("mod")
    news = make_collection("News", viewer="viewer", mod="moderator")
    return owner, viewer, mod, news, make_asset(owner, collections=[news], fmt="JPEG")


def _fetch(url):
    return Client().get(url)


def test_api_issues_a_link_that_downloads_without_a_session_and_is_audited(shared, login):
    owner, viewer, mod, news, asset = shared
    response = login(viewer).post(reverse("governance-api:signed-url", kwargs={"uid": asset.uid}), {"ttl": 60},
                                  content_type="application/json")
    assert response.status_code == 201 and response.json()["expires_in"] == 60
    download = _fetch(response.json()["url"])
    assert download.status_code == 200 and download["Content-Type"] == "image/jpeg"
    assert b"".join(download.streaming_content)[:2] == b"\xff\xd8"
    assert download["X-Content-Type-Options"] == "nosniff" and download["Cache-Control"] == "private, no-store"
    entry = AuditEntry.objects.get(action="asset.signed_url_issue")
    assert entry.actor == viewer and entry.after == {"kind": "version", "ttl": 60}
    assert AuditEntry.objects.get(action="asset.download_original").after == {"via": "signed_url"}


def test_ttl_is_capped_by_settings(shared, settings):
    owner, viewer, mod, news, asset = shared
    settings.LUMEN_SIGNED_URL_MAX_TTL = 120
    assert issue_download_url(asset, asset.current_version, actor=Actor(viewer), ttl=10**6).expires_in == 120


def test_expired_and_tampered_links_are_refused(shared):
    owner, viewer, mod, news, asset = shared
    link = issue_download_url(asset, asset.current_version, actor=Actor(viewer), ttl=1)
    token = link.url.rstrip("/").rsplit("/", 1)[1]
    tampered = link.url.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert _fetch(tampered).status_code == 403
    time.sleep(2.1)
    assert _fetch(link.url).status_code == 410


def test_links_die_when_the_asset_is_trashed_rejected_or_the_issuer_loses_access(shared, make_asset):
    owner, viewer, mod, news, asset = shared
    by_viewer = issue_download_url(asset, asset.current_version, actor=Actor(viewer), ttl=300)
    assert _fetch(by_viewer.url).status_code == 200
    CollectionRole.objects.filter(user=viewer).delete()
    assert _fetch(by_viewer.url).status_code == 403

    by_mod = issue_download_url(asset, asset.current_version, actor=Actor(mod), ttl=300)
    reject(asset, actor=Actor(mod), reason="not cleared")
    assert _fetch(by_mod.url).status_code == 403, "rejection bumps the access epoch"

    other = make_asset(owner, collections=[news])
    by_owner = issue_download_url(other, other.current_version, actor=Actor(owner), ttl=300)
    trash(other, actor=Actor(owner))
    assert _fetch(by_owner.url).status_code == 403


def test_rendition_links_and_links_to_files_of_other_assets(shared, make_asset):
    owner, viewer, mod, news, asset = shared
    name = default_storage.save("tests/signed/r.webp", ContentFile(b"RIFF0000WEBPVP8 "))
    rendition = Rendition.objects.create(version=asset.current_version, spec="width-320|format-webp", file=name,
                                         format="webp", width=32, height=24, bytes=16)
    link = issue_download_url(asset, rendition, actor=Actor(viewer))
    response = _fetch(link.url)
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    other = make_asset(owner, collections=[news])
    with pytest.raises(Refused):
        issue_download_url(other, rendition, actor=Actor(viewer))


def test_on_s3_the_link_is_a_presigned_get_that_expires(s3_media, make_user, make_asset):
    owner = make_user("owner")
    asset = make_asset(owner, fmt="JPEG")
    name = asset.current_version.file.name
    head = s3_media["client"].head_object(Bucket=s3_media["bucket"], Key=name)
    assert head.get("ServerSideEncryption") == "AES256"
    # The signature's date is whole seconds, so a 1 s link can be stale before its first fetch (it was, once in
    # CI): 3 s leaves at least 2 for that fetch, and the wait below outlasts any of them.
    link = issue_download_url(asset, asset.current_version, actor=Actor(owner), ttl=3)
    assert link.url.startswith(s3_media["endpoint"]) and "X-Amz-Signature" in link.url
    assert link.revocable is False, "a presigned URL cannot be stopped before it expires, and says so"
    response = urllib3.request("GET", link.url)
    assert response.status == 200
    assert hashlib.sha256(response.data).hexdigest() == asset.current_version.sha256
    time.sleep(4.5)
    assert urllib3.request("GET", link.url).status == 403
