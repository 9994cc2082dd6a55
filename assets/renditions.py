"""Renditions as data: a filter-spec string names a derived file of a version (as in Wagtail images).

``width-640|format-webp``, ``max-800x600|format-jpeg|jpegquality-90``, ``fill-400x300|format-avif``,
``original|format-jpeg``: one resize operation (default ``original``), one output format (default
``jpeg``) and optionally that format's quality. ``str(spec)`` is the canonical form stored in
``Rendition.spec``, so equivalent spellings share one row. Nothing is ever upscaled, and every rendition
fits its format (WebP stops at 16,383 pixels a side): a ``width-`` rendition is also at most
``MAX_DIMENSION`` tall, so a 200×20000 strip still gets previews (41×4096), not an encoder error.

A version's original is decoded once per batch of specs, already shrunk to the largest size any of
them needs (libvips shrink-on-load; Pillow for HEIC and for files libvips refuses), upright, in sRGB
and 8 bits; each rendition is resized from that image and encoded without metadata (no ICC profile:
untagged means sRGB on the web). Encoder settings and their measurements: docs/benchmarks.md.
"""
import io
import logging
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass, field

import pillow_heif
import pyvips
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from PIL import Image, ImageCms

from assets.models import Rendition
from assets.services.medical import MEDICAL_FORMATS, decode_preview
from assets.services.metadata import pending_orientation
from core.storage import read_stored

logger = logging.getLogger(__name__)
logging.getLogger("pyvips").setLevel(logging.WARNING)  # libvips narrates every thumbnail at INFO

pillow_heif.register_heif_opener()
pyvips.block_untrusted_set(True)
pyvips.cache_set_max(0)  # every original is decoded once; caching operations would only hold memory

MAX_DIMENSION = 4096
VIPS_MAX_DIMENSION = 10_000_000
VIPS_FORMATS = {"jpeg", "png", "webp", "gif", "tiff", "avif"}
LANCZOS = Image.Resampling.LANCZOS
# EXIF orientation -> the transposition that makes the pixels upright (as ImageOps.exif_transpose does)
UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
           5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_90}


@dataclass(frozen=True)
class OutputFormat:
    extension: str
    mime_type: str
    default_quality: int | None
    max_dimension: int  # the encoder's limit on either side, in pixels
    options: dict = field(default_factory=dict)


# AVIF at aom speed 9 / quality 65 costs about what WebP costs and is the smallest of the three
# (measured on the camera JPEGs, see docs/benchmarks.md), so AVIF renditions are made eagerly.
# The limits are libjpeg's, libwebp's and AV1's (libaom refuses 65,537).
OUTPUT_FORMATS = {
    "jpeg": OutputFormat("jpg", "image/jpeg", 82, 65_500, {"optimize": True, "progressive": True}),
    "webp": OutputFormat("webp", "image/webp", 80, 16_383, {"method": 4}),
    "avif": OutputFormat("avif", "image/avif", 65, 65_536, {"speed": 9}),
    "png": OutputFormat("png", "image/png", None, 2**31 - 1),
}


class RenditionError(Exception):
    """The original could not be turned into renditions; the message says why, for the asset's status."""


_DIMENSION = re.compile(r"[1-9][0-9]{0,4}")
_BOX = re.compile(r"([1-9][0-9]{0,4})x([1-9][0-9]{0,4})")


def _dimension(text, operation):
    if not _DIMENSION.fullmatch(text):
        raise ValueError(f"{operation!r} needs a size in pixels, such as width-640")
    value = int(text)
    if value > MAX_DIMENSION:
        raise ValueError(f"{operation!r} is larger than the {MAX_DIMENSION} pixel limit")
    return value


def _box(text, operation):
    match = _BOX.fullmatch(text)
    if not match:
        raise ValueError(f"{operation!r} needs WIDTHxHEIGHT, such as max-800x600")
    return _dimension(match[1], operation), _dimension(match[2], operation)


def _quality(text, operation):
    if not text.isdigit() or not 1 <= int(text) <= 100:
        raise ValueError(f"{operation!r} needs a quality from 1 to 100")
    return int(text)


@dataclass(frozen=True)
class Plan:
    """Where to crop the decoded image (None: keep it whole) and the size to resize it to."""

    box: tuple | None
    size: tuple


