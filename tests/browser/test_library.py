"""The library grid in headless Chromium: tiles filled in by the real worker, the selection and its actions, the
lightbox."""
import re

import pytest
from playwright.sync_api import expect

from assets.models import Asset, Rendition
from assets.services.ingest import ingest_file
from assets.tasks import process_version
from support import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_waiting_tile_fills_in_without_a_reload_when_its_previews_are_made(signed_in_page, live_server,
                                                                              celery_worker, actor, samples):
    with (samples / "jpg" / "Canon_40D.jpg").open("rb") as handle:
        asset = ingest_file(handle, filename="Canon_40D.jpg", actor=actor).asset
    wait_for(lambda: Asset.objects.get(pk=asset.pk).status == Asset.Status.READY, timeout=120,
             message="the worker to make the first previews")
    # Back to how the asset looked before its previews existed; the worker will make them again.
    Rendition.objects.filter(version_id=asset.current_version_id).delete()
    Asset.objects.filter(pk=asset.pk).update(status=Asset.Status.PROCESSING)

    page = signed_in_page
    page.goto(f"{live_server.url}/")
    tile = page.locator(f'.asset-tile[data-uid="{asset.uid}"]')
    assert tile.get_attribute("data-processing") is not None and tile.locator("img").count() == 0
    page.evaluate("window.stillTheSamePage = true")
    expect(tile.locator(".processing")).to_have_text("Making previews now…")  # first in the queue, so no wait

    process_version.delay(asset.current_version_id)
    tile.locator("img").wait_for(state="attached", timeout=90_000)
    assert page.evaluate("window.stillTheSamePage === true"), "the page reloaded instead of swapping the tile"
    assert tile.get_attribute("data-processing") is None
    page.wait_for_function(f"""() => {{
      const img = document.querySelector('.asset-tile[data-uid="{asset.uid}"] img');
      return img && img.complete && img.naturalWidth > 0;
    }}""")


def test_select_with_clicks_and_shift_clicks_then_act_on_the_selection(signed_in_page, live_server, user, photos,
                                                                        make_collection, screenshots):
    news = make_collection("News", alice="admin")
    photos(user)
    page = signed_in_page
    page.goto(f"{live_server.url}/")
    boxes = page.locator(".tile-select input")
    assert boxes.count() == 5 and page.locator("[data-selection-actions]").is_hidden()

    boxes.nth(0).click()
    boxes.nth(3).click(modifiers=["Shift"])
    expect(page.locator("[data-selection-count]")).to_have_text("4 images selected")
    assert [boxes.nth(i).is_checked() for i in range(5)] == [True, True, True, True, False]
    assert page.locator(".asset-tile.is-selected").count() == 4
    boxes.nth(1).click()
    expect(page.locator("[data-selection-count]")).to_have_text("3 images selected")
    screenshots(page, "selected")

    page.locator("summary", has_text="Add to collection").click()
    page.locator("#selection-collection-add").select_option("news")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Added 3 images to “News”.")
    assert news.assets.count() == 3

    page.get_by_role("button", name="Select page").click()
    expect(page.locator("[data-selection-count]")).to_have_text("5 images selected")
    page.locator("summary", has_text="Add keywords").click()
    page.locator("#selection-keywords").fill("museum, test shot")
    page.locator("#selection-keywords").press("Enter")
    expect(page.locator(".messages")).to_contain_text("Added the keywords to 5 images.")
    assert all(asset.keywords == ["museum", "test shot"] for asset in Asset.objects.all())

    page.get_by_role("button", name="Select page").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download ZIP").click()
    assert download.value.suggested_filename.startswith("lumen-5-images-")

    page.get_by_role("button", name="Move to trash").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Move 5 images to the trash?")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    screenshots(page, "confirm")
    dialog.get_by_role("button", name="Cancel").click()
    assert not Asset.objects.filter(deleted_at__isnull=False).exists(), "cancelling changes nothing"
    page.get_by_role("button", name="Move to trash").click()
    page.get_by_role("dialog").get_by_role("button", name="Move to trash").click()
    expect(page.locator(".messages")).to_contain_text("Moved 5 images to the trash.")
    assert Asset.objects.filter(deleted_at__isnull=False).count() == 5
    screenshots(page, "done")


