"""People in headless Chromium: a site admin invites someone, who chooses a password from the link in another
browser; the admin grants them a collection role by name (suggested as they type), revokes it after a
confirmation, and deactivates them; the invited person meets a 403 page, not the login form, on the people page."""
import pytest
from playwright.sync_api import expect

from assets.models import CollectionRole

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "violet-lantern-harbour-42"


def sign_in(page, live_server, username, password="correct-horse-battery"):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")


def test_invite_a_person_grant_them_a_role_by_name_then_revoke_and_deactivate(page, browser, live_server, admin_user,
                                                                             make_collection, screenshots):
    make_collection("News")
    sign_in(page, live_server, admin_user.username)
    page.locator(".nav-more summary").click()
    page.get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    page.get_by_label("Username").fill("dora")
    page.get_by_label("First name").fill("Dora")
    page.get_by_label("Email").fill("dora@example.com")
    page.get_by_role("button", name="Add person").click()
    expect(page.locator(".invitation")).to_contain_text("also mailed to dora@example.com")
    invitation = page.locator("#invitation-address").input_value()
    assert invitation.startswith(f"{live_server.url}/invitation/")
    screenshots(page, "invited")

    stranger = browser.new_context(viewport={"width": 1440, "height": 900})
    dora = stranger.new_page()
    dora.goto(invitation)
    expect(dora.get_by_role("heading", level=1)).to_have_text("Welcome, Dora")
    screenshots(dora, "choose-password")
    dora.get_by_label("New password", exact=True).fill(PASSWORD)
    dora.get_by_label("New password confirmation").fill(PASSWORD)
    dora.get_by_role("button", name="Set password and sign in").click()
    dora.wait_for_url(f"{live_server.url}/")
    expect(dora.locator(".messages")).to_contain_text("your password is set")
    refused = dora.goto(f"{live_server.url}/users/")
    assert refused.status == 403
    expect(dora.get_by_role("heading", level=1)).to_have_text("You may not open this page")
    expect(dora.locator(".site-nav")).to_be_visible()
    screenshots(dora, "forbidden")

    page.goto(f"{live_server.url}/collections/news/roles/")
    user_field = page.get_by_label("User")
    user_field.press_sequentially("do", delay=50)
    expect(page.locator("#people-suggestions option[value='dora']")).to_have_count(1)
    user_field.fill("dorothy")
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Grant").click()
    expect(page.locator(".field-error")).to_contain_text("There is no active user named “dorothy”")
    page.get_by_label("User").fill("dora")
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Grant").click()
    expect(page.locator(".messages")).to_contain_text("dora is now viewer of News")
    screenshots(page, "granted")

    page.get_by_role("button", name="Revoke the role of dora").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Take away dora's role on News?")
    dialog.get_by_role("button", name="Revoke role").click()
    expect(page.locator(".messages")).to_contain_text("dora no longer has a role on News")
    assert not CollectionRole.objects.filter(user__username="dora").exists()

    page.goto(f"{live_server.url}/users/")
    page.get_by_role("link", name="dora").click()
    expect(page.locator(".page-head .badge")).to_have_text("Active")
    page.get_by_role("button", name="Deactivate").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Deactivate dora?")
    dialog.get_by_role("button", name="Deactivate").click()
    expect(page.locator(".messages")).to_contain_text("dora is deactivated")
    expect(page.locator(".page-head .badge")).to_have_text("Deactivated")
    screenshots(page, "deactivated")

    dora.goto(f"{live_server.url}/")
    assert dora.url.startswith(f"{live_server.url}/login/"), "a deactivated person is signed out"
    stranger.close()
