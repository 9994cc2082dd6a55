"""Face anonymisation: how a face region is made unrecognisable (which assets it covers is
``Asset.requires_face_blur``)."""
from PIL import Image, ImageFilter

PADDING = 0.2  # of the box size, on each side: detectors box the face tightly, hair and ears identify too
PIXEL_BLOCKS = 8  # a padded face becomes at most 8x8 blocks before the blur


def padded(box, width, height, padding=PADDING):
    """``(x, y, w, h)`` grown by ``padding`` on each side, as an integer ``(left, top, right, bottom)`` inside the image."""
    x, y, w, h = box
    left, top = max(0, int(x - w * padding)), max(0, int(y - h * padding))
    right, bottom = min(width, int(round(x + w * (1 + padding)))), min(height, int(round(y + h * (1 + padding))))
    return left, top, right, bottom


def blur_regions(image, boxes):
    """A copy of ``image`` with every box (displayed pixels of this image) pixelated then blurred.

    Pixelating first destroys the detail a deblurring filter could recover; the blur
    then hides the block edges. The original image is left untouched.
    """
    result = image.copy()
    for box in boxes:
        left, top, right, bottom = padded(box, image.width, image.height)
        if right <= left or bottom <= top:
            continue
        region = result.crop((left, top, right, bottom))
        blocks = (max(1, min(PIXEL_BLOCKS, region.width)), max(1, min(PIXEL_BLOCKS, region.height)))
        coarse = region.resize(blocks, Image.Resampling.BOX).resize(region.size, Image.Resampling.NEAREST)
        radius = max(2, max(region.size) // (2 * PIXEL_BLOCKS))
        result.paste(coarse.filter(ImageFilter.GaussianBlur(radius)), (left, top))
    return result
