"""Details people edit and that travel with the file, rights on download, and search that says what happened: in
real headless Chromium against a live server (and a real Celery worker for uploads), with screenshots at desktop
and phone width in var/screenshots/."""
import io
from datetime import date

import pytest
from PIL import Image
from playwright.sync_api import expect

from assets.models import Asset
from assets.renditions import ensure_default_renditions
from assets.services.ingest import ingest_file
from core.audit import Actor
from governance.models import UsageRights
from governance.services.rights import set_rights

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def picture(colour, name, size=(480, 320)):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def ready_asset(user, colour="teal", **kwargs):
    asset = ingest_file(picture(colour, f"{colour}.jpg"), filename=f"{colour}.jpg", actor=Actor(user), **kwargs).asset
    ensure_default_renditions(asset.current_version)
    Asset.objects.filter(pk=asset.pk).update(status=Asset.Status.READY)
    return asset


def test_editing_an_assets_details_in_the_page(signed_in_page, live_server, user, screenshots):
    asset = ready_asset(user)
    page = signed_in_page
    page.goto(f"{live_server.url}/assets/{asset.uid}/")
    page.get_by_text("Edit details").click()
    form = page.get_by_role("form", name="Edit details")
    form.get_by_label("Title").fill("Harbour at dawn")
    form.get_by_label("Alt text").fill("Two cranes over a ship")
    form.get_by_label("Keywords").fill("harbour, cranes")
    form.get_by_label("Creator").fill("Ana Lima")
    form.get_by_label("Copyright notice").fill("© 2024 Ana Lima")
    screenshots(page, "form")
    form.get_by_role("button", name="Save details").click()
    expect(page.locator(".messages")).to_have_text("Details saved; downloads now carry them.")
    expect(page.locator("h1")).to_have_text("Harbour at dawn")
    expect(page.locator(".metadata")).to_contain_text("© 2024 Ana Lima")
    expect(page.locator(".preview-image img")).to_have_attribute("alt", "Two cranes over a ship")
    screenshots(page, "saved")
    asset.refresh_from_db()
    assert (asset.keywords, asset.creator) == (["harbour", "cranes"], "Ana Lima")


def test_bulk_upload_sets_keywords_and_rights_once_for_new_files(
        signed_in_page, live_server, celery_worker, user, tmp_path, screenshots):
    known = ready_asset(user, "olive")
    files = []
    for colour in ("navy", "coral"):
        files.append(tmp_path / f"{colour}.jpg")
        files[-1].write_bytes(picture(colour, "x").getvalue())
    files.append(tmp_path / "olive-again.jpg")
    files[-1].write_bytes(picture("olive", "x").getvalue())
    page = signed_in_page
    page.goto(f"{live_server.url}/upload/bulk/")
    page.get_by_label("Keywords").fill("harbour trip, 2024")
    page.get_by_text("Usage rights for every new image").click()
    rights = page.locator("[data-rights-fields]")
    rights.get_by_label("Licence type").select_option(label="Rights-managed")
    rights.get_by_label("Holder").fill("Agence X")
    rights.get_by_label("Web").check()
    rights.get_by_label("Territories").fill("fr, de")
    screenshots(page, "options")
    page.set_input_files("#bulk-files", files)
    page.wait_for_function("""() => [...document.querySelectorAll('.upload-row')].every(
        row => ['done', 'duplicate', 'error'].includes(row.dataset.state))""", timeout=60_000)
    duplicate = page.locator(".upload-row", has_text="olive-again.jpg")
    expect(duplicate).to_have_attribute("data-state", "duplicate")
    screenshots(page, "uploaded")
    new = Asset.objects.exclude(pk=known.pk)
    assert sorted(asset.title for asset in new) == ["coral", "navy"]
    assert all(asset.keywords == ["harbour trip", "2024"] for asset in new)
    assert UsageRights.objects.filter(asset__in=new, holder="Agence X", channels=["web"],
                                      territories=["DE", "FR"]).count() == 2
    assert known.keywords == [] and not UsageRights.objects.filter(asset=known).exists(), "a known file keeps its own"

    page.reload()
    page.get_by_text("Usage rights for every new image").click()
    rights = page.locator("[data-rights-fields]")
    rights.get_by_label("Licence type").select_option(label="Royalty-free")
    rights.get_by_label("Territories").fill("Atlantis")
    wrong = tmp_path / "plum.jpg"
    wrong.write_bytes(picture("plum", "x").getvalue())
    page.set_input_files("#bulk-files", [wrong])
    expect(page.locator("#upload-rights-error")).to_contain_text("“ATLANTIS” is not an ISO 3166 two-letter country code")
    expect(page.locator(".upload-row").first).to_have_attribute("data-state", "error")
    screenshots(page, "wrong-rights")


def test_downloading_for_a_use_the_licence_does_not_cover_warns_first(signed_in_page, live_server, user,
                                                                     screenshots):
    asset = ready_asset(user, "coral")
    set_rights(asset, actor=Actor(user), licence_type="rights_managed", holder="Agence X", channels=["web"],
               expires_on=date(2030, 12, 31))
    page = signed_in_page
    page.goto(f"{live_server.url}/assets/{asset.uid}/")
    panel = page.locator(".governance")
    expect(panel.get_by_label("Download the original for")).to_be_visible()
    screenshots(page, "asset")
    panel.get_by_label("Download the original for").select_option(label="Print")
    panel.get_by_role("button", name="Download").click()
    page.wait_for_url("**/original?channel=print")
    expect(page.locator("h1")).to_have_text("Before you download “coral”")
    expect(page.get_by_role("alert")).to_have_text("The licence of this image does not cover print (only web).")
    anyway = page.get_by_role("link", name="Download anyway")
    assert anyway.get_attribute("href").endswith("channel=print&confirmed=1")  # headless: not followed
    screenshots(page, "warning")
