"""Normalise any decoded image to what the models were trained on: upright 8-bit sRGB.

Models see pixels, not metadata: a phone photo stored sideways with an EXIF
orientation tag, a wide-gamut or CMYK file with an embedded ICC profile, a
transparent PNG or a 16-bit scan would otherwise reach them rotated,
colour-shifted, black-backed or clipped.
"""

from __future__ import annotations

import io
import logging

import numpy as np
from PIL import Image, ImageCms, ImageOps

log = logging.getLogger(__name__)

BACKGROUND = (255, 255, 255)
_SRGB = ImageCms.createProfile("sRGB")
# ICC data colour space -> the Pillow mode a transform from that profile expects.
_PROFILE_MODES = {"RGB": "RGB", "GRAY": "L", "CMYK": "CMYK"}


def to_rgb(image: Image.Image) -> Image.Image:
    """Return an upright 8-bit RGB sRGB image; transparency is flattened onto white.

    Broken EXIF or ICC data is ignored (logged) rather than failing the image:
    the pixels are still usable, only slightly less faithful.
    """
    image = _upright(image)
    icc = image.info.get("icc_profile")
    base, alpha = _split_alpha(_to_8bit(image))
    rgb = _to_srgb(base, icc) if icc else base.convert("RGB")
    if alpha is not None:
        flat = Image.new("RGB", rgb.size, BACKGROUND)
        flat.paste(rgb, mask=alpha)
        rgb = flat
    rgb.info.pop("icc_profile", None)
    return rgb


def _upright(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # Pillow raises assorted types on malformed EXIF
        log.warning("ignoring unreadable EXIF orientation", exc_info=True)
        return image


def _to_8bit(image: Image.Image) -> Image.Image:
    """Map high-bit-depth and exotic modes onto L, LA, RGB, RGBA or CMYK."""
    mode = image.mode
    if "transparency" in image.info and mode in ("1", "L", "RGB", "P"):
        return image.convert("RGBA")  # PNG/GIF colour-key or palette transparency
    if mode in ("L", "LA", "RGB", "RGBA", "CMYK"):
        return image
    if mode == "1":
        return image.convert("L")
    if mode == "P":
        return image.convert("RGB")
    if mode in ("PA", "RGBa", "RGBX"):
        return image.convert("RGBA")
    if mode == "La":
        return image.convert("LA")
    if mode.startswith("I") or mode == "F":
        return _scale_to_l(image)
    return image.convert("RGB")


def _scale_to_l(image: Image.Image) -> Image.Image:
    """Single-channel 16/32-bit integer or float data -> 8-bit grey.

    16-bit data keeps its nominal range (x / 257), so a dark scan stays dark;
    32-bit integers already within 0..255 (e.g. ``convert("I")`` of 8-bit
    grey) are kept; floats in [0, 1] are scaled by 255; anything else (signed,
    wider than 16 bits, unbounded floats) is stretched min..max, the only
    choice that neither clips nor blanks it.
    """
    values = np.asarray(image, dtype=np.float64)
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    if image.mode.startswith("I;16"):
        scaled = values / 257.0
    elif image.mode == "F" and low >= 0.0 and high <= 1.0:
        scaled = values * 255.0
    elif image.mode == "I" and low >= 0 and high <= 255:
        scaled = values
    elif image.mode == "I" and low >= 0 and high <= 65535:
        scaled = values / 257.0
    elif high > low:
        scaled = (values - low) * (255.0 / (high - low))
    else:
        scaled = np.zeros_like(values)
    scaled = np.nan_to_num(scaled, nan=0.0, posinf=255.0, neginf=0.0)
    return Image.fromarray(np.clip(np.rint(scaled), 0, 255).astype(np.uint8))


def _split_alpha(image: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    if image.mode == "RGBA":
        return image.convert("RGB"), image.getchannel("A")
    if image.mode == "LA":
        return image.convert("L"), image.getchannel("A")
    return image, None


def _to_srgb(image: Image.Image, icc: bytes) -> Image.Image:
    """Convert through the embedded profile; fall back to a plain conversion if it is unusable."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        expected = _PROFILE_MODES.get(profile.profile.xcolor_space.strip())
        if expected != image.mode:
            log.warning("ICC profile colour space %r does not match image mode %s", expected, image.mode)
            return image.convert("RGB")
        return ImageCms.profileToProfile(image, profile, _SRGB, outputMode="RGB")
    except (OSError, ValueError, TypeError, ImageCms.PyCMSError):
        log.warning("ignoring unusable ICC profile", exc_info=True)
        return image.convert("RGB")


def require_rgb(image: Image.Image) -> Image.Image:
    """Adapters take images that went through :func:`to_rgb`; check that (cheaply) rather than redo it."""
    if image.mode != "RGB":
        raise ValueError(f"expected an RGB image from to_rgb(), got mode {image.mode}")
    return image


def rgb_array(image: Image.Image) -> np.ndarray:
    """HxWx3 uint8 array of an image that went through :func:`to_rgb`."""
    return np.asarray(require_rgb(image))
