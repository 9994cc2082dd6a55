"""Transport security: production settings (HSTS, secure cookies) and the Content-Security-Policy header."""
import json
import os
import re
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

from support import REPO

pytestmark = pytest.mark.django_db


def _settings_under(env):
    """Import dam.settings in a fresh interpreter with ``env``, as a production process would."""
    code = ("import json, dam.settings as s; print(json.dumps({k: getattr(s, k, None) for k in ("
            "'LUMEN_SECURE', 'LUMEN_CSP', 'SECURE_HSTS_SECONDS', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
            "'SECURE_SSL_REDIRECT', 'MIDDLEWARE')}))")
    inherited = {name: value for name, value in os.environ.items() if name not in ("LUMEN_CSP", "LUMEN_SECURE")}
    environ = {**inherited, "LUMEN_VAR_DIR": str(REPO / "var" / "test"), **env}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=environ, capture_output=True, text=True,
                            check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_turns_on_hsts_and_secure_cookies_and_the_policy_is_on_everywhere():
    production = _settings_under({"DEBUG": "false", "LUMEN_SECURE": "true"})
    assert production["LUMEN_SECURE"] and production["SECURE_HSTS_SECONDS"] >= 31536000
    assert production["SESSION_COOKIE_SECURE"] and production["CSRF_COOKIE_SECURE"] and production["SECURE_SSL_REDIRECT"]
    assert "core.middleware.ContentSecurityPolicyMiddleware" in production["MIDDLEWARE"]
    by_default = _settings_under({})
    assert not by_default["LUMEN_SECURE"] and by_default["LUMEN_CSP"] == production["LUMEN_CSP"]
    assert "script-src 'self' 'nonce-{nonce}';" in by_default["LUMEN_CSP"]
    assert _settings_under({"LUMEN_CSP": "off"})["LUMEN_CSP"] == ""


def test_pages_carry_the_policy_and_hsts_over_https(settings, make_user, make_asset):
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    owner = make_user("owner")
    asset = make_asset(owner)
    client = Client(HTTP_X_FORWARDED_PROTO="https")
    client.force_login(owner)
    response = client.get(reverse("assets:detail", kwargs={"uid": asset.uid}))
    assert response["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self' 'nonce-")
    assert response["Strict-Transport-Security"].startswith("max-age=3600")


def test_pages_have_no_inline_scripts_the_policy_would_block(make_user, make_asset, login):
    """Only JSON-LD data blocks may be inline; every script runs from a static file."""
    owner = make_user("owner")
    asset = make_asset(owner)
    client = login(owner)
    for url in (reverse("assets:library"), reverse("assets:detail", kwargs={"uid": asset.uid}),
                reverse("governance:trash"), reverse("governance:rights_report")):
        page = client.get(url).content.decode()
        for tag in re.findall(r"<script\b[^>]*>", page):
            assert "src=" in tag or 'type="application/ld+json"' in tag or 'type="application/json"' in tag, (url, tag)
        assert not re.search(r"\son[a-z]+=", page), url
