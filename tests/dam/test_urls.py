"""The API docs work without internet: Swagger UI and ReDoc pages, and every script and stylesheet they name, come
from this server (drf-spectacular-sidecar's static files), not from a CDN."""
import re
import urllib.request
from urllib.parse import urljoin

import pytest
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db(transaction=True)

ASSET_URL = re.compile(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"')


def fetch(url, token=None):
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read()


@pytest.mark.parametrize("path, bundle", [("/api/docs/", "swagger-ui-bundle.js"), ("/api/redoc/", "redoc.standalone.js")])
def test_the_api_docs_and_their_scripts_come_from_this_server(live_server, user, path, bundle):
    token = Token.objects.create(user=user).key
    status, kind, body = fetch(live_server.url + path, token)
    html = body.decode()
    assert status == 200 and kind.startswith("text/html")
    assert "cdn." not in html and "jsdelivr" not in html and "unpkg" not in html, "no CDN in the page"
    assets = [urljoin(live_server.url + path, url) for url in ASSET_URL.findall(html)]
    assert any(url.endswith(bundle) for url in assets), assets
    for url in assets:
        assert url.startswith(live_server.url + "/static/"), f"{url} is not one of our static files"
        status, _, content = fetch(url)
        assert status == 200 and content, url
        if url.endswith(bundle):
            assert len(content) > 100_000, "the whole bundle, not a stub"
