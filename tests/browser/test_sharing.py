"""Share links in headless Chromium: made on the asset's and the collection's pages, opened in a browser that
never signed in, revoked from the list with a confirmation, and dead at once."""
import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_share_an_image_and_a_collection_open_them_signed_out_then_revoke(signed_in_page, live_server, user, browser,
                                                                          photos, make_collection, screenshots):
    news = make_collection("News", alice="admin")
    harbour, coffee = photos(user, names=("chelsea", "coffee"))
    coffee.collections.add(news)
    page = signed_in_page

    page.goto(f"{live_server.url}/assets/{harbour.uid}/")
    page.get_by_role("link", name="Share a link").click()
    page.get_by_label("1 day").check()
    page.get_by_label("Let people download the original files").check()
    page.get_by_label("Note").fill("for the press office")
    page.get_by_role("button", name="Make link").click()
    expect(page.locator(".messages")).to_contain_text("Share link made")
    address = page.locator(".copy-field input").first.input_value()
    assert address.startswith(f"{live_server.url}/shared/")
    screenshots(page, "asset-page")

    stranger = browser.new_context(viewport={"width": 1440, "height": 900})
    visitor = stranger.new_page()
    visitor.goto(address)
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Chelsea")
    visitor.wait_for_function("() => { const img = document.querySelector('.preview-image img');"
                              " return img && img.complete && img.naturalWidth > 0; }")
    expect(visitor.locator(".download-original")).to_contain_text("JPEG")
    assert visitor.locator(".site-nav").count() == 0, "a visitor sees no library navigation"
    screenshots(visitor, "visitor")

    page.goto(f"{live_server.url}/collections/")
    page.get_by_role("link", name="Share").click()
    page.get_by_role("button", name="Make link").click()
    collection_address = page.locator(".copy-field input").first.input_value()
    visitor.goto(collection_address)
    expect(visitor.locator(".asset-tile")).to_have_count(1)
    visitor.locator(".tile-open").first.click()
    viewer = visitor.get_by_role("dialog", name="Image viewer")
    expect(viewer).to_contain_text("Coffee")
    viewer.get_by_text("Download", exact=True).click()
    expect(viewer.locator(".download-choices")).to_contain_text("Medium · 600 × 400")
    assert "Original" not in viewer.locator(".download-choices").inner_text()
    screenshots(visitor, "collection")
    visitor.keyboard.press("Escape")

    page.locator(".nav-more summary").click()
    page.get_by_role("link", name="Share links").click()
    expect(page.locator(".share-table tbody tr")).to_have_count(2)
    screenshots(page, "list")
    row = page.locator(".share-table tbody tr", has_text="for the press office")
    row.get_by_role("button", name="Revoke").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Revoke the share link to “Chelsea”?")
    dialog.get_by_role("button", name="Revoke link").click()
    expect(page.locator(".messages")).to_contain_text("no longer works")
    expect(row).to_contain_text("Revoked")

    response = visitor.goto(address)
    assert response.status == 410
    expect(visitor.locator(".refusal")).to_contain_text("revoked by the person who shared it")
    stranger.close()
