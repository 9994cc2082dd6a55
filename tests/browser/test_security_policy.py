"""The Content-Security-Policy in a real browser: our pages work under it (every browser test fails on a
violation, see conftest), it really blocks what it should, and the API docs (Swagger UI, ReDoc) run under it."""
import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INJECT_INLINE_SCRIPT = """() => {
  const script = document.createElement('script');
  script.textContent = 'window.injected = true';
  document.body.appendChild(script);
  return Boolean(window.injected);
}"""


def test_an_injected_inline_script_is_blocked_and_reported(signed_in_page, csp_violations):
    page = signed_in_page
    assert page.evaluate(INJECT_INLINE_SCRIPT) is False
    page.wait_for_timeout(200)  # the violation event is dispatched asynchronously
    assert any(v.startswith("script-src-elem blocked inline") for v in csp_violations), csp_violations
    csp_violations.clear()


REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"  # ReDoc always tries it; no option turns it off


def test_swagger_ui_and_redoc_run_from_our_static_files_under_the_sites_policy(signed_in_page, live_server,
                                                                             screenshots, csp_violations):
    """No CDN (nor font service): both render the schema from this server alone. The one outside request, ReDoc's
    "API docs by Redocly" logo, is blocked by the policy (the link keeps its text) and is the only violation."""
    page = signed_in_page
    elsewhere = []
    page.on("request", lambda request: request.url.startswith(live_server.url) or elsewhere.append(request.url))
    response = page.goto(f"{live_server.url}/api/docs/")
    assert "cdn" not in response.headers["content-security-policy"] and "'nonce-" in \
        response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Lumen DAM API")
    expect(page.locator(".opblock-summary-path", has_text="/api/assets/{uid}/").first).to_be_visible()
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"  # the inline style applied
    screenshots(page, "swagger", fits_phone=False, full_page=False)
    page.goto(f"{live_server.url}/api/redoc/")
    expect(page.locator("#redoc-container h1")).to_contain_text("Lumen DAM API", timeout=60_000)  # a big schema, a busy CPU
    expect(page.get_by_text("Version history, newest first").first).to_be_attached()
    screenshots(page, "redoc", fits_phone=False, full_page=False)
    assert [url for url in elsewhere if url != REDOCLY_LOGO] == [], f"the docs fetched from elsewhere: {elsewhere}"
    blocked = [violation for violation in csp_violations if REDOCLY_LOGO not in violation]
    assert blocked == [] and csp_violations, "only the logo is blocked"
    csp_violations.clear()
