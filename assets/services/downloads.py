"""What a person can download of an asset, by size and format: the original, and the whole-image renditions that
exist, grouped by the size they come out at ("Large · 1280 × 853": JPEG, WebP, AVIF). The asset page, the
lightbox (through the API's ``downloads`` endpoint) and shared pages list the same choices; each gives the URLs
of its own routes. Only existing files are offered: a URL never starts a decode (``assets.services.delivery``).
"""
from dataclasses import dataclass, field
from typing import Callable

from assets.renditions import RenditionSpec
from assets.services.inspect import STORED_FORMATS

SIZE_NAMES = ((1200, "Large"), (600, "Medium"), (0, "Small"))  # by the longer side, in pixels


def format_name(fmt):
    return STORED_FORMATS.get(fmt, fmt.upper())


def size_name(width, height):
    longest = max(width, height)
    return next(name for least, name in SIZE_NAMES if longest >= least)


@dataclass(frozen=True)
class FileChoice:
    format: str
    width: int
    height: int
    bytes: int
    url: str


@dataclass(frozen=True)
class SizeChoice:
    name: str
    width: int
    height: int
    files: list = field(default_factory=list)

    @property
    def label(self):
        return f"{self.name} · {self.width} × {self.height}"


@dataclass(frozen=True)
class Downloads:
    original: FileChoice | None
    sizes: list



def downloads(version, *, rendition_url: Callable, original_url: Callable | None):
    """The choices for ``version`` (load it with its renditions prefetched); ``original_url(version)`` is None
    where the original may not be offered (a share link without originals)."""
    if version is None:
        return Downloads(None, [])
    original = original_url and FileChoice(format_name(version.format), version.width, version.height,
                                           version.bytes, original_url(version))
    by_size = {}
    for rendition in sorted(version.renditions.all(), key=lambda r: (-r.width, r.format)):
        if not RenditionSpec.parse(rendition.spec).keeps_aspect:
            continue
        files = by_size.setdefault((rendition.width, rendition.height), {})
        files.setdefault(rendition.format, FileChoice(format_name(rendition.format), rendition.width,
                                                      rendition.height, rendition.bytes, rendition_url(rendition)))
    sizes = [SizeChoice(size_name(width, height), width, height, sorted(files.values(), key=_format_order))
             for (width, height), files in by_size.items()]
    return Downloads(original, sizes)


def _format_order(choice):
    """JPEG first (opens everywhere), then the smaller modern formats."""
    order = ["JPEG", "WebP", "AVIF", "PNG"]
    return order.index(choice.format) if choice.format in order else len(order)
