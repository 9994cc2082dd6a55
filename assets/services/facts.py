"""What ingest learns about an accepted file, and the limits every decoder refuses past.

Shared by the image inspector (``inspect``) and the DICOM/NIfTI readers (``medical``), so a
file too big or with too many pixels reads the same whatever its format.
"""
import re
from dataclasses import dataclass, field

from django.conf import settings

from core.refusals import Refused

_OBJECT_REPR = re.compile(r"<[^<>]*\bat 0x[0-9a-fA-F]+>")


@dataclass
class ImageFacts:
    """What ingest needs to know about an accepted file."""

    format: str
    mime_type: str
    width: int
    height: int
    sha256: str
    size: int
    metadata: dict = field(default_factory=dict)
    raw_metadata: dict = field(default_factory=dict)


def check_size(size, *, at_least=False):
    """Refuse an upload past ``LUMEN_MAX_UPLOAD_BYTES``. ``size`` is its real size, known before it is read
    (``UploadedFile.size``, the S3 object's length); ``at_least`` when only "more than the limit" is known."""
    limit = settings.LUMEN_MAX_UPLOAD_BYTES
    if size > limit:
        size_text = f"larger than {human_size(limit)}" if at_least else human_size(size, unlike=limit)
        raise Refused(f"The file is {size_text}; the limit is {human_size(limit)}.", code="too_large", status=413)


def human_size(size, unlike=None):
    """``260 MB``, ``48 KB``, ``100 bytes``; with as many decimals as it takes not to read like ``unlike``
    (a file 10 KB over a 200 MB limit is "200.01 MB", not "200 MB")."""
    if size < 1024:
        return f"{size} bytes"
    unit, scale = ("KB", 1024) if size < 1_048_576 else ("MB", 1_048_576)
    for decimals in range(4):
        text = f"{size / scale:.{decimals}f}"
        if unlike is None or text != f"{unlike / scale:.{decimals}f}":
            return f"{text} {unit}"
    return f"{size:,} bytes"


def decoder_said(exc):
    """What a decoder or library said, for logs and ``Refused.expert_details``: its words on one line, without
    Python object reprs such as ``<_io.BytesIO object at 0x7f…>``."""
    text = " ".join(str(exc).split())
    text = _OBJECT_REPR.sub("the upload", text)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def too_many_pixels(size_text):
    """The refusal for an image past ``LUMEN_MAX_PIXELS``, described by ``size_text`` ("4000×40000 pixels")."""
    return Refused(
        f"The image is {size_text}; the limit is {settings.LUMEN_MAX_PIXELS / 1e6:.0f} megapixels "
        "(a possible decompression bomb).",
        code="too_many_pixels",
        status=413,
    )
