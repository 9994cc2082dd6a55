"""The library grid in headless Chromium, with the real worker making previews."""
import pytest

from assets.models import Asset, Rendition
from assets.services.ingest import ingest_file
from assets.tasks import process_version
from support import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_waiting_tile_fills_in_without_a_reload_when_its_previews_are_made(signed_in_page, live_server,
                                                                              celery_worker, actor, samples):
    with (samples / "jpg" / "Canon_40D.jpg").open("rb") as handle:
        asset = ingest_file(handle, filename="Canon_40D.jpg", actor=actor).asset
    wait_for(lambda: Asset.objects.get(pk=asset.pk).status == Asset.Status.READY, timeout=120,
             message="the worker to make the first previews")
    # Back to how the asset looked before its previews existed; the worker will make them again.
    Rendition.objects.filter(version_id=asset.current_version_id).delete()
    Asset.objects.filter(pk=asset.pk).update(status=Asset.Status.PROCESSING)

    page = signed_in_page
    page.goto(f"{live_server.url}/")
    tile = page.locator(f'.asset-tile[data-uid="{asset.uid}"]')
    assert tile.get_attribute("data-processing") is not None and tile.locator("img").count() == 0
    page.evaluate("window.stillTheSamePage = true")

    process_version.delay(asset.current_version_id)
    tile.locator("img").wait_for(state="attached", timeout=90_000)
    assert page.evaluate("window.stillTheSamePage === true"), "the page reloaded instead of swapping the tile"
    assert tile.get_attribute("data-processing") is None
    page.wait_for_function(f"""() => {{
      const img = document.querySelector('.asset-tile[data-uid="{asset.uid}"] img');
      return img && img.complete && img.naturalWidth > 0;
    }}""")
