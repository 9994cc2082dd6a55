"""Share links: made from the pages and the API, opened without signing in, stopped by revocation or expiry at
once, on local storage and on S3 (SeaweedFS)."""
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assets.models import Asset
from assets.renditions import ensure_default_renditions
from assets.services import delivery
from core.audit import Actor
from core.models import AuditEntry
from governance.models import ShareLink
from governance.services import moderation, sharing

pytestmark = pytest.mark.django_db


@pytest.fixture
def anonymous():
    return Client()


def ready_asset(make_asset, owner, **kwargs):
    asset = make_asset(owner, fmt="JPEG", **kwargs)
    ensure_default_renditions(asset.current_version)
    return Asset.objects.get(pk=asset.pk)


def as_downloaded(asset):
    with delivery.original(asset.current_version).open() as served:
        return served.read()


def make_link(client, asset, **form):
    response = client.post(reverse("governance:share_asset", kwargs={"uid": asset.uid}),
                           {"lifetime": "7", **form}, follow=True)
    assert response.status_code == 200, response.content.decode()[:500]
    link = ShareLink.objects.latest("id")
    html = response.content.decode()
    address = re.search(rf'id="share-address-{link.pk}" value="([^"]+)"', html).group(1)
    return link, address.replace("http://testserver", "")


def test_an_asset_link_shows_the_image_and_its_previews_to_anyone_until_revoked(make_user, make_asset, login,
                                                                                anonymous):
    owner = make_user("owner")
    asset = ready_asset(make_asset, owner, title="Harbour")
    client = login(owner)
    link, address = make_link(client, asset, note="for the agency")
    assert AuditEntry.objects.get(action="share.create").after["note"] == "for the agency"

    page = anonymous.get(address)
    html = page.content.decode()
    assert page.status_code == 200 and "Harbour" in html and page["Referrer-Policy"] == "no-referrer"
    preview = re.search(r'<img src="([^"]+)"', html).group(1)
    assert preview.startswith(address) and "?f=" not in preview, "revalidated on every view"
    fetched = anonymous.get(preview)
    assert fetched.status_code == 200 and fetched["Cache-Control"] == "private, no-cache"
    assert "Original" not in html, "originals only when the link allows them"
    assert anonymous.get(reverse("governance:shared_original", kwargs={"token": sharing.token_of(link),
                                                                     "uid": asset.uid})).status_code == 404

    asked = client.post(reverse("governance:revoke_share", kwargs={"pk": link.pk}))
    assert "Revoke the share link to “Harbour”?" in asked.content.decode()
    assert anonymous.get(address).status_code == 200, "nothing stops before the person confirms"
    client.post(reverse("governance:revoke_share", kwargs={"pk": link.pk}), {"confirmed": "yes"})
    revoked = anonymous.get(address)
    assert revoked.status_code == 410 and "revoked by the person who shared it" in revoked.content.decode()
    assert anonymous.get(preview).status_code == 410, "files stop with the page"
    assert AuditEntry.objects.filter(action="share.revoke", asset=asset).exists()


def test_originals_when_allowed_are_downloaded_as_the_creator_and_logged(make_user, make_asset, login, anonymous):
    owner = make_user("owner")
    asset = ready_asset(make_asset, owner)
    link, address = make_link(login(owner), asset, include_originals="on")
    html = anonymous.get(address).content.decode()
    original = re.search(r'<a class="button button-small" href="([^"]+)" download>Original</a>', html).group(1)
    response = anonymous.get(original)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == as_downloaded(asset), "the original with its metadata written in"
    entry = AuditEntry.objects.get(action="asset.download_original")
    assert entry.actor == owner and entry.after == {"via": "share_link"}


