"""Failed sign-ins lock the address out (django-axes counting in the real Redis cache) on the login form, the
admin's login, ``/api/token/`` and wrong API tokens, and a locked-out address is refused before any password is
hashed: the password backend is never reached."""
import time
from datetime import timedelta

import pytest
from django.contrib.auth.backends import ModelBackend
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
ADDRESS = "203.0.113.20"


@pytest.fixture
def limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    return 3


@pytest.fixture
def password_checks(monkeypatch):
    """How many times Django's password backend ran (each run hashes a password: the CPU a guess costs)."""
    calls = []
    authenticate = ModelBackend.authenticate

    def counting(self, request, username=None, password=None, **kwargs):
        calls.append(username)
        return authenticate(self, request, username=username, password=password, **kwargs)
    monkeypatch.setattr(ModelBackend, "authenticate", counting)
    return calls


def test_the_login_form_locks_an_address_out_before_hashing(limit, password_checks, user):
    browser = Client(REMOTE_ADDR=ADDRESS)
    for _ in range(limit - 1):
        wrong = browser.post("/login/", {"username": user.username, "password": "wrong"})
        assert wrong.status_code == 200 and "enter a correct username and password" in wrong.content.decode()
    locked = browser.post("/login/", {"username": user.username, "password": "wrong"})
    assert locked.status_code == 429
    assert len(password_checks) == limit
    right = browser.post("/login/", {"username": user.username, "password": "correct-horse-battery"})
    assert right.status_code == 429 and len(password_checks) == limit  # refused unhashed, even the right one
    page = right.content.decode()
    assert "Too many failed sign-ins from your address. Try again in 15 minutes." in page
    assert int(right["Retry-After"]) == 15 * 60
    elsewhere = Client(REMOTE_ADDR="203.0.113.21")
    assert elsewhere.post("/login/", {"username": user.username, "password": "correct-horse-battery"}).status_code == 302


def test_the_admin_login_counts_too(limit, password_checks, admin_user):
    browser = Client(REMOTE_ADDR=ADDRESS)
    for _ in range(limit):
        browser.post("/admin/login/", {"username": admin_user.username, "password": "wrong"})
    locked = browser.post("/admin/login/", {"username": admin_user.username, "password": "correct-horse-battery"})
    assert locked.status_code == 429 and len(password_checks) == limit


def test_token_creation_answers_a_locked_out_address_with_429_json(limit, password_checks, user):
    client = APIClient(REMOTE_ADDR=ADDRESS)
    wrong = {"username": user.username, "password": "wrong"}
    assert [client.post("/api/token/", wrong).status_code for _ in range(limit)] == [400] * limit
    locked = client.post("/api/token/", {"username": user.username, "password": "correct-horse-battery"})
    assert locked.status_code == 429 and int(locked["Retry-After"]) == 15 * 60
    assert locked.json() == {"error": "locked_out",
                             "message": "Too many failed sign-ins from your address. Try again in 15 minutes."}
    assert len(password_checks) == limit


def test_failures_are_per_address_whatever_the_username(limit, password_checks, make_user):
    """Rotating usernames does not buy more guesses: the address is what is counted."""
    client = APIClient(REMOTE_ADDR=ADDRESS)
    for n in range(limit):
        client.post("/api/token/", {"username": f"someone-{n}", "password": "wrong"})
    assert client.post("/api/token/", {"username": "another", "password": "wrong"}).status_code == 429
    assert len(password_checks) == limit


def test_wrong_api_tokens_lock_the_address_out(limit, user):
    good = Token.objects.create(user=user).key
    guessing = APIClient(REMOTE_ADDR=ADDRESS, HTTP_AUTHORIZATION="Token " + "0" * 40)
    # Refused as unauthenticated (403: the session comes first among the schemes), the last one as locked out.
    assert [guessing.get("/api/assets/").status_code for _ in range(limit)] == [403] * (limit - 1) + [429]
    locked = APIClient(REMOTE_ADDR=ADDRESS, HTTP_AUTHORIZATION=f"Token {good}").get("/api/assets/")
    assert locked.status_code == 429 and locked.json()["error"] == "locked_out"
    assert APIClient(REMOTE_ADDR="203.0.113.21", HTTP_AUTHORIZATION=f"Token {good}").get("/api/assets/").status_code == 200


def test_the_lockout_ends_after_the_cool_off(limit, settings, user):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=2)
    client = APIClient(REMOTE_ADDR=ADDRESS)
    for _ in range(limit):
        client.post("/api/token/", {"username": user.username, "password": "wrong"})
    right = {"username": user.username, "password": "correct-horse-battery"}
    assert client.post("/api/token/", right).status_code == 429
    time.sleep(2.5)
    assert client.post("/api/token/", right).status_code == 200


def test_a_successful_sign_in_does_not_buy_more_guesses(limit, make_user, user):
    """One valid account must not reset the count and so let its holder guess another's password forever."""
    make_user("accomplice")
    client = APIClient(REMOTE_ADDR=ADDRESS)
    for _ in range(limit - 1):
        client.post("/api/token/", {"username": user.username, "password": "wrong"})
    assert client.post("/api/token/", {"username": "accomplice", "password": "correct-horse-battery"}).status_code == 200
    assert client.post("/api/token/", {"username": user.username, "password": "wrong"}).status_code == 400
    assert client.post("/api/token/", {"username": user.username, "password": "wrong"}).status_code == 429