@dataclass(frozen=True)
class RenditionSpec:
    """One validated filter spec; build it with ``RenditionSpec.parse``."""

    resize: str = "original"  # original | width | max | fill
    width: int | None = None
    height: int | None = None
    format: str = "jpeg"
    quality: int | None = None  # None: the format's default

    @classmethod
    def parse(cls, text):
        """Validate ``text``; raise ValueError naming the offending operation."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError("a rendition spec cannot be empty")
        found = {}
        for operation in text.strip().lower().split("|"):
            operation = operation.strip()
            name, _, argument = operation.partition("-")
            quality_format = name.removesuffix("quality") if name.endswith("quality") else None
            if name == "original" and not argument:
                key, value = "resize", ("original", None, None)
            elif name == "width":
                key, value = "resize", ("width", _dimension(argument, operation), None)
            elif name in ("max", "fill"):
                key, value = "resize", (name, *_box(argument, operation))
            elif name == "format" and argument in OUTPUT_FORMATS:
                key, value = "format", argument
            elif quality_format in OUTPUT_FORMATS and OUTPUT_FORMATS[quality_format].default_quality:
                key, value = "quality", (quality_format, _quality(argument, operation))
            else:
                raise ValueError(f"unknown rendition operation {operation!r}")
            if key in found:
                raise ValueError(f"{text!r} has more than one {key} operation")
            found[key] = value
        resize, width, height = found.get("resize", ("original", None, None))
        output = found.get("format", "jpeg")
        quality = None
        if "quality" in found:
            quality_format, quality = found["quality"]
            if quality_format != output:
                raise ValueError(f"{quality_format}quality applies to format-{quality_format}, not format-{output}")
        if quality == OUTPUT_FORMATS[output].default_quality:
            quality = None
        return cls(resize, width, height, output, quality)

    def __str__(self):
        if self.resize == "original":
            operations = ["original"]
        elif self.resize == "width":
            operations = [f"width-{self.width}"]
        else:
            operations = [f"{self.resize}-{self.width}x{self.height}"]
        operations.append(f"format-{self.format}")
        if self.quality is not None:
            operations.append(f"{self.format}quality-{self.quality}")
        return "|".join(operations)

    @property
    def output(self):
        return OUTPUT_FORMATS[self.format]

    @property
    def keeps_aspect(self):
        """Whether the rendition shows the whole image (so it can stand in a ``srcset``)."""
        return self.resize != "fill"

    def plan(self, width, height):
        """Crop and size on a ``width``×``height`` upright source; the result is never larger than the source,
        nor than its format allows; a ``width-`` one is at most ``MAX_DIMENSION`` tall."""
        if self.resize == "fill":
            crop_width = min(width, height * self.width / self.height)
            crop_height = min(height, width * self.height / self.width)
            left, top = (width - crop_width) / 2, (height - crop_height) / 2
            box = (left, top, left + crop_width, top + crop_height)
            if crop_width + 1 >= self.width:  # a pixel of rounding is not an upscale worth refusing
                return Plan(box, (self.width, self.height))
            return Plan(box, (max(1, round(crop_width)), max(1, round(crop_height))))
        if self.resize == "width":
            scale = min(1, self.width / width, MAX_DIMENSION / height)
        elif self.resize == "max":
            scale = min(1, self.width / width, self.height / height)
        else:
            scale = 1
        scale = min(scale, self.output.max_dimension / max(width, height))
        return Plan(None, (max(1, round(width * scale)), max(1, round(height * scale))))

    def file_stem(self, plan):
        """The name of what the file holds, so specs with identical output (width-640 and width-1280
        of a 600-pixel image) share one file."""
        shape = f"fill-{plan.size[0]}x{plan.size[1]}" if plan.box else f"width-{plan.size[0]}"
        quality = f".{self.format}quality-{self.quality}" if self.quality is not None else ""
        return f"{shape}.format-{self.format}{quality}"


def offered_specs():
    """``LUMEN_RENDITION_WIDTHS`` × ``LUMEN_RENDITION_FORMATS``, largest first: every rendition pages, the
    download menu and the API offer, and the only ones a request may have made (no encoding at any size asked)."""
    return [
        RenditionSpec.parse(f"width-{width}|format-{output}")
        for width in sorted(set(settings.LUMEN_RENDITION_WIDTHS), reverse=True)
        for output in settings.LUMEN_RENDITION_FORMATS
    ]


def default_specs():
    """The offered renditions made right after ingest: all but those of ``LUMEN_RENDITION_ON_REQUEST_FORMATS``."""
    return [spec for spec in offered_specs() if spec.format not in settings.LUMEN_RENDITION_ON_REQUEST_FORMATS]


def on_request_specs():
    """The offered renditions made when first asked for."""
    return [spec for spec in offered_specs() if spec.format in settings.LUMEN_RENDITION_ON_REQUEST_FORMATS]


def ensure_default_renditions(version, transform=None):
    """Make the default renditions ``version`` lacks; re-running, or racing another process, adds nothing twice.

    Under the files lock (re-entered by ``process_version``, which holds it): two writers of the same file name
    at once could delete each other's file between its writing and its permissions (seen in CI, a test process
    and a worker). ``transform`` (an upright sRGB Pillow image -> image, e.g. face blurring) is applied before
    resizing. Returns the renditions that were missing.
    """
    with files_locked(version.sha256):
        existing = set(version.renditions.values_list("spec", flat=True))
        missing = [spec for spec in default_specs() if str(spec) not in existing]
        return make_renditions(version, missing, transform=transform) if missing else []


def get_rendition(version, spec_text, transform=None):
    """The rendition of ``version`` for ``spec_text``, made now if missing; ValueError for an invalid spec."""
    spec = RenditionSpec.parse(spec_text)
    rendition = version.renditions.filter(spec=str(spec)).first()
    return rendition or make_renditions(version, [spec], transform=transform)[0]


def make_renditions(version, specs, transform=None):
    """Decode the original once and store one rendition row per spec; raises RenditionError if undecodable."""
    image = decode(version, decode_width(version, specs))
    if transform is not None:
        image = transform(image)
    stored = {}
    renditions = []
    for spec in specs:
        plan = spec.plan(image.width, image.height)
        stem = spec.file_stem(plan)
        if stem not in stored:
            stored[stem] = _store(rendition_path(version, stem, spec, transformed=transform is not None),
                                  encode(image, spec, plan))
        renditions.append(_save_row(version, spec, plan, *stored[stem]))
    _delete_unreferenced(name for name, _ in stored.values())
    return renditions


def rendition_path(version, stem, spec, *, transformed=False):
    """Content-derived, so re-runs overwrite the same name. Transformed pixels (blurred faces) belong to
    this version alone and must not share a name with an untransformed twin of the same bytes."""
    folder = _transformed_folder(version) if transformed else _shared_folder(version.sha256)
    return f"{folder}/{stem}.{spec.output.extension}"


def _shared_folder(sha256):
    return f"renditions/{sha256[:2]}/{sha256}"


def _transformed_folder(version):
    return f"{_shared_folder(version.sha256)}/version-{version.pk}"


def untransformed(version):
    """Renditions of ``version`` made without a transform: all but those in its own folder."""
    return version.renditions.exclude(file__startswith=f"{_transformed_folder(version)}/")


def delete_unused_files(sha256):
    """Delete the shared rendition files of these bytes that no rendition row uses any more (after rows
    were discarded), so they are gone from storage, not just orphaned. Hold :func:`files_locked`."""
    folder = _shared_folder(sha256)
    try:
        _, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    names = {f"{folder}/{name}" for name in files}
    unused = names - set(Rendition.objects.filter(file__in=names).values_list("file", flat=True))
    for name in unused:
        default_storage.delete(name)
    return sorted(unused)


@contextmanager
def files_locked(sha256):
    """One worker at a time writes or deletes the rendition files of the same bytes (a session-level
    advisory lock: released even if the worker dies, with its connection)."""
    key = f"renditions:{sha256}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [key])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [key])


def decode_width(version, specs):
    """The smallest upright width from which every spec can be made without upscaling."""
    width, height = version.width, version.height
    needed = 1
    for spec in specs:
        plan = spec.plan(width, height)
        source_width = plan.box[2] - plan.box[0] if plan.box else width
        needed = max(needed, math.ceil(width * plan.size[0] / source_width))
    return min(width, needed)


def decode(version, width):
    """The original, upright, sRGB, RGB or RGBA, at least ``width`` wide (or its own width if smaller).

    Raises ``SourceUnavailable`` when storage cannot be read now (retried), RenditionError when the bytes are bad.
    """
    return decode_original(read_stored(version.file.storage, version.file.name), version.format, width)


def decode_original(data, fmt, width):
    """``decode`` for bytes of format ``fmt``; inspection calls it too, so what ingest accepts renditions can read.

    RenditionError's message is for people; what the decoder said is its ``__cause__`` (logged by the caller).
    """
    if fmt in VIPS_FORMATS:
        try:
            return _decode_with_vips(data, width)
        except pyvips.Error as exc:
            logger.info("libvips could not decode a %s original, trying Pillow: %s", fmt, str(exc).strip())
    try:
        if fmt in MEDICAL_FORMATS:  # DICOM and NIfTI are seen through their preview image
            return decode_preview(fmt, data, width)
        return _decode_with_pillow(data, width)
    except Exception as exc:  # noqa: BLE001 - malformed files raise all sorts from Pillow's plugins
        raise RenditionError(f"the {fmt.upper()} original cannot be decoded") from exc


def _decode_with_vips(data, width):
    header = pyvips.Image.new_from_buffer(data, "")
    options = {"height": VIPS_MAX_DIMENSION, "size": "down", "option_string": "fail_on=truncated"}
    if header.get_typeof("icc-profile-data") and not _is_srgb(header.get("icc-profile-data")):
        options["output_profile"] = "srgb"
    image = pyvips.Image.thumbnail_buffer(data, width, **options)
    if image.interpretation != "srgb" or image.format != "uchar":
        image = image.colourspace("srgb")
    if image.bands > 4:
        image = image.extract_band(0, n=4)
    return Image.frombytes("RGBA" if image.bands == 4 else "RGB", (image.width, image.height), image.write_to_memory())


def _decode_with_pillow(data, width):
    image = Image.open(io.BytesIO(data))
    orientation = pending_orientation(image)
    if image.format == "JPEG":
        stored_width, stored_height = image.size
        scale = width / (stored_height if orientation in (5, 6, 7, 8) else stored_width)
        image.draft(None, (math.ceil(stored_width * scale), math.ceil(stored_height * scale)))
    if orientation in UPRIGHT:
        image = image.transpose(UPRIGHT[orientation])
    image = _resizable(image)
    if image.width > width:  # before colour conversion, which costs per pixel
        image = image.resize((width, max(1, round(image.height * width / image.width))), LANCZOS, reducing_gap=3.0)
    image = _to_srgb(image)
    image.info.clear()
    return image


def _is_srgb(icc_profile):
    """sRGB-tagged images need no conversion; unreadable profiles are ignored (treated as sRGB)."""
    try:
        description = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)))
    except (ImageCms.PyCMSError, OSError, TypeError, ValueError):
        return True
    return description.strip().startswith("sRGB")


def _resizable(image):
    """8 bits per channel in a mode Pillow can resize and colour-manage: RGB, RGBA or CMYK."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L"):
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode in ("RGB", "RGBA", "CMYK"):
        return image
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def _to_srgb(image):
    """RGB or RGBA in sRGB, through the embedded profile when there is a usable one."""
    output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
    icc_profile = image.info.get("icc_profile")
    if icc_profile and not _is_srgb(icc_profile):
        try:
            return ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)), ImageCms.createProfile("sRGB"),
                outputMode=output_mode,
            )
        except (ImageCms.PyCMSError, OSError, ValueError) as exc:
            logger.info("ignoring an unusable ICC profile: %s", exc)
    return image.convert(output_mode)


