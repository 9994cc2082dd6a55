"""The browser pages and the bulk-upload endpoint, through the Django test client on the real database."""
import io
import json
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from assets import pagination
from assets.models import Asset, Collection
from assets.renditions import ensure_default_renditions, offered_specs
from assets.services.collections import create_collection
from assets.services.ingest import add_version, ingest_file
from core.audit import SYSTEM, Actor
from core.models import AuditEntry
from governance.services.roles import grant_role

pytestmark = pytest.mark.django_db

NOT_AN_IMAGE = b"hello, I am a text file pretending to be a JPEG\n"
NEXT_LINK = re.compile(r'rel="next" href="([^"]+)"')
LD_JSON = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def png_bytes(color="blue", size=(24, 16)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def upload_of(data, name):
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def ingest_sample(samples, relative, actor, **kwargs):
    path = samples / relative
    with path.open("rb") as handle:
        return ingest_file(handle, filename=path.name, actor=actor, **kwargs).asset


def ingest_png(actor, color, **kwargs):
    return ingest_file(io.BytesIO(png_bytes(color)), filename=f"{color}.png", actor=actor, **kwargs).asset


def detail_url(asset):
    return reverse("assets:detail", kwargs={"uid": asset.uid})


@pytest.mark.parametrize("name, kwargs", [
    ("assets:library", {}),
    ("assets:detail", {"uid": uuid.uuid4()}),
    ("assets:status", {"uid": uuid.uuid4()}),
    ("assets:statuses", {}),
    ("assets:upload", {}),
    ("assets:bulk_upload", {}),
    ("assets:upload_api", {}),
    ("assets:collections", {}),
])
def test_pages_require_login(client, name, kwargs):
    url = reverse(name, kwargs=kwargs)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_login_page_renders_and_signs_in(client, user):
    assert b'name="username"' in client.get(reverse("login")).content
    response = client.post(reverse("login"), {"username": "alice", "password": "correct-horse-battery"})
    assert response.status_code == 302 and response["Location"] == reverse("assets:library")


def test_library_lists_assets_and_applies_the_filter(signed_in, actor):
    red, blue = ingest_png(actor, "red"), ingest_png(actor, "blue")
    page = signed_in.get(reverse("assets:library")).content.decode()
    assert detail_url(red) in page and detail_url(blue) in page

    page = signed_in.get(reverse("assets:library"), {"q": "red"}).content.decode()
    assert detail_url(red) in page and detail_url(blue) not in page


def test_library_and_detail_show_only_what_the_gate_allows(signed_in, actor, django_user_model):
    """Another user's unfiled upload is invisible: not listed, and its page is a 404 like an unknown uid."""
    bob = django_user_model.objects.create_user("bob", "bob@example.com", "pw-for-bob-123")
    mine, theirs = ingest_png(actor, "red"), ingest_png(Actor(user=bob), "blue")
    page = signed_in.get(reverse("assets:library")).content.decode()
    assert detail_url(mine) in page and detail_url(theirs) not in page
    assert signed_in.get(detail_url(theirs)).status_code == 404
    assert signed_in.get(reverse("assets:status", kwargs={"uid": theirs.uid})).status_code == 404


def test_library_filters_by_collection_slug(signed_in, actor):
    trip = create_collection("Summer trip", actor=actor)
    inside, outside = ingest_png(actor, "green", collections=[trip]), ingest_png(actor, "gray")
    page = signed_in.get(reverse("assets:library"), {"collection": trip.slug}).content.decode()
    assert detail_url(inside) in page and detail_url(outside) not in page


def test_pages_name_only_the_collections_the_user_has_a_role_on(signed_in, user, actor):
    travel, secret = create_collection("Travel", actor=SYSTEM), create_collection("Secret merger", actor=SYSTEM)
    grant_role(travel, "contributor", actor=SYSTEM, user=user)
    asset = ingest_png(actor, "teal", collections=[travel, secret])  # their own upload, filed in both
    pages = [reverse("assets:collections"), reverse("assets:library"), detail_url(asset), reverse("assets:upload"),
             reverse("assets:bulk_upload"), reverse("search:search") + "?q=teal"]
    for url in pages:
        page = signed_in.get(url).content.decode()
        assert "Secret merger" not in page and "secret-merger" not in page, url
    assert "Travel" in signed_in.get(detail_url(asset)).content.decode()
    assert f'<option value="{travel.slug}">Travel</option>' in signed_in.get(reverse("assets:library")).content.decode()
    hidden = signed_in.get(reverse("assets:library"), {"collection": secret.slug}).content.decode()
    assert "There is no collection with that slug or id." in hidden  # as for a slug that does not exist


def test_library_shows_filter_errors_instead_of_failing(signed_in, actor):
    response = signed_in.get(reverse("assets:library"), {"date_from": "last tuesday"})
    assert response.status_code == 200
    assert "YYYY-MM-DD" in response.content.decode()


def test_library_query_count_does_not_grow_with_the_page(signed_in, actor, django_assert_max_num_queries):
    """Thumbnails of every asset on the page come from one prefetch, not one query per asset."""
    for color in ("red", "green", "blue", "yellow", "purple", "orange"):
        ensure_default_renditions(ingest_png(actor, color).current_version)
    # session, user, the count (its own savepoint here: savepoint, budget, count, rollback, release), page, renditions
    with django_assert_max_num_queries(12):
        response = signed_in.get(reverse("assets:library"))
    assert response.content.decode().count("<picture") == 6


def test_library_paginates(signed_in, actor):
    for index in range(50):
        ingest_file(io.BytesIO(png_bytes((index, 0, 0))), filename=f"red-{index}.png", actor=actor)
    first = signed_in.get(reverse("assets:library"))
    assert first.content.decode().count('class="asset-tile"') == 48
    assert "50 assets" in first.content.decode()
    following = NEXT_LINK.search(first.content.decode()).group(1).replace("&amp;", "&")
    second = signed_in.get(reverse("assets:library") + following)
    assert second.content.decode().count('class="asset-tile"') == 2 and not NEXT_LINK.search(second.content.decode())
    assert "First page" in second.content.decode()
    by_number = signed_in.get(reverse("assets:library"), {"page": 2, "ordering": "-taken_at"})
    assert by_number.content.decode().count('class="asset-tile"') == 2 and "Page 2 of 2" in by_number.content.decode()
    stale = signed_in.get(reverse("assets:library"), {"cursor": "not-a-cursor"})
    assert stale.status_code == 404 and "start again from the first page" in stale.content.decode()


def test_a_total_that_takes_too_long_is_counted_after_the_page(signed_in, actor, monkeypatch):
    """When counting runs past its budget (a real timeout: tests/assets/test_pagination.py) the grid is shown
    with "Counting assets…", and the count endpoint, asked with the same filters, gives the words."""
    monkeypatch.setattr(pagination, "count_within", lambda queryset, budget_ms: None)
    for color in ("red", "green", "blue"):
        ingest_png(actor, color)
    page = signed_in.get(reverse("assets:library"), {"format": "png", "ordering": "title"}).content.decode()
    assert page.count('class="asset-tile"') == 3 and "Counting assets…" in page
    count_url = re.search(r'data-count-url="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "format=png" in count_url and "ordering=title" in count_url
    assert signed_in.get(count_url).json() == {"count": 3, "count_is_exact": True, "words": "3 assets"}
    assert signed_in.get(reverse("assets:library_count"), {"format": "jpeg"}).json()["words"] == "0 assets"


def test_library_total_stops_counting_at_the_cap(signed_in, actor, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    for color in ("red", "green", "blue", "yellow"):
        ingest_png(actor, color)
    assert "3+ assets" in signed_in.get(reverse("assets:library")).content.decode()


def test_library_queries_are_as_many_for_fifty_assets_as_for_five(signed_in, actor):
    """Thumbnails, rights badges and links of a whole page come from a fixed number of queries."""
    def queries_for_page():
        with CaptureQueriesContext(connection) as queries:
            response = signed_in.get(reverse("assets:library"))
        return response.content.decode().count("<picture"), len(queries)

    for index in range(50):
        ensure_default_renditions(ingest_file(io.BytesIO(png_bytes((index, 9, 9))), filename=f"{index}.png",
                                              actor=actor).asset.current_version)
        if index == 4:
            five = queries_for_page()
    assert five[0] == 5 and queries_for_page() == (48, five[1])


def test_detail_shows_metadata_and_json_ld(signed_in, samples, actor):
    asset = ingest_sample(samples, "jpg/Canon_40D.jpg", actor)
    response = signed_in.get(detail_url(asset))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Canon EOS 40D" in page
    assert "All embedded tags" in page
    image_object = json.loads(LD_JSON.search(page).group(1))
    assert image_object["@type"] == "ImageObject"
    assert image_object["identifier"] == str(asset.uid)
    assert reverse("assets:original", kwargs={"uid": asset.uid, "number": 1}) in page


def test_detail_query_count_does_not_grow_with_renditions(signed_in, actor, django_assert_max_num_queries):
    """Nine renditions are listed with their URLs from one prefetch (the bound includes the enrichment panel)."""
    asset = ingest_png(actor, "brown")
    ensure_default_renditions(asset.current_version)
    Asset.objects.filter(pk=asset.pk).update(status=Asset.Status.READY)
    with django_assert_max_num_queries(20):
        response = signed_in.get(detail_url(asset))
    page = response.content.decode()
    sizes = {(r.width, r.height) for r in asset.current_version.renditions.all()}
    formats = {spec.format for spec in offered_specs()}  # those made on request too, made by their first download
    assert page.count("download>") == 3 + len(sizes) * len(formats), "original, version as served and untouched, every size in each format"
    assert "Small · 24 × 16" in page and "<code>width-" not in page, "sizes by name and dimensions, not spec codes"


def test_detail_links_gps_to_openstreetmap(signed_in, samples, actor):
    asset = ingest_sample(samples, "jpg/gps/DSCN0010.jpg", actor)
    gps = asset.current_version.metadata["gps"]
    page = signed_in.get(detail_url(asset)).content.decode()
    assert f"https://www.openstreetmap.org/?mlat={gps['lat']:f}&amp;mlon={gps['lon']:f}" in page


def test_json_ld_cannot_close_its_script_tag(signed_in, actor):
    title = "</script><script>alert(1)</script> & more"
    asset = ingest_png(actor, "black", title=title)
    page = signed_in.get(detail_url(asset)).content.decode()
    assert "<script>alert(1)" not in page
    assert json.loads(LD_JSON.search(page).group(1))["name"] == title


def test_processing_and_failed_states(signed_in, actor):
    asset = ingest_png(actor, "white")
    page = signed_in.get(detail_url(asset)).content.decode()
    assert reverse("assets:status", kwargs={"uid": asset.uid}) in page

    Asset.objects.filter(pk=asset.pk).update(status=Asset.Status.FAILED, status_detail="Could not make previews: boom")
    page = signed_in.get(detail_url(asset)).content.decode()
    words, expert = page.split('<details class="expert-details"><summary>Expert details</summary>', 1)
    assert "Previews could not be made from this file." in words and "boom" not in words
    assert "Could not make previews: boom" in expert
    assert reverse("assets:status", kwargs={"uid": asset.uid}) not in page


def test_status_json(signed_in, actor):
    asset = ingest_png(actor, "navy")
    url = reverse("assets:status", kwargs={"uid": asset.uid})
    assert signed_in.get(url).json() == {"status": "processing", "status_detail": "", "done": False, "waiting": {
        "ahead": 0, "estimate_seconds": 1, "words": "Making previews now…"}}
    ensure_default_renditions(asset.current_version)
    Asset.objects.filter(pk=asset.pk).update(status=Asset.Status.READY)
    assert signed_in.get(url).json()["done"] is True


def test_library_marks_tiles_waiting_for_previews_and_says_which_are_done(signed_in, actor, django_user_model):
    waiting, ready = ingest_png(actor, "olive"), ingest_png(actor, "maroon")
    theirs = ingest_png(Actor(user=django_user_model.objects.create_user("bob", "bob@example.com", "pw-bob-123")),
                        "silver")
    for asset in (ready, theirs):
        ensure_default_renditions(asset.current_version)
        Asset.objects.filter(pk=asset.pk).update(status=Asset.Status.READY)

    page = signed_in.get(reverse("assets:library")).content.decode()
    assert re.search(f'<li class="asset-tile" data-uid="{waiting.uid}"[^>]* data-processing>', page)
    assert re.search(f'<li class="asset-tile" data-uid="{ready.uid}"[^>]*"/api/assets/{ready.uid}/downloads/">', page)
    asked = [str(waiting.uid), str(ready.uid), str(theirs.uid), "not-a-uid"]
    assert signed_in.get(reverse("assets:statuses"), {"uid": asked}).json() == {
        "done": [str(ready.uid)], "waiting": {str(waiting.uid): {"ahead": 0, "estimate_seconds": 1,
                                                                  "words": "Making previews now…"}}}


@pytest.mark.parametrize("name", ["assets:detail", "assets:status"])
def test_unknown_asset_is_404(signed_in, name):
    assert signed_in.get(reverse(name, kwargs={"uid": uuid.uuid4()})).status_code == 404


def test_single_upload_redirects_to_the_new_asset(signed_in):
    response = signed_in.post(reverse("assets:upload"), {"file": upload_of(png_bytes("teal"), "teal.png"), "title": "Teal"})
    asset = Asset.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(asset)
    assert asset.title == "Teal"


def test_single_upload_shows_the_refusal_inline(signed_in):
    response = signed_in.post(reverse("assets:upload"), {"file": upload_of(NOT_AN_IMAGE, "photo.jpg")})
    assert response.status_code == 415
    assert "not an image type we accept" in response.content.decode()
    assert not Asset.objects.exists()


def test_single_upload_of_a_known_file_goes_to_the_existing_asset(signed_in, actor):
    asset = ingest_png(actor, "olive")
    response = signed_in.post(reverse("assets:upload"), {"file": upload_of(png_bytes("olive"), "again.png")}, follow=True)
    assert response.redirect_chain[-1][0] == detail_url(asset)
    assert "already in the library" in response.content.decode()


def test_upload_api_accepts_refuses_and_spots_duplicates(signed_in, user):
    trip = create_collection("Trip", actor=SYSTEM)
    grant_role(trip, "contributor", actor=SYSTEM, user=user)
    url = reverse("assets:upload_api")

    created = signed_in.post(url, {"file": upload_of(png_bytes("maroon"), "maroon.png"), "collection": trip.pk})
    asset = Asset.objects.get()
    assert created.status_code == 201
    assert created.json() == {"ok": True, "url": detail_url(asset), "title": "maroon", "duplicate": False,
                              "message": "", "possible_duplicates": []}
    assert list(asset.collections.all()) == [trip]

    again = signed_in.post(url, {"file": upload_of(png_bytes("maroon"), "copy.png")})
    assert again.status_code == 200 and again.json()["duplicate"] is True and again.json()["url"] == detail_url(asset)
    assert again.json()["message"] == "This file was already in the library as “maroon”."

    refused = signed_in.post(url, {"file": upload_of(NOT_AN_IMAGE, "evil.jpg")})
    assert refused.status_code == 415
    assert refused.json()["ok"] is False and "not an image type we accept" in refused.json()["message"]

    missing = signed_in.post(url, {})
    assert missing.status_code == 400 and missing.json()["ok"] is False
    assert Asset.objects.count() == 1


def test_single_upload_of_a_known_file_into_a_collection_files_it_there_and_says_so(signed_in, user, actor):
    asset = ingest_png(actor, "navy")
    trip = create_collection("Trip", actor=SYSTEM)
    grant_role(trip, "contributor", actor=SYSTEM, user=user)
    response = signed_in.post(reverse("assets:upload"), {"file": upload_of(png_bytes("navy"), "again.png"),
                                                         "collection": trip.pk}, follow=True)
    assert response.redirect_chain[-1][0] == detail_url(asset)
    assert "This file was already in the library as “navy”; added it to “Trip”." in response.content.decode()
    assert list(asset.collections.all()) == [trip]
    assert AuditEntry.objects.filter(action="asset.add_to_collection", asset=asset, actor=user).exists()


def test_upload_api_passes_the_blur_faces_choice(signed_in):
    signed_in.post(reverse("assets:upload_api"), {"file": upload_of(png_bytes("pink"), "pink.png"), "anonymise_faces": "on"})
    assert Asset.objects.get().anonymise_faces is True


def test_upload_api_refuses_a_collection_without_contributor_role(signed_in, user):
    archive = create_collection("Archive", actor=SYSTEM)
    grant_role(archive, "viewer", actor=SYSTEM, user=user)
    response = signed_in.post(reverse("assets:upload_api"),
                              {"file": upload_of(png_bytes("plum"), "plum.png"), "collection": archive.pk})
    assert response.status_code == 400 and "valid choice" in response.json()["message"]
    assert not Asset.objects.exists()


def test_new_version_upload_and_restore(signed_in, actor):
    asset = ingest_png(actor, "silver")
    response = signed_in.post(reverse("assets:new_version", kwargs={"uid": asset.uid}),
                              {"file": upload_of(png_bytes("gold"), "gold.png"), "comment": "warmer"})
    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.current_version.number == 2 and asset.current_version.comment == "warmer"

    page = signed_in.get(detail_url(asset)).content.decode()
    restore_url = reverse("assets:restore", kwargs={"uid": asset.uid, "number": 1})
    assert restore_url in page
    assert signed_in.post(restore_url).status_code == 302
    asset.refresh_from_db()
    assert asset.current_version.number == 1
    assert AuditEntry.objects.filter(action="asset.restore_version", asset=asset, actor=actor.user).exists()


def test_restore_of_another_assets_version_is_404(signed_in, actor):
    asset, other = ingest_png(actor, "lime"), ingest_png(actor, "aqua")
    add_version(other, io.BytesIO(png_bytes("fuchsia")), filename="fuchsia.png", actor=actor)
    assert signed_in.post(reverse("assets:restore", kwargs={"uid": asset.uid, "number": 2})).status_code == 404


def test_new_version_refusal_is_shown_on_the_asset_page(signed_in, actor):
    asset = ingest_png(actor, "coral")
    response = signed_in.post(reverse("assets:new_version", kwargs={"uid": asset.uid}),
                              {"file": upload_of(png_bytes("coral"), "coral.png")})
    assert response.status_code == 409
    assert "identical to version 1" in response.content.decode()


def test_collections_list_and_create(signed_in, actor):
    url = reverse("assets:collections")
    response = signed_in.post(url, {"name": "Portraits", "description": "People"})
    assert response.status_code == 302
    collection = Collection.objects.get(name="Portraits")
    grant_role(collection, "contributor", actor=SYSTEM, user=actor.user)
    ingest_png(actor, "tan", collections=[collection])
    page = signed_in.get(url).content.decode()
    assert "Portraits" in page and "1 asset" in page
    assert AuditEntry.objects.filter(action="collection.create").exists()

    duplicate = signed_in.post(url, {"name": "portraits"})
    assert duplicate.status_code == 400 and "already exists" in duplicate.content.decode()


def test_the_asset_page_edits_its_details(signed_in, actor, make_user, client):
    asset = ingest_png(actor, "navy")
    ensure_default_renditions(asset.current_version)
    page = signed_in.get(detail_url(asset)).content.decode()
    assert "Edit details" in page and 'name="alt_text"' in page
    response = signed_in.post(reverse("assets:edit", kwargs={"uid": asset.uid}), {
        "title": "Navy square", "caption": "", "alt_text": "A dark blue square", "keywords": "blue, square, Blue",
        "creator": "Ana", "credit": "", "copyright": "© Ana"}, follow=True)
    page = response.content.decode()
    assert "Details saved; downloads now carry them." in page
    asset = Asset.objects.get(pk=asset.pk)
    assert (asset.title, asset.keywords, asset.alt_text, asset.copyright) == (
        "Navy square", ["blue", "square"], "A dark blue square", "© Ana")
    assert 'alt="A dark blue square"' in page, "the alt text is what the preview says to screen readers"
    invalid = signed_in.post(reverse("assets:edit", kwargs={"uid": asset.uid}), {"title": "x" * 501, "keywords": ""})
    assert invalid.status_code == 400 and "at most 500 characters" in invalid.content.decode()
    client.force_login(make_user("stranger"))
    assert client.post(reverse("assets:edit", kwargs={"uid": asset.uid}), {"title": "Mine"}).status_code == 404


def test_a_download_the_rights_do_not_cover_shows_a_warning_first(signed_in, actor, user):
    from datetime import date

    from governance.services.rights import set_rights

    asset = ingest_png(actor, "coral")
    ensure_default_renditions(asset.current_version)
    set_rights(asset, actor=actor, licence_type="royalty_free", expires_on=date(2020, 1, 31))
    page = signed_in.get(detail_url(asset)).content.decode()
    assert "The licence of this image expired on 31 January 2020. Downloads show this warning first." in page
    original = reverse("assets:original", kwargs={"uid": asset.uid, "number": 1})
    warning = signed_in.get(original, {"channel": "print"})
    assert warning.status_code == 200 and warning["Content-Type"].startswith("text/html")
    text = warning.content.decode()
    assert "The licence of this image expired on 31 January 2020." in text and "Download anyway" in text
    assert not AuditEntry.objects.filter(action="asset.download_original").exists()
    anyway = signed_in.get(original, {"channel": "print", "confirmed": "1"})
    assert anyway["Content-Disposition"].startswith("attachment")
    assert AuditEntry.objects.get(action="asset.download_original").after["warnings"] == [
        "The licence of this image expired on 31 January 2020."]
    rendition = asset.current_version.renditions.get(spec="width-320|format-jpeg")
    url = reverse("assets:rendition", kwargs={"uid": asset.uid, "number": 1, "spec": rendition.spec})
    assert signed_in.get(url)["Content-Type"] == "image/jpeg", "shown in pages without a word"
    assert "Download anyway" in signed_in.get(url, {"download": "1"}).content.decode()
    assert signed_in.get(url, {"download": "1", "confirmed": "1"})["Content-Disposition"].startswith("attachment")


def test_bulk_upload_sends_keywords_and_rights(signed_in, user):
    url = reverse("assets:upload_api")
    page = signed_in.get(reverse("assets:bulk_upload")).content.decode()
    assert "Usage rights for every new image" in page and 'name="rights-licence_type"' in page
    rights = json.dumps({"licence_type": "owned", "holder": "Lumen", "channels": ["web"], "territories": ["fr"]})
    created = signed_in.post(url, {"file": upload_of(png_bytes("gold"), "gold.png"), "keywords": "gold, batch",
                                   "rights": rights})
    asset = Asset.objects.get()
    assert created.status_code == 201 and asset.keywords == ["gold", "batch"]
    assert (asset.usage_rights.holder, asset.usage_rights.territories) == ("Lumen", ["FR"])
    wrong = signed_in.post(url, {"file": upload_of(png_bytes("silver"), "silver.png"),
                                 "rights": json.dumps({"licence_type": "owned", "channels": ["radio"]})})
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_rights"
    assert "channels" in wrong.json()["message"]
