"""``{% load asset_images %}``: ``<picture>`` markup and URLs built from the renditions that exist.

For grids, load assets through :func:`with_thumbnails`: the tags then run no query at all.
"""
from functools import lru_cache

from django import template
from django.db.models import Prefetch
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from assets.models import Asset, AssetVersion, Rendition
from assets.renditions import OUTPUT_FORMATS, RenditionSpec
from core.links import url_for

register = template.Library()

# The rendition columns ``asset_srcset`` reads: a grid's renditions need not load their size and creation time
# (a library page of 48 tiles otherwise builds several hundred rendition rows with both).
TILE_RENDITION_FIELDS = ("id", "version_id", "spec", "file", "format", "width", "height")

SOURCE_FORMATS = ("avif", "webp")  # offered in this order; JPEG is the <img> every browser can show
FALLBACK_FORMAT = "jpeg"
FALLBACK_WIDTH = 640  # the <img src> for browsers without srcset: the JPEG closest to this width


def with_thumbnails(queryset):
    """What a grid of ``asset_srcset`` reads, in two queries however many assets are shown: the current version
    without its raw metadata dump (tens of KB of JSON per camera photo, shown only on the asset page) and
    its renditions' ``TILE_RENDITION_FIELDS``."""
    renditions = Rendition.objects.only(*TILE_RENDITION_FIELDS).order_by("format", "width", "spec")
    return queryset.select_related("current_version").defer("current_version__raw_metadata").prefetch_related(
        Prefetch("current_version__renditions", queryset=renditions))


GRID_SIZES = "(max-width: 480px) 50vw, (max-width: 960px) 33vw, 240px"  # a grid tile's width at each screen size


def _url(uid, number, spec, token=None):
    """With the rendition's ``token`` the URL is served as immutable; without it, revalidated each time."""
    url = url_for("assets:rendition", uid=uid, number=number, spec=str(spec))
    return f"{url}?f={token}" if token else url


@register.filter
def detail_url(asset):
    """The asset page's URL, for grids: ``{{ asset|detail_url }}`` (no resolver walk per tile)."""
    return url_for("assets:detail", uid=asset.uid)


@register.filter
def downloads_url(asset):
    """Where the lightbox reads an asset's downloads by size and format: ``{{ asset|downloads_url }}``."""
    return url_for("api:asset-downloads", uid=asset.uid)


@register.simple_tag
def rendition_url(target, spec=None):
    """URL of a Rendition, or of ``spec`` for an asset's current version or a given version.

    The URL answers 404 until that rendition exists (defaults are made after ingest; others by ``get_rendition``).
    """
    if isinstance(target, Rendition):
        return _url(target.version.asset.uid, target.version.number, target.spec, target.content_token)
    version = target.current_version if isinstance(target, Asset) else target
    if not isinstance(version, AssetVersion):
        return ""
    return _url(version.asset.uid, version.number, RenditionSpec.parse(spec))


@lru_cache(maxsize=256)
def _keeps_aspect(spec):
    """Per stored spec text, parsed once per process (a grid page asked ~300 times for the same few specs)."""
    return RenditionSpec.parse(spec).keeps_aspect


def _candidates(asset, version, url_for):
    """Per format, ``(width, height, url)`` of the whole-image renditions, one per distinct width, narrowest first."""
    by_format = {}
    for rendition in sorted(version.renditions.all(), key=lambda r: r.spec):  # same URL on every page
        if not _keeps_aspect(rendition.spec):
            continue
        widths = by_format.setdefault(rendition.format, {})
        widths.setdefault(rendition.width, (rendition.width, rendition.height, url_for(asset, version, rendition)))
    return {fmt: sorted(widths.values()) for fmt, widths in by_format.items()}


def _page_url(asset, version, rendition):
    return _url(asset.uid, version.number, rendition.spec, rendition.token_for(asset))


def _srcset(candidates):
    return ", ".join(f"{url} {width}w" for width, _, url in candidates)


def _placeholder(asset):
    label = "Preview unavailable" if asset.status == Asset.Status.FAILED else "Processing…"
    return format_html('<div class="processing" role="img" aria-label="{}">{}</div>', label, label)


@register.simple_tag
def asset_srcset(asset, sizes="100vw"):
    """A responsive ``<picture>`` (AVIF, WebP, JPEG) of the current version, or a neutral placeholder."""
    return picture(asset, sizes, _page_url)


@register.simple_tag
def grid_picture(asset):
    """``asset_srcset`` at a grid tile's width (``GRID_SIZES``): the library's and the search page's tiles."""
    return asset_srcset(asset, GRID_SIZES)


def picture(asset, sizes, url_for):
    """``asset_srcset`` with the file URLs of another route: ``url_for(asset, version, rendition)`` (shared pages)."""
    version = asset.current_version
    candidates = _candidates(asset, version, url_for) if version else {}
    if FALLBACK_FORMAT not in candidates:
        return _placeholder(asset)
    fallback = candidates[FALLBACK_FORMAT]
    width, height, src = min(fallback, key=lambda candidate: abs(candidate[0] - FALLBACK_WIDTH))
    sources = format_html_join(
        "", '<source type="{}" srcset="{}" sizes="{}">',
        ((OUTPUT_FORMATS[fmt].mime_type, _srcset(candidates[fmt]), sizes) for fmt in SOURCE_FORMATS if fmt in candidates),
    )
    return format_html(
        '<picture>{}<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}" loading="lazy" decoding="async">'
        "</picture>",
        sources, src, _srcset(fallback), sizes, width, height, asset.alt_text or asset.title,
    )


@register.simple_tag
def library_tile(asset, selectable=False, badge=""):
    """One library grid tile, built in Python: an ``{% include %}`` per tile pushed a context and walked a node
    tree for each of 48 assets, the largest part of a library page's time at 1M assets (bench/pages.py).

    ``badge``: markup shown under the title, e.g. governance's ``{% rights_badge asset as badge %}`` (assets does
    not import governance; the template composes the two)."""
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
        select=select, picture=grid_picture(asset), meta=meta, badge=badge,
    )