def encode(image, spec, plan):
    """Bytes of ``image`` cropped and resized by ``plan``, in the spec's format and quality, without metadata."""
    if plan.box is not None or plan.size != image.size:
        image = image.resize(plan.size, LANCZOS, box=plan.box, reducing_gap=3.0)
    if spec.format == "jpeg" and image.mode == "RGBA":
        image = _flatten(image)
    output = spec.output
    options = dict(output.options)
    if output.default_quality is not None:
        options["quality"] = spec.quality or output.default_quality
    buffer = io.BytesIO()
    image.save(buffer, spec.format.upper(), **options)
    return buffer.getvalue()


def _flatten(image, background=(255, 255, 255)):
    """JPEG has no alpha: composite onto white rather than letting transparent pixels turn black."""
    flat = Image.new("RGB", image.size, background)
    flat.paste(image, mask=image.getchannel("A"))
    return flat


def _store(name, data):
    """Save under exactly ``name``: storages add a random suffix to taken names, so clear it first."""
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(data)), len(data)


def _save_row(version, spec, plan, name, size):
    """Insert the row; when a concurrent run inserted it first, keep theirs."""
    try:
        with transaction.atomic():
            return Rendition.objects.create(
                version=version, spec=str(spec), file=name, format=spec.format,
                width=plan.size[0], height=plan.size[1], bytes=size,
            )
    except IntegrityError:
        return Rendition.objects.get(version=version, spec=str(spec))


def _delete_unreferenced(names):
    """A file written by a run that lost the race to a concurrent one would otherwise stay forever."""
    for name in names:
        if not Rendition.objects.filter(file=name).exists():
            default_storage.delete(name)
