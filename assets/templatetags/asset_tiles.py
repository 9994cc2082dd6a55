"""``{% load asset_tiles %}``: the library grid's tile, with its picture, title, format and rights badge.

Its own module because it joins the assets' picture tags and governance's rights badge, and governance's tags
already load the assets' ones.
"""
from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from assets.models import Asset
from assets.templatetags.asset_images import GRID_SIZES, asset_srcset, detail_url, downloads_url
from governance.templatetags.governance_tags import rights_badge

register = template.Library()


@register.simple_tag
def library_tile(asset, selectable=False):
    """One library grid tile, built in Python: an ``{% include %}`` per tile pushed a context and walked a node
    tree for each of 48 assets, the largest part of a library page's time at 1M assets (bench/pages.py)."""
    title = str(asset)
    page_url = detail_url(asset)
    version = asset.current_version
    select = format_html(
        '<label class="tile-select"><input type="checkbox" name="assets" value="{}">'
        '<span class="visually-hidden">Select {}</span></label>', asset.uid, title) if selectable else ""
    meta = format_html('<span class="tile-meta">{} · {}×{}</span>', version.format.upper(), version.width,
                       version.height) if version else ""
    return format_html(
        '<li class="asset-tile" data-uid="{uid}" data-title="{title}" data-page-url="{page_url}" '
        'data-downloads-url="{downloads_url}"{processing}>{select}'
        '<a class="tile-open" href="{page_url}" aria-label="View {title} larger"><div class="thumb">{picture}</div></a>'
        '<a class="tile-title" href="{page_url}">{title}</a>{meta}{badge}</li>',
        uid=asset.uid, title=title, page_url=page_url, downloads_url=downloads_url(asset),
        processing=mark_safe(" data-processing") if asset.status == Asset.Status.PROCESSING else "",
        select=select, picture=asset_srcset(asset, GRID_SIZES), meta=meta, badge=rights_badge(asset),
    )