def test_a_collection_link_shows_what_its_creator_may_download_and_nothing_flagged(make_user, make_collection,
                                                                                 make_asset, login, anonymous):
    editor, viewer, owner = make_user("ed"), make_user("vi"), make_user("owner")
    news = make_collection("News", ed="editor", vi="viewer", owner="contributor")
    shown = ready_asset(make_asset, owner, title="Shown", collections=[news])
    flagged = ready_asset(make_asset, owner, title="Flagged", collections=[news])
    ready_asset(make_asset, owner, title="Elsewhere")
    moderation.flag(flagged, actor=Actor(viewer), reason="check")

    refused = login(viewer).post(reverse("governance:share_collection", kwargs={"slug": news.slug}),
                                 {"lifetime": "1"})
    assert refused.status_code == 403 and "needs the editor role" in refused.content.decode()
    link = sharing.create_share_link(actor=Actor(editor), collection=news,
                                     expires_at=timezone.now() + timedelta(days=1))
    html = anonymous.get(sharing.address_of(link)).content.decode()
    assert "Shown" in html and "Flagged" not in html and "Elsewhere" not in html and "1 image" in html
    downloads = anonymous.get(reverse("governance:shared_downloads", kwargs={
        "token": sharing.token_of(link), "uid": shown.uid})).json()
    assert downloads["original"] is None and downloads["sizes"][0]["files"][0]["format"] == "JPEG"
    assert anonymous.get(reverse("governance:shared_downloads", kwargs={
        "token": sharing.token_of(link), "uid": flagged.uid})).status_code == 404


def test_expired_tampered_and_orphaned_links_say_why(make_user, make_asset, anonymous):
    owner = make_user("owner")
    asset = ready_asset(make_asset, owner)
    link = sharing.create_share_link(actor=Actor(owner), asset=asset, expires_at=timezone.now() + timedelta(hours=1))
    ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    expired = anonymous.get(sharing.address_of(link))
    assert expired.status_code == 410 and "This share link expired on" in expired.content.decode()
    tampered = sharing.token_of(link)[:-2] + "xx"
    assert anonymous.get(reverse("governance:shared", kwargs={"token": tampered})).status_code == 404

    fresh = sharing.create_share_link(actor=Actor(owner), asset=asset, expires_at=timezone.now() + timedelta(days=2))
    owner.is_active = False
    owner.save()
    gone = anonymous.get(sharing.address_of(fresh))
    assert gone.status_code == 200 and "This image is no longer shared." in gone.content.decode()


def test_the_api_makes_lists_and_revokes_links(make_user, make_collection, make_asset, login, anonymous, settings):
    owner, other = make_user("owner"), make_user("other")
    asset = ready_asset(make_asset, owner)
    secret = make_collection("Secret", other="admin")
    client = login(owner)
    made = client.post(reverse("governance-api:share-links"), {"asset": str(asset.uid), "days": 3},
                       content_type="application/json")
    body = made.json()
    assert made.status_code == 201 and body["state"] == "active" and body["url"].startswith("http://testserver/shared/")
    assert anonymous.get(body["url"]).status_code == 200
    listed = client.get(reverse("governance-api:share-links"), {"asset": str(asset.uid)}).json()
    assert [item["id"] for item in listed] == [body["id"]]
    too_long = client.post(reverse("governance-api:share-links"),
                           {"asset": str(asset.uid), "days": settings.LUMEN_SHARE_LINK_MAX_DAYS + 1},
                           content_type="application/json")
    assert too_long.status_code == 400 and "at most 90 days" in too_long.json()["message"]
    hidden = client.post(reverse("governance-api:share-links"), {"collection": secret.slug, "days": 1},
                         content_type="application/json")
    assert hidden.status_code == 400 and "does not exist" in hidden.json()["message"]
    assert login(other).delete(reverse("governance-api:share-link", kwargs={"pk": body["id"]})).status_code == 404
    assert login(owner).delete(reverse("governance-api:share-link", kwargs={"pk": body["id"]})).status_code == 204
    assert anonymous.get(body["url"]).status_code == 410


def test_on_s3_a_share_link_serves_through_the_app_and_revoking_stops_it_at_once(s3_media, make_user, make_asset,
                                                                                anonymous):
    owner = make_user("owner")
    asset = ready_asset(make_asset, owner)
    assert asset.current_version.renditions.first().file.storage.bucket_name == "lumen-media"
    link = sharing.create_share_link(actor=Actor(owner), asset=asset, include_originals=True,
                                     expires_at=timezone.now() + timedelta(days=1))
    original = reverse("governance:shared_original", kwargs={"token": sharing.token_of(link), "uid": asset.uid})
    served = anonymous.get(original)
    assert served.status_code == 200 and "Location" not in served, "streamed by the app, not a presigned redirect"
    assert b"".join(served.streaming_content) == as_downloaded(asset)
    sharing.revoke_share_link(link, actor=Actor(owner))
    assert anonymous.get(original).status_code == 410
