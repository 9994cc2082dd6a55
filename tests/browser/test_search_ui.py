"""The search page in headless Chromium: images enriched by the real worker, found by typing a word."""
import pytest
from skimage import data

from assets.services.ingest import ingest_file
from enrichment.models import Capability, EnrichmentJob
from support import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("concepts")]


def jpeg_file(tmp_path, name):
    from PIL import Image

    path = tmp_path / f"{name}.jpg"
    Image.fromarray(getattr(data, name)()).convert("RGB").save(path, "JPEG", quality=90)
    return path


def classified(version):
    return EnrichmentJob.objects.filter(version=version, capability=Capability.CLASSIFY,
                                        status=EnrichmentJob.Status.DONE).exists()


def test_type_a_word_pick_the_concept_and_see_why(signed_in_page, live_server, celery_worker, actor, tmp_path):
    versions = []
    for name in ("chelsea", "coffee"):
        with jpeg_file(tmp_path, name).open("rb") as handle:
            versions.append(ingest_file(handle, filename=f"{name}.jpg", actor=actor).version)
    wait_for(lambda: all(classified(v) for v in versions), timeout=180, message="the worker to classify both images")

    page = signed_in_page
    page.goto(f"{live_server.url}/search/")
    page.locator("#id_q").press_sequentially("cat", delay=80)
    suggestion = page.locator(".suggestion", has=page.locator("strong", has_text="cat")).first
    suggestion.wait_for(state="visible")
    assert "1 image" in suggestion.inner_text()
    suggestion.dispatch_event("mousedown")

    page.wait_for_url("**/search/?*concept=*")
    assert page.locator(".filter-chips").inner_text().split() == ["Concept:", "cat", "×"]
    hits = page.locator(".hit")
    hits.first.wait_for()
    assert hits.count() == 1 and "chelsea" in hits.first.inner_text().lower()
    page.wait_for_function("() => [...document.querySelectorAll('.hit img')].every(img => img.naturalWidth > 0)")
    hits.first.locator("summary", has_text="Why this result").click()
    explanation = hits.first.locator(".why-concept").first.inner_text()
    assert "Concept cat via" in explanation and "mobilenetv2" in explanation
    facets = page.locator(".facets")
    assert facets.is_visible() and "Concepts" in facets.inner_text() and "Formats" in facets.inner_text()
    page.screenshot(path=tmp_path / "search.png", full_page=True)

    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the search page overflows a phone"
    page.screenshot(path=tmp_path / "search-phone.png", full_page=True)
