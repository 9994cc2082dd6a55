"""The library grid's tile (``{% library_tile %}`` with governance's rights badge, as the library page writes it),
rendered on the real database and storage."""
import datetime
import io
import re

import pytest
from django.template import Context, Template
from PIL import Image

from assets.models import Asset
from assets.renditions import ensure_default_renditions
from assets.services.ingest import ingest_file
from assets.templatetags.asset_images import detail_url, downloads_url, with_thumbnails
from governance.services.rights import set_rights

pytestmark = pytest.mark.django_db


def ingest(actor, title, size=(900, 600)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "olive").save(buffer, "PNG")
    return ingest_file(io.BytesIO(buffer.getvalue()), filename="olive.png", actor=actor, title=title).asset


def tile(asset, selectable=True):
    """As the library page writes it: governance's rights badge handed to the assets' tile."""
    return Template("{% load asset_images governance_tags %}{% rights_badge asset as badge %}"
                    "{% library_tile asset selectable=selectable badge=badge %}").render(
        Context({"asset": asset, "selectable": selectable}))


def grid_asset(pk):
    """As the library view loads its page (``with_thumbnails`` and the rights): a tile reading a column the
    loader leaves out would cost a query per tile, which the zero-query assertion below catches."""
    return with_thumbnails(Asset.objects.filter(pk=pk)).select_related("usage_rights").get()


def test_a_ready_tile_links_its_page_shows_its_picture_format_and_a_selection_box(actor, django_assert_num_queries):
    asset = ingest(actor, "Harbour at dawn")
    ensure_default_renditions(asset.current_version)
    Asset.objects.filter(pk=asset.pk).update(status=Asset.Status.READY)
    asset = grid_asset(asset.pk)
    with django_assert_num_queries(0):
        html = tile(asset)
    assert html.startswith(f'<li class="asset-tile" data-uid="{asset.uid}" data-title="Harbour at dawn"')
    assert f'data-page-url="{detail_url(asset)}"' in html and f'data-downloads-url="{downloads_url(asset)}"' in html
    assert html.count(f'href="{detail_url(asset)}"') == 2, "the picture and the title both open the asset page"
    assert f'<input type="checkbox" name="assets" value="{asset.uid}">' in html
    assert "<picture>" in html and 'sizes="(max-width: 480px) 50vw, (max-width: 960px) 33vw, 240px"' in html
    assert '<span class="tile-meta">PNG · 900×600</span>' in html
    assert "No rights on file" in html and "data-processing" not in html
    assert "tile-select" not in tile(asset, selectable=False)


def test_a_waiting_tile_says_so_and_expired_rights_show_on_it(actor):
    asset = ingest(actor, "Quay")
    set_rights(asset, actor=actor, licence_type="owned", expires_on=datetime.date(2020, 1, 1))
    html = tile(grid_asset(asset.pk))
    assert " data-processing>" in html and 'aria-label="Processing…"' in html
    assert "Not usable today" in html and "Rights expired on 01 Jan 2020" in html


def test_a_hostile_title_is_text_in_every_place_the_tile_writes_it(actor):
    asset = ingest(actor, '"><script>alert(1)</script>')
    ensure_default_renditions(asset.current_version)
    html = tile(grid_asset(asset.pk))
    assert "<script>" not in html
    assert len(re.findall(r"&quot;&gt;&lt;script&gt;alert\(1\)&lt;/script&gt;", html)) == 5, (
        "data-title, the box's label, the link's label, the title and the picture's alt")
