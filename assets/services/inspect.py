"""Decide whether uploaded bytes are an image we accept, and read their facts.

Nothing here trusts the filename or the client's content type: the type comes from
the file's leading bytes, and Pillow only sees files whose signature we recognise.
An accepted file has been decoded by the renditions' own decoder (at thumbnail size), so
every accepted file gets previews; one that cannot be is refused here, saying why in words.
"""
import hashlib
import io
import logging
import re
import warnings

import pillow_heif
from django.conf import settings
from PIL import Image

from assets.renditions import RenditionError, decode_original
from assets.services.facts import ImageFacts, check_size, decoder_said, too_many_pixels
from assets.services.medical import inspect_medical, sniff_medical
from assets.services.metadata import extract_metadata, pending_orientation
from core.refusals import Refused

logger = logging.getLogger(__name__)
pillow_heif.register_heif_opener()

# Decoding a thumbnail this wide proves the file decodes (libvips shrinks JPEGs on load, so it stays cheap).
PROOF_WIDTH = 64


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
FORMAT_NAMES = {"jpeg": "JPEG", "png": "PNG", "webp": "WebP", "gif": "GIF", "tiff": "TIFF", "heif": "HEIC/HEIF",
                "avif": "AVIF"}
# Every format a stored version can have, named for people: what the format filters and facets offer.
STORED_FORMATS = {**FORMAT_NAMES, "dicom": "DICOM", "nifti": "NIfTI"}

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


def _refuse_hidden_payloads(data):
    """Polyglots: an image that is also HTML/script or a ZIP must not reach storage."""
    if _MARKUP.search(data):
        raise Refused(
            "The file contains embedded HTML or script markup (a possible polyglot) and was refused.",
            code="hostile",
        )
    if b"PK\x05\x06" in data[-65_557:] and b"PK\x03\x04" in data:
        raise Refused("The image has a ZIP archive attached (a possible polyglot) and was refused.", code="hostile")


def _open_header(data, fmt):
    """Pillow reads the header only: sizes past the pixel limit are refused before anything is decoded."""
    try:
        with warnings.catch_warnings():  # Pillow's own limit (89 Mpx) would only warn; ours is LUMEN_MAX_PIXELS
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise too_many_pixels("larger than this server will decode")
    except Exception as exc:  # noqa: BLE001 - damaged headers raise all sorts from Pillow's plugins
        raise unreadable(fmt, exc, "its header is damaged")
    width, height = image.size
    if width * height > settings.LUMEN_MAX_PIXELS or width <= 0 or height <= 0:
        raise too_many_pixels(f"{width}×{height} pixels")
    if image.format not in ACCEPTED_FORMATS[fmt][0]:
        raise Refused(
            f"The file starts like {FORMAT_NAMES[fmt]} but its contents are {image.format}; refused as mislabelled.",
            code="mislabelled",
        )
    return image


def _prove_decodable(data, fmt):
    """Decode a thumbnail the way renditions will decode the original: what passes here gets previews."""
    try:
        decode_original(data, fmt, PROOF_WIDTH)
    except RenditionError as exc:
        raise unreadable(fmt, exc.__cause__ or exc, "its image data is damaged or incomplete")


def unreadable(fmt, exc, what):
    """The refusal of a file that starts like ``fmt`` but cannot be read; the decoder's words go to the log and to
    ``expert_details``, not into the message."""
    details = decoder_said(exc)
    logger.info("refused a %s upload that cannot be decoded: %s", fmt, details)
    hint = (" (or it uses a HEIF feature this server cannot decode, such as an unusual codec)"
            if fmt in ("heif", "avif") else "")
    return Refused(
        f"This {FORMAT_NAMES[fmt]} file cannot be read: {what}{hint}. Files are often damaged when a copy or "
        "download is cut short: upload the original again, or open it in an image editor and save a new copy.",
        code="corrupt", expert_details=details,
    )


def _displayed_size(image):
    """Size as a person sees it: EXIF orientations 5-8 swap width and height (HEIF comes upright already)."""
    width, height = image.size
    return (height, width) if pending_orientation(image) in (5, 6, 7, 8) else (width, height)


def inspect_image(data):
    """Validate ``data`` and return its facts; raise Refused with a readable message otherwise."""
    check_size(len(data))
    medical = sniff_medical(data)  # first: DICOM files may start with a TIFF header in their preamble
    if medical:
        _refuse_hidden_payloads(data)
        return inspect_medical(data, medical)
    fmt = sniff_format(data[:64])
    if fmt is None:
        raise Refused(
            f"{describe_unaccepted(data[:512])} Accepted types: {ACCEPTED_LABEL}.", code="unsupported_type", status=415
        )
    _refuse_hidden_payloads(data)
    image = _open_header(data, fmt)
    _prove_decodable(data, fmt)
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
