"""Usage rights: the audited service, ``usable_for`` in SQL, expiry pages and notices, JSON-LD, and what downloaded
files carry of them (``assets.services.embedding`` with governance's ``embedded_properties``)."""
import hashlib
import io
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from assets.models import Asset
from assets.services.embedding import embed, fields_for
from assets.services.metadata import extract_metadata
from core.audit import Actor
from core.models import AuditEntry
from governance.models import RightsExpiryNotice, UsageRights
from governance.services.rights import (
    apply_rights_to_collection,
    jsonld_rights,
    set_rights,
    usable_for,
    warn_expiring_rights,
)

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 15)


@pytest.fixture
def owner(make_user):
    return make_user("owner")


def test_set_rights_validates_normalises_and_audits_before_and_after(owner, make_asset):
    asset = make_asset(owner)
    set_rights(asset, actor=Actor(owner), licence_type="rights_managed", holder="Agence X", territories=["fr", " de"])
    rights = set_rights(asset, actor=Actor(owner), channels=["web", "print"], territories=["Worldwide"])
    assert rights.territories == ["worldwide"] and rights.holder == "Agence X"
    first, second = AuditEntry.objects.filter(action="rights.set", asset=asset).order_by("id")
    assert first.before is None and first.after["territories"] == ["DE", "FR"]
    assert second.before["channels"] == [] and second.after["channels"] == ["web", "print"]
    set_rights(asset, actor=Actor(owner), channels=["web", "print"])
    assert AuditEntry.objects.filter(action="rights.set", asset=asset).count() == 2, "no change, no entry"
    with pytest.raises(ValidationError):
        set_rights(asset, actor=Actor(owner), territories=["France"])
    with pytest.raises(ValidationError):
        set_rights(asset, actor=Actor(owner), channels=["telepathy"])


def test_only_owners_and_editors_set_rights(owner, make_user, make_collection, make_asset):
    viewer = make_user("viewer")
    asset = make_asset(owner, collections=[make_collection("News", viewer="viewer")])
    with pytest.raises(PermissionDenied):
        set_rights(asset, actor=Actor(viewer), licence_type="cc0")


def test_apply_to_collection_sets_every_asset_the_actor_may_manage(owner, make_user, make_collection, make_asset):
    editor = make_user("editor")
    news = make_collection("News", editor="editor")
    assets = [make_asset(owner, collections=[news]) for _ in range(3)]
    outside = make_asset(owner)
    assert apply_rights_to_collection(news, actor=Actor(editor), licence_type="owned", credit_line="Lumen") == 3
    assert set(UsageRights.objects.values_list("asset_id", flat=True)) == {a.pk for a in assets}
    assert not UsageRights.objects.filter(asset=outside).exists()


@pytest.mark.parametrize("fields, channel, territory, usable", [
    ({}, "web", "FR", True),
    ({"channels": ["print"]}, "web", "FR", False),
    ({"channels": ["print", "web"]}, "web", None, True),
    ({"territories": ["DE"]}, "web", "fr", False),
    ({"territories": ["DE", "FR"]}, "web", "fr", True),
    ({"territories": ["worldwide"]}, "social", "JP", True),
    ({"expires_on": TODAY - timedelta(days=1)}, None, None, False),
    ({"expires_on": TODAY}, None, None, True),
    ({"starts_on": TODAY + timedelta(days=1)}, None, None, False),
    ({"starts_on": TODAY, "expires_on": TODAY + timedelta(days=9)}, "broadcast", "US", True),
])
def test_usable_for_matches_the_python_twin(owner, make_asset, fields, channel, territory, usable):
    asset = make_asset(owner)
    rights = set_rights(asset, actor=Actor(owner), licence_type="royalty_free", **fields)
    found = usable_for(Asset.objects.all(), channel, territory, TODAY).filter(pk=asset.pk).exists()
    assert found == usable == rights.usable_on(channel, territory, TODAY)


def test_usable_for_is_one_sql_statement_and_excludes_assets_without_rights(owner, make_asset,
                                                                            django_assert_num_queries):
    with_rights, without = make_asset(owner), make_asset(owner)
    set_rights(with_rights, actor=Actor(owner), licence_type="owned")
    with django_assert_num_queries(1):
        assert list(usable_for(Asset.objects.all(), "web", "FR", TODAY)) == [with_rights]
    assert without not in usable_for(Asset.objects.all())


