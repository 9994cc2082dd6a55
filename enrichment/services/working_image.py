"""The pixels models look at: the largest JPEG/WebP rendition, decoded once per task at most.

A rendition is small, already upright and sRGB, and already blurred where the face
policy applies, so models never read the multi-megabyte original nor unblurred faces.
Boxes found on it are scaled back to the version's displayed width and height.
"""
import io
from dataclasses import dataclass
from functools import lru_cache

import pillow_heif
from django.conf import settings
from django.core.files.storage import default_storage
from PIL import Image

from assets.services.medical import MEDICAL_FORMATS, preview_image
from core.storage import read_stored
from enrichment.adapters import to_rgb

WORKING_FORMATS = ("jpeg", "webp")
# What any model is handed (docs/enrichment.md, "Bounded inputs"). Models scale their input to a fixed short side
# (OCR's detector to 736 px), so a 450x1 strip became a 736x331,200 tensor and a worker passed 10 GB: shapes are
# settled here, before any model sees them.
MIN_MODEL_SIDE = 8  # px; thinner holds nothing a model can see
MAX_MODEL_ASPECT = 4  # longer : shorter side; longer strips are padded with white up to this
MAX_MODEL_PIXELS = 2048 * 2048  # larger images (an original read for faces) are scaled down to this
PADDING = (255, 255, 255)
pillow_heif.register_heif_opener()  # originals may be HEIF/AVIF (read only for face anonymisation)


class BadInput(Exception):
    """The version cannot be analysed as it is; retrying will not change that."""


class TooThin(Exception):
    """The image is too thin for any model: its jobs are skipped with this reason."""


@dataclass(frozen=True)
class WorkingImage:
    image: Image.Image
    scale_x: float
    scale_y: float

    def to_displayed(self, box):
        """``(x, y, w, h)`` on the working image -> ``[x, y, w, h]`` in the version's displayed pixels."""
        x, y, w, h = box
        return [round(x * self.scale_x, 1), round(y * self.scale_y, 1), round(w * self.scale_x, 1),
                round(h * self.scale_y, 1)]


def displayed_image(version, image):
    """Wrap an upright image of ``version`` (any size) so boxes found on it map to displayed pixels."""
    return WorkingImage(image, version.width / image.width, version.height / image.height)


def fit_for_models(working):
    """``working`` bounded for the models: scaled down to at most ``MAX_MODEL_PIXELS``, padded (right or bottom,
    so boxes keep their place) to at most ``MAX_MODEL_ASPECT``; raises :class:`TooThin` below ``MIN_MODEL_SIDE``."""
    image, scale_x, scale_y = working.image, working.scale_x, working.scale_y
    if min(image.size) < MIN_MODEL_SIDE:
        raise TooThin(f"The image is {image.width}x{image.height} pixels: too thin for the models to see anything.")
    if image.width * image.height > MAX_MODEL_PIXELS:
        shrink = (MAX_MODEL_PIXELS / (image.width * image.height)) ** 0.5
        size = (max(MIN_MODEL_SIDE, int(image.width * shrink)), max(MIN_MODEL_SIDE, int(image.height * shrink)))
        scale_x, scale_y = scale_x * image.width / size[0], scale_y * image.height / size[1]
        image = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    longer, shorter = max(image.size), min(image.size)
    if longer > MAX_MODEL_ASPECT * shorter:
        padded = Image.new("RGB", (max(image.width, -(-longer // MAX_MODEL_ASPECT)),
                                   max(image.height, -(-longer // MAX_MODEL_ASPECT))), PADDING)
        padded.paste(image, (0, 0))
        image = padded
    if image is working.image:
        return working
    return WorkingImage(image, scale_x, scale_y)


def working_rendition(version):
    """The largest JPEG/WebP rendition (JPEG on a tie), picked from ``version.renditions.all()`` so a
    caller that prefetched them (the pipeline task) pays no query for it."""
    candidates = [rendition for rendition in version.renditions.all() if rendition.format in WORKING_FORMATS]
    return min(candidates, key=lambda rendition: (-rendition.width, rendition.format), default=None)


def load_working_image(version):
    rendition = working_rendition(version)
    if rendition is None:
        raise BadInput("No JPEG or WebP rendition to analyse: previews have not been made.")
    return displayed_image(version, _decoded_rendition(rendition.pk, rendition.file.name, rendition.spec))


@lru_cache(maxsize=settings.LUMEN_ENRICH_BATCH_SIZE + 1)
def _decoded_rendition(pk, name, spec):
    """A version's steps follow one another in a worker process (its pipeline task, a batch's, or its
    capability tasks), so its rendition is decoded once for all of them: the cache holds a whole batch
    (``LUMEN_ENRICH_BATCH_SIZE`` working images, the largest renditions: 1280 px wide by default). Keyed by
    row and file name: a new rendition is a new row. Models only read it.
    """
    return decode(read_stored(default_storage, name), what=f"rendition {spec}")


def load_original(version):
    data = read_stored(version.file.storage, version.file.name)
    if version.format in MEDICAL_FORMATS:  # DICOM and NIfTI are seen through their preview image
        return displayed_image(version, preview_image(version.format, data))
    return displayed_image(version, decode(data, what="the original"))


def decode(data, *, what):
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return to_rgb(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise BadInput(f"{what} is not a readable image: {exc}") from exc
