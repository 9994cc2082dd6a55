"""Error pages: in words, with the site's navigation, JSON under /api/; a signed-in person who may not open a
page is told so instead of being sent to log in."""
import pytest
from django.test import Client
from django.urls import path, reverse

from dam import urls as site_urls

pytestmark = pytest.mark.django_db


def failing_view(request):
    raise RuntimeError("boom")


# The site's routes and handlers, and two views that fail.
urlpatterns = [path("boom/", failing_view), path("api/boom/", failing_view), *site_urls.urlpatterns]
handler500 = site_urls.handler500


def test_not_found_page_has_the_navigation_and_a_search(login, user):
    response = login(user).get("/no/such/page/")
    html = response.content.decode()
    assert response.status_code == 404 and "We cannot find that page" in html
    assert 'class="site-nav"' in html and 'name="q"' in html


def test_api_paths_answer_in_json(login, user):
    response = login(user).get("/api/no-such-endpoint/")
    assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_a_signed_in_person_who_is_not_a_site_admin_gets_the_403_page(login, user):
    response = login(user).get(reverse("governance:audit"))
    html = response.content.decode()
    assert response.status_code == 403 and "Only site administrators may open this page." in html
    assert 'class="site-nav"' in html and "/login/" not in response.get("Location", "")


def test_the_admin_pages_give_a_signed_in_person_who_is_not_staff_the_403_page_not_a_sign_in_form(login, user):
    browser = login(user)
    redirected = browser.get("/admin/", follow=True)
    html = redirected.content.decode()
    assert redirected.status_code == 403 and "The administration pages are for site administrators only." in html
    assert 'class="site-nav"' in html and 'name="password"' not in html


def test_signed_out_people_are_still_sent_to_log_in(client):
    response = client.get(reverse("governance:audit"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    admin = client.get("/admin/", follow=True)
    assert admin.status_code == 200 and 'name="password"' in admin.content.decode()


@pytest.mark.urls(__name__)
def test_server_error_page_says_what_to_do_and_quotes_the_request_id():
    client = Client(raise_request_exception=False)
    response = client.get("/boom/", HTTP_X_REQUEST_ID="req-1234")
    html = response.content.decode()
    assert response.status_code == 500 and "Something went wrong on our side" in html and "req-1234" in html
    assert 'class="site-nav"' in html
    api = client.get("/api/boom/", HTTP_X_REQUEST_ID="req-5678")
    assert api.status_code == 500 and api.json() == {"error": "server_error", "request_id": "req-5678",
                                                     "message": "Something went wrong on our side; try again."}


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
