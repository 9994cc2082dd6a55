"""Request budgets, counted in the real Redis cache: per address, per user, per token, and the stricter scopes of
uploads, searches and token creation; over budget, a 429 with ``Retry-After`` and a sentence a person can read."""
import os
import subprocess
import sys

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from support import REPO

pytestmark = pytest.mark.django_db
ASSETS = reverse("api:asset-list")


@pytest.fixture
def rates(settings):
    """``rates(user="3/min")``: small budgets for the test (the others stay as configured)."""
    def set_rates(**scopes):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **scopes}}
    return set_rates


def spend(client, url, times, **kwargs):
    return [client.get(url, **kwargs).status_code for _ in range(times)]


def assert_throttled(response, seconds_at_most):
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= seconds_at_most
    body = response.data  # in whatever format the endpoint speaks
    assert body["error"] == "throttled"
    assert body["message"] == f"Too many requests. Try again in {response['Retry-After']} second" + (
        "s." if response["Retry-After"] != "1" else ".")


def test_a_signed_in_user_has_a_budget_of_their_own(rates, make_user):
    rates(user="3/min")
    alice, bob = APIClient(), APIClient()
    alice.force_login(make_user("alice"))
    bob.force_login(make_user("bob"))
    assert spend(alice, ASSETS, 3) == [200, 200, 200]
    assert_throttled(alice.get(ASSETS), 60)
    assert bob.get(ASSETS).status_code == 200


def test_an_api_token_has_its_own_budget_apart_from_the_browser_session(rates, make_user):
    rates(user="2/min", token="4/min")
    owner = make_user("owner")
    script = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=owner).key}")
    browser = APIClient()
    browser.force_login(owner)
    assert spend(script, ASSETS, 4) == [200] * 4
    assert_throttled(script.get(ASSETS), 60)
    assert spend(browser, ASSETS, 2) == [200, 200]
    assert browser.get(ASSETS).status_code == 429


def test_anonymous_callers_are_counted_per_address(rates):
    rates(anon="2/min")
    schema = reverse("api-schema")
    first, second = APIClient(REMOTE_ADDR="203.0.113.7"), APIClient(REMOTE_ADDR="203.0.113.8")
    assert spend(first, schema, 2) == [200, 200]
    assert_throttled(first.get(schema), 60)
    assert second.get(schema).status_code == 200


def test_a_forwarded_address_counts_only_behind_as_many_proxies_as_configured(rates, settings):
    rates(anon="1/min")
    schema = reverse("api-schema")
    spoofing = APIClient(REMOTE_ADDR="203.0.113.7")
    assert spoofing.get(schema, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    assert spoofing.get(schema, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 429  # no proxy: the header is ignored
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    behind_proxy = APIClient(REMOTE_ADDR="10.0.0.1")
    assert behind_proxy.get(schema, HTTP_X_FORWARDED_FOR="198.51.100.3").status_code == 200
    assert behind_proxy.get(schema, HTTP_X_FORWARDED_FOR="198.51.100.4").status_code == 200


def test_uploads_spend_the_stricter_upload_budget_and_reads_do_not(rates, make_user, new_image):
    rates(upload="2/min")
    client = APIClient()
    client.force_login(make_user("uploader"))
    def upload():
        return client.post(ASSETS, {"file": _file(new_image())}, format="multipart")
    assert [upload().status_code for _ in range(2)] == [201, 201]
    assert_throttled(upload(), 60)
    assert spend(client, ASSETS, 3) == [200] * 3


def test_searches_spend_the_search_budget_in_the_api_and_on_the_page(rates, make_user):
    rates(search="2/min")
    client = APIClient()
    client.force_login(make_user("searcher"))
    assert spend(client, "/api/search/", 1, data={"q": "cat"}) == [200]
    assert client.get(reverse("search:search"), {"q": "cat"}).status_code == 200
    assert_throttled(client.get("/api/search/", {"q": "cat"}), 60)
    page = client.get(reverse("search:search"), {"q": "cat"})
    assert page.status_code == 429 and int(page["Retry-After"]) >= 1
    assert "Too many requests. Try again in" in page.content.decode()


def test_the_bulk_upload_script_gets_json_it_can_wait_on(rates, make_user, new_image):
    rates(upload="1/min")
    client = APIClient()
    client.force_login(make_user("uploader"))
    url = reverse("assets:upload_api")
    assert client.post(url, {"file": _file(new_image())}, HTTP_ACCEPT="application/json").status_code == 201
    refused = client.post(url, {"file": _file(new_image())}, HTTP_ACCEPT="application/json")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert refused.json()["ok"] is False and refused.json()["message"].startswith("Too many requests.")


def test_token_creation_has_the_login_budget_per_address(rates, make_user):
    rates(login="2/min")
    make_user("scripter")
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    credentials = {"username": "scripter", "password": "correct-horse-battery"}
    assert [client.post("/api/token/", credentials).status_code for _ in range(2)] == [200, 200]
    assert_throttled(client.post("/api/token/", credentials), 60)


def test_the_budget_is_shared_by_every_web_process(rates, make_user):
    """Another process (as another gunicorn worker would) spends the user's budget through the same Redis."""
    rates(user="3/min")
    user = make_user("shared")
    code = (
        "import django; django.setup()\n"
        "from types import SimpleNamespace\n"
        "from core.throttling import UserThrottle\n"
        f"request = SimpleNamespace(user=SimpleNamespace(pk={user.pk}, is_authenticated=True), auth=None)\n"
        "UserThrottle.get_rate = lambda self: '3/min'\n"
        "print([UserThrottle().allow_request(request, None) for _ in range(3)])\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dam.test_settings"}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                            check=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "[True, True, True]"
    client = APIClient()
    client.force_login(user)
    assert client.get(ASSETS).status_code == 429


def test_a_budget_switched_off_never_refuses(rates, make_user):
    rates(user=None)
    client = APIClient()
    client.force_login(make_user("unlimited"))
    assert set(spend(client, ASSETS, 20)) == {200}


def _file(data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("upload.png", data, content_type="image/png")
