"""What a person can download of an asset, by size and format: the original, and the whole-image renditions that
exist or are made on request, grouped by the size they come out at ("Large · 1280 × 853": JPEG, WebP, AVIF). The
asset page, the lightbox (through the API's ``downloads`` endpoint) and shared pages list the same choices; each
gives the URLs of its own routes. A choice not made yet has no size in bytes; its first download makes it
(``assets.services.delivery.find_rendition``), and only those of the offered set can be made that way.
"""
from dataclasses import dataclass, field
from typing import Callable

from assets.models import Rendition
from assets.renditions import RenditionSpec, on_request_specs
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
    bytes: int | None  # None: made when first downloaded
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
    by_size, size_of_width = {}, {}
    for rendition in sorted(version.renditions.all(), key=lambda r: (-r.width, r.format)):
        spec = RenditionSpec.parse(rendition.spec)
        if not spec.keeps_aspect:
            continue
        if spec.resize == "width":
            size_of_width[spec.width] = (rendition.width, rendition.height)
        files = by_size.setdefault((rendition.width, rendition.height), {})
        files.setdefault(rendition.format, FileChoice(format_name(rendition.format), rendition.width,
                                                      rendition.height, rendition.bytes, rendition_url(rendition)))
    for spec in on_request_specs():  # not made yet: offered at the size its made siblings came out at
        size = size_of_width.get(spec.width)
        if size is not None and format_name(spec.format) not in {f.format for f in by_size[size].values()}:
            not_made = Rendition(version=version, spec=str(spec), format=spec.format, width=size[0], height=size[1])
            by_size[size][spec.format] = FileChoice(format_name(spec.format), *size, None, rendition_url(not_made))
    sizes = [SizeChoice(size_name(width, height), width, height, sorted(files.values(), key=_format_order))
             for (width, height), files in by_size.items()]
    return Downloads(original, sizes)


def _format_order(choice):
    """JPEG first (opens everywhere), then the smaller modern formats."""
    order = ["JPEG", "WebP", "AVIF", "PNG"]
    return order.index(choice.format) if choice.format in order else len(order)