def test_the_lightbox_steps_zooms_and_offers_downloads_by_size_with_the_keyboard(signed_in_page, live_server, user,
                                                                                 photos, screenshots):
    photos(user, names=("chelsea", "coffee", "astronaut"))
    page = signed_in_page
    page.goto(f"{live_server.url}/")
    first = page.locator(".tile-open").first
    title = page.locator(".asset-tile").first.get_attribute("data-title")
    first.click()
    viewer = page.get_by_role("dialog", name="Image viewer")
    expect(viewer).to_be_visible()
    expect(viewer.locator(".lightbox-title")).to_have_text(title)
    expect(viewer.locator(".lightbox-position")).to_have_text("1 of 3")
    page.wait_for_function("() => { const img = document.querySelector('.lightbox-stage img');"
                           " return img && img.complete && img.naturalWidth >= 450; }")

    page.keyboard.press("ArrowRight")
    expect(viewer.locator(".lightbox-position")).to_have_text("2 of 3")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(viewer.locator(".lightbox-position")).to_have_text("3 of 3")
    page.keyboard.press("ArrowLeft")
    expect(viewer.locator(".lightbox-position")).to_have_text("2 of 3")

    fitted = viewer.locator(".lightbox-stage img").bounding_box()["width"]
    page.keyboard.press("+")
    page.keyboard.press("+")
    expect(viewer.locator(".lightbox-stage")).to_have_class(re.compile("is-zoomed"))
    assert viewer.locator(".lightbox-stage img").bounding_box()["width"] >= 1.9 * fitted
    page.keyboard.press("0")
    expect(viewer.locator(".lightbox-stage")).not_to_have_class(re.compile("is-zoomed"))

    viewer.get_by_text("Download", exact=True).click()
    choices = viewer.locator(".download-choices")
    expect(choices).to_contain_text("Original")
    expect(choices).to_contain_text("Medium · 600 × 400")
    expect(choices).to_contain_text("Small · 320 × 213")
    assert "width-" not in choices.inner_text() and "format-" not in choices.inner_text()
    assert choices.get_by_role("link", name=re.compile("^WebP")).count() == 2
    screenshots(page, "open")

    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(page.locator(".tile-open").first).to_be_focused()
    page.keyboard.press("/")
    expect(page.locator(".site-search input")).to_be_focused()

    page.goto(f"{live_server.url}/search/?q=coffee")
    page.locator(".hit .tile-open").first.click()
    expect(page.get_by_role("dialog", name="Image viewer")).to_contain_text("Coffee")
    page.keyboard.press("/")
    expect(page.locator("#id_q")).to_be_focused()


def test_a_total_counted_after_the_page_fills_in_on_screen(signed_in_page, live_server, celery_worker, actor, samples,
                                                           monkeypatch):
    """The page's own count ran out of time (made to, here; a real timeout is in tests/assets/test_pagination.py):
    the grid shows at once, and the total arrives from the count endpoint with the page's filters. (The uploads'
    tasks run on the worker: ``celery_worker`` waits for them, or the flush ending the test deadlocks with them.)"""
    from assets import pagination

    monkeypatch.setattr(pagination, "count_within", lambda queryset, budget_ms: None)
    for name in ("Canon_40D.jpg", "Nikon_D70.jpg"):
        with (samples / "jpg" / name).open("rb") as handle:
            ingest_file(handle, filename=name, actor=actor)
    page = signed_in_page
    page.goto(f"{live_server.url}/?format=jpeg&ordering=-taken_at")
    expect(page.locator(".page-head [data-count-url]")).to_have_text("2 assets")
    expect(page.locator(".asset-tile")).to_have_count(2)
