"""Headless Chromium for the browser tests: Debian's build, never a downloaded one. Every page a test opens is
watched for Content-Security-Policy violations, and a test that caused one fails. ``screenshots`` keeps what a
reviewer opens: each page at desktop and phone width in var/screenshots/ (CI keeps that folder)."""
import io
import os
import shutil

import pytest
from PIL import Image
from skimage import data

from assets.models import Asset
from assets.services.ingest import ingest_file
from core.audit import Actor
from support import REPO, wait_for

# Playwright's sync API keeps an event loop running in the test thread; the ORM calls the
# tests make in that same thread (fixtures, assertions) are still ordinary synchronous ones.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (scripts/bootstrap.sh --test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Runs before the page's own scripts in every document (injected by the browser, so the policy does not apply).
REPORT_CSP_VIOLATIONS = """document.addEventListener('securitypolicyviolation', event =>
  window.reportCspViolation(`${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} on ${event.documentURI}`));"""


@pytest.fixture
def csp_violations():
    """What the pages of this test had blocked by their policy (a test expecting some clears the list)."""
    return []


@pytest.fixture
def page(browser, csp_violations):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.expose_function("reportCspViolation", lambda violation: csp_violations.append(violation))
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.on("console", lambda message: "Content Security Policy" in message.text
            and csp_violations.append(message.text))
    page.set_default_timeout(30_000)
    yield page
    context.close()
    assert not csp_violations, f"the Content-Security-Policy blocked: {csp_violations}"


@pytest.fixture
def signed_in_page(page, live_server, user):
    """A browser that logged in through the real login form."""
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    return page


SCREENSHOTS = REPO / "var" / "screenshots"  # CI keeps this folder for reviewers
SCREEN_SIZES = {1440: 900, 375: 812}  # desktop and phone
OVERFLOWING = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 8).map(el => `${el.tagName.toLowerCase()}.${el.className} (${Math.round(el.getBoundingClientRect().right)}px)`)"""


@pytest.fixture
def screenshots(request):
    """``screenshots(page, "step")``: the page as it is now at 1440×900 and at 375×812, saved as
    ``var/screenshots/<test name>-<step>-<width>.png``; fails when the phone-sized page scrolls sideways
    (``fits_phone=False`` for pages that are not ours; ``full_page=False``: the first screen of a long one;
    ``widths=(1440,)``: desktop only).
    The page gets its earlier viewport back afterwards."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shoot(page, step="", *, fits_phone=True, full_page=True, widths=tuple(SCREEN_SIZES)):
        earlier = page.viewport_size
        name = "-".join(part for part in (request.node.name, step) if part)
        for width in widths:
            height = SCREEN_SIZES[width]
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(100)  # layout and lazy images settle
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0 or not fits_phone, f"{page.url} is wider than {width}px: {page.evaluate(OVERFLOWING)}"
            page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=full_page)
        page.set_viewport_size(earlier)
    return shoot


@pytest.fixture
def photos(celery_worker):
    """``photos(owner, names)``: real photographs (scikit-image's), uploaded as ``owner`` and given their previews
    by the real worker."""
    def upload(owner, names=("chelsea", "coffee", "astronaut", "rocket", "camera")):
        assets = []
        for name in names:
            buffer = io.BytesIO()
            Image.fromarray(getattr(data, name)()).convert("RGB").save(buffer, "JPEG", quality=90)
            assets.append(ingest_file(io.BytesIO(buffer.getvalue()), filename=f"{name}.jpg", actor=Actor(owner),
                                      title=name.capitalize()).asset)
        wait_for(lambda: not Asset.objects.filter(status=Asset.Status.PROCESSING).exists(), timeout=180,
                 message="the worker to make the previews")
        return [Asset.objects.get(pk=asset.pk) for asset in assets]
    return upload
