"""People in headless Chromium: the real worker detects the astronaut's faces (YuNet) and recognises them (dlib)
in a collection that opted in; a person is named, then found by ``person:`` in search and its People facet."""
import io

import pytest
from PIL import Image, ImageOps
from skimage import data

from assets.services.ingest import ingest_file
from core.audit import Actor
from enrichment.models import Capability, EnrichmentJob, FaceDescriptor
from enrichment.services import people
from support import SAMPLES, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("concepts")]


def jpeg(image):
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=90)
    buffer.seek(0)
    return buffer


def test_name_a_person_and_find_their_photos(signed_in_page, live_server, celery_worker, user, make_collection,
                                             screenshots):
    family = make_collection("Family", alice="admin")
    page = signed_in_page
    page.goto(f"{live_server.url}/people/")
    assert "No people yet" in page.content()
    page.get_by_role("button", name="Turn on").click()
    page.wait_for_url("**/people/")
    assert "Face recognition is on for “Family”" in page.locator(".messages").inner_text()
    assert people.is_recognised(family)

    astronaut = Image.fromarray(data.astronaut())
    uploads = {"astronaut.jpg": astronaut, "astronaut-mirrored.jpg": ImageOps.mirror(astronaut),
               "astronaut-small.jpg": astronaut.resize((300, 300)),
               "someone-else.jpg": Image.open(SAMPLES / "jpg" / "invalid" / "image00971.jpg")}
    versions = [ingest_file(jpeg(image), filename=name, actor=Actor(user=user), collections=[family],
                            title=name.removesuffix(".jpg").replace("-", " ").capitalize()).version
                for name, image in uploads.items()]
    wait_for(lambda: EnrichmentJob.objects.filter(version__in=versions, capability=Capability.PEOPLE,
                                                  status=EnrichmentJob.Status.DONE).count() == len(versions),
             timeout=300, message="the worker to recognise every face")
    astronaut_person = FaceDescriptor.objects.get(version=versions[0]).person

    page.goto(f"{live_server.url}/people/")
    cards = page.locator(".person-card")
    assert cards.count() == 2 and "3 photos" in cards.first.inner_text()
    page.wait_for_function("() => [...document.querySelectorAll('.person-card img')].every(i => i.naturalWidth > 0)")
    screenshots(page, "people")

    page.set_viewport_size({"width": 1440, "height": 900})
    cards.first.get_by_role("link").click()
    page.wait_for_url(f"**/people/{astronaut_person.pk}/")
    page.get_by_label("Name", exact=True).fill("Eileen Collins")
    page.get_by_role("button", name="Save name").click()
    page.wait_for_url(f"**/people/{astronaut_person.pk}/")
    assert page.locator("h1").inner_text() == "Eileen Collins"
    page.wait_for_function("() => [...document.querySelectorAll('.person-card img')].every(i => i.naturalWidth > 0)")
    screenshots(page, "person")

    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server.url}/search/?q=person:%22Eileen+Collins%22")
    hits = page.locator(".hit")
    hits.first.wait_for()
    assert hits.count() == 3 and "someone else" not in page.locator(".hit-grid").inner_text().lower()
    facet = page.locator(".facets")
    facet.locator(".facet").first.wait_for()  # a person filter with no words browses: its facets come after the page
    assert "People" in facet.inner_text() and "Eileen Collins" in facet.inner_text()
    screenshots(page, "search")
