"""The UI in real headless Chromium against a live server and a real Celery worker."""
import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

FINISHED_ROWS = """() => {
  const rows = [...document.querySelectorAll('.upload-row')];
  return rows.length > 0 && rows.every(row => ['done', 'duplicate', 'error'].includes(row.dataset.state));
}"""
PREVIEW_LOADED = """() => {
  const img = document.querySelector('.preview-image img');
  return Boolean(img && img.complete && img.naturalWidth > 0);
}"""
WIDER_THAN_VIEWPORT = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 8)
  .map(el => `${el.tagName.toLowerCase()}.${el.className} (${Math.round(el.getBoundingClientRect().right)}px)`)"""


def wait_for_uploads(page):
    """Wait until every upload row has an outcome; on timeout say which rows are stuck and where."""
    try:
        page.wait_for_function(FINISHED_ROWS, timeout=60_000)
    except Exception as exc:
        rows = page.eval_on_selector_all(".upload-row", "rows => rows.map(r => r.dataset.state + ': ' + r.innerText)")
        raise AssertionError(f"uploads did not finish: {rows}") from exc


def row_for(page, filename):
    return page.locator(".upload-row", has=page.locator(".name", has_text=filename))


def assert_fits_phone(page, screenshot_path):
    page.set_viewport_size({"width": 375, "height": 800})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"horizontal overflow on {page.url}: {page.evaluate(WIDER_THAN_VIEWPORT)}"
    page.screenshot(path=screenshot_path, full_page=True)


def test_bulk_upload_then_asset_page(signed_in_page, live_server, celery_worker, samples, tmp_path, concepts):
    page = signed_in_page
    not_an_image = tmp_path / "notes.jpg"
    not_an_image.write_text("meeting notes, not a photo\n")
    good = [samples / "jpg" / "Canon_40D.jpg", samples / "jpg" / "gps" / "DSCN0010.jpg", samples / "heic" / "IMG_5195.HEIC"]

    page.get_by_role("link", name="Bulk upload").click()
    page.wait_for_url("**/upload/bulk/")
    page.set_input_files("#bulk-files", [*good, not_an_image])
    wait_for_uploads(page)

    for path in good:
        assert row_for(page, path.name).get_attribute("data-state") == "done", row_for(page, path.name).inner_text()
    refused = row_for(page, "notes.jpg")
    assert refused.get_attribute("data-state") == "error"
    assert "not an image type we accept" in refused.locator(".outcome").inner_text()
    assert "3 uploaded" in page.locator("#upload-summary").inner_text()
    page.screenshot(path=tmp_path / "bulk.png", full_page=True)
    assert_fits_phone(page, tmp_path / "bulk-phone.png")
    page.set_viewport_size({"width": 1280, "height": 900})

    row_for(page, "Canon_40D.jpg").get_by_role("link").click()
    expect(page.locator(".badge-ready")).to_be_visible(timeout=90_000)  # the page reloads itself once ready
    page.wait_for_function(PREVIEW_LOADED, timeout=30_000)
    assert "Canon EOS 40D" in page.locator(".metadata").inner_text()
    assert page.locator(".renditions a").count() > 0
    page.screenshot(path=tmp_path / "detail.png", full_page=True)
    assert_fits_phone(page, tmp_path / "detail-phone.png")
    page.set_viewport_size({"width": 1280, "height": 900})

    labels = page.locator(".enrichment")
    labels.get_by_role("textbox", name="Add a label").fill("tabby cats")
    labels.get_by_role("button", name="Add label").click()
    expect(page.locator(".messages")).to_have_text("Label “tabby” added.")
    expect(labels.locator(".machine-labels:not(.guesses)")).to_contain_text("added by alice")
    labels.screenshot(path=tmp_path / "labels.png")
    labels.get_by_role("button", name="Remove: tabby").click()
    expect(page.locator(".messages")).to_contain_text("“tabby” rejected")
    expect(labels.get_by_role("button", name="Remove: tabby")).to_have_count(0)

    page.goto(f"{live_server.url}/")
    page.wait_for_function("() => [...document.querySelectorAll('.asset-tile img')].some(img => img.naturalWidth > 0)")
    assert page.locator(".asset-tile").count() == 3
    assert_fits_phone(page, tmp_path / "library-phone.png")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=tmp_path / "library.png", full_page=True)

    page.get_by_text("Filter and sort").click()
    page.get_by_label("Title or caption contains").fill("canon")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/?q=canon*")
    assert page.locator(".asset-tile").count() == 1
    page.screenshot(path=tmp_path / "library-filtered.png", full_page=True)


def test_governance_links_sit_in_the_more_menu_and_fit_a_phone(signed_in_page, live_server, user, tmp_path):
    """A moderator finds the moderation queue under "More"; the opened menu still fits a 375px screen."""
    from assets.models import Collection
    from core.audit import SYSTEM
    from governance.services.roles import grant_role

    grant_role(Collection.objects.create(name="News", slug="news"), "moderator", actor=SYSTEM, user=user)
    page = signed_in_page
    page.reload()
    menu = page.locator(".nav-more")
    assert not menu.get_by_role("link", name="Moderation queue").is_visible(), "closed until asked"
    menu.locator("summary").click()
    for name in ("Moderation queue", "Trash", "Rights report"):
        assert menu.get_by_role("link", name=name).is_visible()
    assert menu.get_by_role("link", name="Audit log").count() == 0, "site admins only"
    box = menu.locator(".nav-menu").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1280
    page.screenshot(path=tmp_path / "more-menu.png")
    assert_fits_phone(page, tmp_path / "more-menu-phone.png")
    assert menu.get_by_role("link", name="Rights report").is_visible()
    menu.get_by_role("link", name="Moderation queue").click()
    page.wait_for_url("**/moderation/")
    assert page.locator(".nav-more summary.current").count() == 1
    assert_fits_phone(page, tmp_path / "moderation-phone.png")


def test_bulk_upload_waits_out_the_upload_budget_and_loses_nothing(signed_in_page, live_server, celery_worker,
                                                                   settings, new_image, tmp_path):
    """Past the ``upload`` budget the server answers 429 with Retry-After; the page waits and sends again."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "upload": "2/s"}}
    files = []
    for n in range(5):
        files.append(tmp_path / f"budget-{n}.png")
        files[-1].write_bytes(new_image("PNG"))
    page = signed_in_page
    refused = []
    page.on("response", lambda response: response.status == 429 and refused.append(response.headers["retry-after"]))
    page.goto(f"{live_server.url}/upload/bulk/")
    page.set_input_files("#bulk-files", files)
    wait_for_uploads(page)
    states = page.eval_on_selector_all(".upload-row", "rows => rows.map(r => r.dataset.state)")
    assert states == ["done"] * 5 and refused, (states, refused)
    assert "5 uploaded" in page.locator("#upload-summary").inner_text()
