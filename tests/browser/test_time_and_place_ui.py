"""The timeline and the map in headless Chromium, over camera photos with capture dates and GPS positions from
the shared samples (previews made by the real worker)."""
import pytest

from assets.models import Asset
from assets.services.ingest import ingest_file
from search import browse
from search.query import SearchQuery
from support import SAMPLES, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

GPS = sorted((SAMPLES / "jpg" / "gps").glob("*.jpg"))


@pytest.fixture
def photos(celery_worker, actor):
    """Nine photos with positions near Arezzo, and four camera samples without one, with their previews."""
    paths = [*GPS, *(SAMPLES / "jpg" / name for name in ("Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg",
                                                          "Sony_HDR-HC3.jpg"))]
    assets = []
    for path in paths:
        with path.open("rb") as handle:
            assets.append(ingest_file(handle, filename=path.name, actor=actor, title=path.stem).asset)
    wait_for(lambda: not Asset.objects.filter(status=Asset.Status.PROCESSING).exists(), timeout=240,
             message="the worker to make the previews")
    return assets


def test_timeline_groups_by_month_and_the_scrubber_jumps(signed_in_page, live_server, photos, user, screenshots):
    months = browse.months(SearchQuery(), user)
    page = signed_in_page
    page.goto(f"{live_server.url}/search/timeline/")
    sections = page.locator(".timeline-month")
    assert sections.count() == min(len(months), browse.MONTHS_PER_PAGE)
    assert sections.first.locator("h2").inner_text().startswith(months[0].label)
    page.wait_for_function("() => [...document.querySelectorAll('.timeline-month img')].every(i => i.naturalWidth > 0)")
    screenshots(page, "timeline")

    page.set_viewport_size({"width": 1440, "height": 900})
    oldest = len(months) - 1
    page.locator("#scrubber-range").evaluate(
        f"(range) => {{ range.value = {oldest}; range.dispatchEvent(new Event('input')); }}")
    assert page.locator("#scrubber-label").inner_text() == months[-1].label
    page.locator("#scrubber-range").dispatch_event("change")
    page.wait_for_url(f"**from={months[-1].month}*")
    assert page.locator(".timeline-month h2").first.inner_text().startswith(months[-1].label)

    page.goto(f"{live_server.url}/search/timeline/?q=DSCN0010")
    assert page.locator(".timeline-month").count() == 1 and "1 image" in page.locator(".timeline-month h2").inner_text()


def test_map_shows_where_photos_were_taken_over_offline_outlines(signed_in_page, live_server, photos, screenshots):
    page = signed_in_page
    page.goto(f"{live_server.url}/search/map/")
    page.wait_for_function("() => document.querySelectorAll('.leaflet-overlay-pane path').length > 100",
                           timeout=30_000)  # the countries, drawn from the vendored world-atlas outlines
    marker = page.locator("path.place-marker")
    marker.first.wait_for()
    assert "9 images with a position in view" in page.locator("#map-status").inner_text()
    counts = page.locator(".place-count")
    page.wait_for_function("() => document.querySelectorAll('.place-count').length"
                           " === document.querySelectorAll('path.place-marker').length")  # old labels fade out
    assert sum(int(c) for c in counts.all_inner_texts()) == len(GPS)
    screenshots(page, "map")

    page.set_viewport_size({"width": 1440, "height": 900})
    # The click goes to the marker itself: a click at its old coordinates missed it once in CI, while the map
    # was still laying itself out for the new size (and redrawing its markers after that move).
    marker.first.dispatch_event("click")
    popup = page.locator(".leaflet-popup-content .map-popup")
    popup.wait_for()
    assert f"{live_server.url}/assets/" in popup.locator("a").get_attribute("href")
    page.locator(".map-popup img").evaluate("img => img.complete || new Promise(r => img.onload = r)")
    page.wait_for_function("() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")
    screenshots(page, "popup", widths=(1440,))

    page.goto(f"{live_server.url}/search/map/?q=Canon_40D")
    page.wait_for_function("() => document.getElementById('map-status').textContent.startsWith('No image')")