def test_expiring_and_expired_page_lists_only_visible_assets(owner, make_user, make_asset, login):
    soon, gone, hidden = make_asset(owner, title="Soon"), make_asset(owner, title="Gone"), make_asset(make_user("x"))
    today = timezone.localdate()
    set_rights(soon, actor=Actor(owner), licence_type="owned", expires_on=today + timedelta(days=5))
    set_rights(gone, actor=Actor(owner), licence_type="owned", expires_on=today - timedelta(days=1))
    set_rights(hidden, actor=Actor(hidden.owner), licence_type="owned", expires_on=today + timedelta(days=5))
    response = login(owner).get(reverse("governance:rights_report"), {"days": 10})
    assert [r.asset for r in response.context["expiring"]] == [soon]
    assert [r.asset for r in response.context["expired"]] == [gone]
    assert login(owner).get(reverse("governance:rights_report"), {"days": 2}).context["expiring"].count() == 0


def test_expiry_notices_go_once_per_asset_and_expiry_date(owner, make_asset, settings):
    settings.LUMEN_RIGHTS_WARNING_DAYS = 30
    asset, later = make_asset(owner, title="Pier"), make_asset(owner)
    set_rights(asset, actor=Actor(owner), licence_type="owned", expires_on=TODAY + timedelta(days=10))
    set_rights(later, actor=Actor(owner), licence_type="owned", expires_on=TODAY + timedelta(days=40))
    assert warn_expiring_rights(today=TODAY) == 1
    assert warn_expiring_rights(today=TODAY) == 0
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["owner@example.com"]
    assert "Pier" in mail.outbox[0].subject and str(asset.uid) in mail.outbox[0].body
    set_rights(asset, actor=Actor(owner), expires_on=TODAY + timedelta(days=20))
    assert warn_expiring_rights(today=TODAY) == 1, "a new expiry date is a new notice"
    assert RightsExpiryNotice.objects.filter(asset=asset).count() == 2


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_daily_rights_job_runs_in_the_worker_and_mails_the_owner(celery_worker, owner, settings):
    from governance.tasks import warn_expiring_rights as warn_task

    asset = Asset.objects.create(title="Lighthouse", owner=owner, status="ready")
    UsageRights.objects.create(asset=asset, licence_type="owned",
                               expires_on=timezone.localdate() + timedelta(days=settings.LUMEN_RIGHTS_WARNING_DAYS - 1))
    mailbox = settings.EMAIL_FILE_PATH
    before = set(mailbox.glob("*")) if mailbox.exists() else set()
    assert warn_task.delay().get(timeout=60) == 1
    assert warn_task.delay().get(timeout=60) == 0
    written = set(mailbox.glob("*")) - before
    assert len(written) == 1 and "Lighthouse" in next(iter(written)).read_text()
    assert RightsExpiryNotice.objects.get(asset=asset).recipient == "owner@example.com"


def test_jsonld_fields_come_from_the_rights_record(owner, make_asset):
    asset = make_asset(owner)
    assert jsonld_rights(asset=asset) == {}
    set_rights(asset, actor=Actor(owner), licence_type="cc_by", licence_url="https://creativecommons.org/licenses/by/4.0/",
               holder="Ana Lima", credit_line="Ana Lima / Lumen", acquire_licence_url="https://example.com/buy")
    assert jsonld_rights(asset=Asset.objects.get(pk=asset.pk)) == {
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "acquireLicensePage": "https://example.com/buy",
        "copyrightNotice": "© Ana Lima",
        "creditText": "Ana Lima / Lumen",
    }


def _stored_bytes(asset):
    with default_storage.open(asset.current_version.file.name) as handle:
        return handle.read()


def _pixels(data):
    return Image.open(io.BytesIO(data)).convert("RGB").tobytes()


def embed_rights(data, asset):
    """What a download of ``data`` carries for ``asset`` now."""
    return embed(data, fields_for(asset, asset.current_version))


def _rights(owner, asset):
    return set_rights(asset, actor=Actor(owner), licence_type="rights_managed", holder="Ana Lima",
                      credit_line="Ana Lima / Lumen", channels=["web"], territories=["FR"],
                      expires_on=date(2027, 1, 31), licence_url="https://example.com/licence/42")


def test_embed_rights_writes_xmp_into_a_copy_and_keeps_the_pixels(owner, make_asset):
    asset = make_asset(owner, fmt="JPEG")
    original = _stored_bytes(asset)
    assert "copyright" not in extract_metadata(Image.open(io.BytesIO(embed_rights(original, asset))))[0]
    _rights(owner, asset)
    asset = Asset.objects.get(pk=asset.pk)
    copy = embed_rights(original, asset)
    metadata, raw = extract_metadata(Image.open(io.BytesIO(copy)))
    assert metadata["copyright"] == "© Ana Lima" and metadata["credit"] == "Ana Lima / Lumen"
    assert "Rights-managed" in metadata["rights_usage_terms"] and "until 2027-01-31" in metadata["rights_usage_terms"]
    assert "https://example.com/licence/42" in str(raw["xmp"])
    assert _pixels(copy) == _pixels(original)
    assert embed_rights(copy, asset).count(b"http://ns.adobe.com/xap/1.0/\x00") == 1, "re-embedding replaces"


