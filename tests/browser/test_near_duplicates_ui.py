"""Near-duplicates in headless Chromium: nothing is chosen for the person, the trash is confirmed first, and
a copy that is not theirs stays."""
import io

import pytest
from PIL import Image
from skimage import data

from assets.models import Asset
from assets.services.ingest import ingest_file
from core.audit import Actor
from support import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def jpeg(pixels, quality, size=None):
    image = Image.fromarray(pixels).convert("RGB")
    image = image.resize(size) if size else image
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return buffer


def test_keep_one_copy_and_confirm_what_goes_to_the_trash(signed_in_page, live_server, celery_worker, user,
                                                          make_user, make_collection, screenshots):
    bob = make_user("bob")
    team = make_collection("Team", bob="admin", alice="contributor")
    mine = [ingest_file(jpeg(data.chelsea(), 92), filename="chelsea.jpg", actor=Actor(user=user),
                        title="Chelsea", collections=[team]).asset,
            ingest_file(jpeg(data.chelsea(), 35, (226, 150)), filename="chelsea-small.jpg", actor=Actor(user=user),
                        title="Chelsea, small copy", collections=[team]).asset]
    bobs = ingest_file(jpeg(data.chelsea(), 60), filename="chelsea-bob.jpg", actor=Actor(user=bob),
                       title="Bob's Chelsea", collections=[team]).asset
    ingest_file(jpeg(data.coffee(), 90), filename="coffee.jpg", actor=Actor(user=user), title="Coffee")
    wait_for(lambda: not Asset.objects.filter(status=Asset.Status.PROCESSING).exists(), timeout=180,
             message="the worker to make the previews")

    page = signed_in_page
    page.goto(f"{live_server.url}/search/duplicates/")
    group = page.locator(".duplicate-group")
    assert group.count() == 1 and "3 copies of one picture" in group.inner_text()
    assert "Coffee" not in page.content()
    assert page.locator("input[name=keep]:checked").count() == 0, "nothing may be chosen for the person"
    assert "not yours to change" in group.inner_text()
    screenshots(page, "groups")

    page.set_viewport_size({"width": 1440, "height": 900})
    page.get_by_label("Keep Chelsea", exact=True).check()
    page.get_by_role("button", name="Review what to trash…").click()
    page.wait_for_url("**/duplicates/keep/")
    assert page.get_by_role("button", name="Move 1 to the trash").is_visible()
    assert "Bob's Chelsea" in page.locator("h2:has-text('Stay') + ul").inner_text()
    assert Asset.objects.filter(deleted_at__isnull=False).count() == 0, "reviewing trashes nothing"
    screenshots(page, "confirm")

    page.get_by_role("button", name="Move 1 to the trash").click()
    page.wait_for_url("**/search/duplicates/")
    assert "moved 1 near-duplicate to the trash" in page.locator(".messages").inner_text()
    trashed = set(Asset.objects.filter(deleted_at__isnull=False).values_list("pk", flat=True))
    assert trashed == {mine[1].pk} and bobs.pk not in trashed
