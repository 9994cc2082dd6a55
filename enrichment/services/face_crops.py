"""The small square picture of one face that the people pages show, cut from the image's largest preview.

Previews of images under the face policy are blurred, and such images have no face descriptors, so a crop
never shows a face that is blurred elsewhere.
"""
import io

from PIL import Image

from enrichment.services.working_image import BadInput, load_working_image

CROP_SIDE = 160
MARGIN = 0.3  # of the face's size on each side: hair and chin, as people recognise a face


def face_crop(face):
    """JPEG bytes of ``face`` (a FaceDescriptor) framed square, or None while the image has no preview."""
    try:
        working = load_working_image(face.version)
    except BadInput:
        return None
    x, y, w, h = face.box
    side = max(w, h) * (1 + 2 * MARGIN)
    centre_x, centre_y = x + w / 2, y + h / 2
    left, top = (centre_x - side / 2) / working.scale_x, (centre_y - side / 2) / working.scale_y
    box = (round(left), round(top), round(left + side / working.scale_x), round(top + side / working.scale_y))
    crop = working.image.crop(box).resize((CROP_SIDE, CROP_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    crop.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