def test_embed_rights_merges_with_existing_xmp_and_exif(owner, samples):
    from assets.services.ingest import ingest_file

    path = samples / "jpg" / "Nikon_D70.jpg"
    with path.open("rb") as handle:
        asset = ingest_file(handle, filename=path.name, actor=Actor(owner)).asset
    data = path.read_bytes()
    _rights(owner, asset)
    before, before_raw = extract_metadata(Image.open(io.BytesIO(data)))
    after, after_raw = extract_metadata(Image.open(io.BytesIO(embed_rights(data, Asset.objects.get(pk=asset.pk)))))
    assert after["camera_model"] == before["camera_model"] and after.get("taken_at") == before.get("taken_at")
    assert after["copyright"] == "© Ana Lima"
    kept = set(before_raw["xmp"]) - {"rights", "UsageTerms", "WebStatement", "Marked", "Credit"}
    assert kept <= set(after_raw["xmp"])


def _encoded(fmt, **options):
    """A gradient with transparency where the format keeps it, so lossless formats show any pixel change."""
    image = Image.linear_gradient("L").resize((97, 61)).convert("RGBA" if fmt != "JPEG" else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _frames(data):
    frames = []
    with Image.open(io.BytesIO(data)) as image:
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            frames.append(image.convert("RGBA").tobytes())
    return frames


@pytest.mark.parametrize("original", [
    pytest.param(lambda samples: _encoded("PNG"), id="png"),
    pytest.param(lambda samples: _encoded("WEBP", lossless=True), id="webp-lossless"),
    pytest.param(lambda samples: _encoded("WEBP", quality=70), id="webp-lossy"),
    pytest.param(lambda samples: _encoded("TIFF", compression="tiff_lzw"), id="tiff"),
    pytest.param(lambda samples: (samples / "tiff" / "Arbitro.tiff").read_bytes(), id="tiff-with-xmp"),
])
def test_original_downloads_of_png_webp_and_tiff_carry_the_rights_with_the_same_pixels(owner, login, samples,
                                                                                       original):
    from assets.services.ingest import ingest_file

    data = original(samples)
    asset = ingest_file(io.BytesIO(data), filename="upload", actor=Actor(owner)).asset
    client = login(owner)
    url = reverse("assets:original", kwargs={"uid": asset.uid, "number": 1})
    assert b"".join(client.get(url, {"untouched": "1"}).streaming_content) == data, "the file as uploaded"
    _rights(owner, asset)
    downloaded = b"".join(client.get(url).streaming_content)
    assert downloaded != data and _frames(downloaded) == _frames(data)
    metadata, raw = extract_metadata(Image.open(io.BytesIO(downloaded)))
    assert metadata["copyright"] == "© Ana Lima" and metadata["credit"] == "Ana Lima / Lumen"
    assert "Rights-managed" in metadata["rights_usage_terms"] and "until 2027-01-31" in metadata["rights_usage_terms"]
    assert "https://example.com/licence/42" in str(raw["xmp"])
    assert _stored_bytes(asset) == data


def test_formats_without_xmp_support_are_returned_unchanged(owner, make_asset):
    asset = make_asset(owner, fmt="GIF")
    _rights(owner, asset)
    data = _stored_bytes(asset)
    assert embed_rights(data, Asset.objects.get(pk=asset.pk)) == data


def test_a_container_that_cannot_be_rewritten_is_served_as_it_is_and_logged(owner, make_asset, caplog):
    asset = make_asset(owner, fmt="PNG")
    _rights(owner, asset)
    damaged = _stored_bytes(asset)[:-12]  # without its IEND chunk
    assert embed_rights(damaged, Asset.objects.get(pk=asset.pk)) == damaged
    assert "metadata not written into a download, served as stored: PNG ends before IEND" in caplog.text


def test_rights_api_get_put_and_permissions(owner, make_user, make_collection, make_asset, login, client):
    viewer = make_user("viewer")
    asset = make_asset(owner, collections=[make_collection("News", viewer="viewer")])
    url = reverse("governance-api:rights", kwargs={"uid": asset.uid})
    login(viewer)
    assert client.get(url).status_code == 404 and client.get(url).json()["error"] == "no_rights"
    assert client.put(url, {"licence_type": "cc0"}, content_type="application/json").status_code == 403
    client.logout()
    login(owner)
    saved = client.put(url, {"licence_type": "royalty_free", "territories": ["fr"], "channels": ["web"],
                             "expires_on": "2030-01-01"}, content_type="application/json")
    assert saved.status_code == 200 and saved.json()["territories"] == ["FR"] and saved.json()["usable_today"]
    bad = client.patch(url, {"territories": ["Narnia"]}, content_type="application/json")
    assert bad.status_code == 400 and "territories" in bad.json()["message"]
    client.logout()
    assert login(viewer).get(url).json()["licence_type"] == "royalty_free"


def test_rights_form_on_the_asset_page(owner, make_asset, login):
    asset = make_asset(owner, title="Quay")
    client = login(owner)
    page = client.get(reverse("assets:detail", kwargs={"uid": asset.uid})).content.decode()
    assert "No usage rights on file" in page and reverse("governance:edit_rights", kwargs={"uid": asset.uid}) in page
    response = client.post(reverse("governance:edit_rights", kwargs={"uid": asset.uid}), {
        "licence_type": "owned", "holder": "Lumen Ltd", "channels": ["web", "social"], "territories": "fr, be",
        "expires_on": "2020-01-01",
    })
    assert response.status_code == 302
    rights = UsageRights.objects.get(asset=asset)
    assert rights.channels == ["web", "social"] and rights.territories == ["BE", "FR"]
    library = client.get(reverse("assets:library")).content.decode()
    assert "Not usable today" in library
    bad = client.post(reverse("governance:edit_rights", kwargs={"uid": asset.uid}),
                      {"licence_type": "owned", "territories": "Belgium"})
    assert bad.status_code == 400 and "ISO 3166" in bad.content.decode()


def test_original_download_carries_the_rights_and_the_stored_file_stays_byte_identical(owner, make_asset, login):
    asset = make_asset(owner, fmt="JPEG")
    _rights(owner, asset)
    client = login(owner)
    url = reverse("assets:original", kwargs={"uid": asset.uid, "number": 1})
    response = client.get(url)
    downloaded = b"".join(response.streaming_content)
    metadata, _ = extract_metadata(Image.open(io.BytesIO(downloaded)))
    assert metadata["copyright"] == "© Ana Lima"
    assert hashlib.sha256(_stored_bytes(asset)).hexdigest() == asset.current_version.sha256
    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    set_rights(asset, actor=Actor(owner), credit_line="New credit")
    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 200, "new rights, new copy"


def test_rights_report_in_the_api_matches_the_page(owner, make_user, make_asset, login, client):
    from rest_framework.test import APIClient

    soon, gone, later = (make_asset(owner, title=title) for title in ("Soon", "Gone", "Later"))
    today = timezone.localdate()
    for asset, expires in ((soon, today + timedelta(days=5)), (gone, today - timedelta(days=1)),
                           (later, today + timedelta(days=300))):
        set_rights(asset, actor=Actor(owner), licence_type="rights_managed", holder="Agence X", expires_on=expires)
    api = APIClient()
    api.force_authenticate(owner)
    body = api.get("/api/rights/report/").json()
    assert body["days"] == 30
    assert [(row["title"], row["licence"], row["expires_on"]) for row in body["expiring"]] == [
        ("Soon", "Rights-managed", (today + timedelta(days=5)).isoformat())]
    assert [row["uid"] for row in body["expired"]] == [str(gone.uid)]
    assert [row["title"] for row in api.get("/api/rights/report/", {"days": 400}).json()["expiring"]] == [
        "Soon", "Later"]
    assert api.get("/api/rights/report/", {"days": -1}).status_code == 400
    stranger = APIClient()
    stranger.force_authenticate(make_user("stranger"))
    assert stranger.get("/api/rights/report/").json() == {"days": 30, "expiring": [], "expired": []}
    page = login(owner).get(reverse("governance:rights_report")).content.decode()
    assert "Soon" in page and "Gone" in page


def test_territories_must_be_real_country_codes(owner, make_asset):
    asset = make_asset(owner)
    with pytest.raises(ValidationError, match="“XX” is not an ISO 3166 two-letter country code"):
        set_rights(asset, actor=Actor(owner), licence_type="owned", territories=["xx"])
    assert set_rights(asset, actor=Actor(owner), licence_type="owned", territories=["gb", "worldwide"]).territories \
        == ["GB", "worldwide"]


def test_a_signed_link_to_an_asset_whose_licence_expired_is_refused_where_the_server_refuses(owner, make_asset,
                                                                                           client, settings):
    from governance.services.signed_urls import issue_download_url

    asset = make_asset(owner, fmt="JPEG")
    set_rights(asset, actor=Actor(owner), licence_type="royalty_free", expires_on=date(2020, 1, 31))
    link = issue_download_url(asset, asset.current_version, actor=Actor(owner))
    warned = client.get(link.url)
    assert warned.status_code == 200 and "expired on 31 January 2020" in warned["X-Rights-Warning"]
    settings.LUMEN_RIGHTS_ON_DOWNLOAD = "refuse"
    refused = client.get(link.url)
    assert refused.status_code == 451 and "Downloads of images the licence does not cover are refused" in \
        refused.content.decode()
