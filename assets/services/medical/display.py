"""From measured values to a picture: intensity windows, 8-bit images and the physical aspect of pixels.

Scanners store 12 to 32-bit values (Hounsfield units, MR signal); a screen shows 256 greys. Which
range of values those greys span is the window: the one the file recommends when it has one, else
the range without the 0.5 % darkest and brightest values, so a few hot pixels do not flatten the rest.
"""
import math

import numpy as np
from django.conf import settings
from PIL import Image

ROBUST_PERCENTILES = (0.5, 99.5)
SQUARE_TOLERANCE = 0.01  # pixels within 1 % of square are shown as stored


def robust_window(values):
    """(low, high) of the finite ``values`` without the extreme 0.5 % at each end."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    low, high = (float(value) for value in np.percentile(finite, ROBUST_PERCENTILES))
    if high <= low:
        low, high = float(finite.min()), float(finite.max())
    return low, high


def scale_to_unit(values, low, high):
    """``values`` mapped linearly so that ``low`` is 0 and ``high`` is 1, clipped; NaN becomes 0."""
    values = np.asarray(values, dtype=np.float64)
    if high <= low:
        return np.where(values > low, 1.0, 0.0)
    return np.clip(np.nan_to_num((values - low) / (high - low), nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)


def unit_to_image(unit):
    """An 8-bit greyscale (rows × columns) or RGB (rows × columns × 3) image from values in 0..1."""
    pixels = np.round(np.clip(unit, 0.0, 1.0) * 255).astype(np.uint8)
    if pixels.ndim == 3:
        return Image.fromarray(np.ascontiguousarray(pixels[..., :3]), "RGB")
    return Image.fromarray(np.ascontiguousarray(pixels), "L").convert("RGB")


def with_physical_aspect(image, row_spacing, column_spacing):
    """Stretch the coarser axis so that a millimetre is as long across as down (within the pixel budget)."""
    try:
        row_spacing, column_spacing = float(row_spacing), float(column_spacing)
    except (TypeError, ValueError):
        return image
    if not (row_spacing > 0 and column_spacing > 0 and math.isfinite(row_spacing / column_spacing)):
        return image
    if abs(row_spacing / column_spacing - 1) <= SQUARE_TOLERANCE:
        return image
    finest = min(row_spacing, column_spacing)
    width, height = image.width * column_spacing / finest, image.height * row_spacing / finest
    shrink = min(1.0, math.sqrt(settings.LUMEN_MAX_PIXELS / (width * height)))
    size = (max(1, round(width * shrink)), max(1, round(height * shrink)))
    return image.resize(size, Image.Resampling.BICUBIC)
