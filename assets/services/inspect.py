"""Decide whether uploaded bytes are an image we accept, and read their facts.

Nothing here trusts the filename or the client's content type: the type comes from
the file's leading bytes, and Pillow only sees files whose signature we recognise.
"""
import hashlib
import io
import re
import warnings
from dataclasses import dataclass, field

import pillow_heif
from django.conf import settings
from PIL import Image

from assets.services.metadata import extract_metadata

pillow_heif.register_heif_opener()


class IngestError(Exception):
    """A file was refused; ``message`` is shown to the person who sent it."""

    def __init__(self, message, code="invalid", status=400):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


# format key -> (Pillow format names accepted, MIME type)
ACCEPTED_FORMATS = {
    "jpeg": ({"JPEG", "MPO"}, "image/jpeg"),
    "png": ({"PNG"}, "image/png"),
    "webp": ({"WEBP"}, "image/webp"),
    "gif": ({"GIF"}, "image/gif"),
    "tiff": ({"TIFF"}, "image/tiff"),
    "heif": ({"HEIF"}, "image/heif"),
    "avif": ({"AVIF", "HEIF"}, "image/avif"),
}
ACCEPTED_LABEL = "JPEG, PNG, WebP, GIF, TIFF, HEIC/HEIF, AVIF, DICOM or NIfTI (.nii, .nii.gz)"

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"mif2"}
_AVIF_BRANDS = {b"avif", b"avis"}
_MARKUP = re.compile(rb"<(?:script|html|svg|iframe|object|embed|\?php)[\s>/]", re.IGNORECASE)


def sniff_format(head):
    """Return our format key from the first bytes, or None when it is not an accepted image."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[4:8] == b"ftyp":
        box_size = int.from_bytes(head[:4], "big")
        brands = {head[8:12]} | {head[i : i + 4] for i in range(16, min(box_size, len(head)), 4)}
        if brands & _AVIF_BRANDS:
            return "avif"
        if brands & _HEIF_BRANDS:
            return "heif"
    return None


def describe_unaccepted(head):
    """A human explanation of what a refused file looks like, to make the 415 useful."""
    text = head.lstrip()[:256].lower()
    if text.startswith(b"<?xml") or b"<svg" in text:
        return "SVG and XML files are not accepted: they can carry scripts. Export the image as PNG instead."
    if head.startswith(b"%PDF"):
        return "PDF documents are not accepted; export the page as an image."
    if head.startswith(b"\x1f\x8b"):
        return "Compressed (gzip) files are accepted only when they hold a NIfTI volume (.nii.gz)."
    if head.startswith(b"PK\x03\x04"):
        return "ZIP archives are not accepted; upload the images inside it."
    if text.startswith((b"<!doctype", b"<html")):
        return "HTML pages are not accepted."
    if not head:
        return "The file is empty."
    return "This file is not an image type we accept."


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


def _refuse_hidden_payloads(data):
    """Polyglots: an image that is also HTML/script or a ZIP must not reach storage."""
    if _MARKUP.search(data):
        raise IngestError(
            "The file contains embedded HTML or script markup (a possible polyglot) and was refused.",
            code="hostile",
        )
    if b"PK\x05\x06" in data[-65_557:] and b"PK\x03\x04" in data:
        raise IngestError("The image has a ZIP archive attached (a possible polyglot) and was refused.", code="hostile")


def _check_size(size):
    limit = settings.LUMEN_MAX_UPLOAD_BYTES
    if size > limit:
        raise IngestError(
            f"The file is {size / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.0f} MB.",
            code="too_large",
            status=413,
        )


def _too_many_pixels(size_text):
    return IngestError(
        f"The image is {size_text}; the limit is {settings.LUMEN_MAX_PIXELS / 1e6:.0f} megapixels "
        "(a possible decompression bomb).",
        code="too_many_pixels",
        status=413,
    )


def _open_checked(data, fmt):
    """Open with Pillow, refusing bombs before decoding and truncated data after."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > settings.LUMEN_MAX_PIXELS or width <= 0 or height <= 0:
                raise _too_many_pixels(f"{width}×{height} pixels")
            if image.format not in ACCEPTED_FORMATS[fmt][0]:
                raise IngestError(
                    f"The file starts like {fmt.upper()} but decodes as {image.format}; refused as mislabelled.",
                    code="mislabelled",
                )
            if image.format == "JPEG":
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            image.load()
    except IngestError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels("larger than Pillow will decode")
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError, RuntimeError) as exc:
        raise IngestError(f"The image data is corrupt or truncated and cannot be read ({exc}).", code="corrupt")
    return Image.open(io.BytesIO(data))


def _displayed_size(image):
    """Size as a person sees it: EXIF orientations 5-8 swap width and height."""
    try:
        orientation = int(image.getexif().get(0x0112, 1))
    except (ValueError, TypeError, OSError, SyntaxError):
        orientation = 1
    width, height = image.size
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def inspect_image(data):
    """Validate ``data`` and return its facts; raise IngestError with a readable message otherwise."""
    _check_size(len(data))
    from assets.services.medical import inspect_medical, sniff_medical  # it builds on IngestError and ImageFacts

    medical = sniff_medical(data)  # first: DICOM files may start with a TIFF header in their preamble
    if medical:
        _refuse_hidden_payloads(data)
        return inspect_medical(data, medical)
    fmt = sniff_format(data[:64])
    if fmt is None:
        raise IngestError(
            f"{describe_unaccepted(data[:512])} Accepted types: {ACCEPTED_LABEL}.", code="unsupported_type", status=415
        )
    _refuse_hidden_payloads(data)
    image = _open_checked(data, fmt)
    metadata, raw = extract_metadata(image)
    width, height = _displayed_size(image)
    return ImageFacts(
        format=fmt,
        mime_type=ACCEPTED_FORMATS[fmt][1],
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        metadata=metadata,
        raw_metadata=raw,
    )
