"""What models are handed: thin images refused with a reason, long strips padded, large images scaled down, and
boxes still mapped to the version's displayed pixels."""
import pytest
from PIL import Image

from enrichment.services.working_image import (
    MAX_MODEL_ASPECT,
    MAX_MODEL_PIXELS,
    TooThin,
    WorkingImage,
    fit_for_models,
)


def working(width, height, scale=1.0):
    return WorkingImage(Image.new("RGB", (width, height), "teal"), scale, scale)


@pytest.mark.parametrize("size", [(450, 1), (1, 450), (2, 450), (7, 7)])
def test_images_thinner_than_models_can_see_are_refused_with_the_size(size):
    with pytest.raises(TooThin, match=f"{size[0]}x{size[1]} pixels: too thin"):
        fit_for_models(working(*size))


def test_long_strips_are_padded_white_to_the_aspect_cap_and_boxes_keep_their_place():
    fitted = fit_for_models(working(1280, 40, scale=2.0))
    assert fitted.image.size == (1280, 1280 // MAX_MODEL_ASPECT)
    assert fitted.image.getpixel((0, 0)) == (0, 128, 128) and fitted.image.getpixel((0, 300)) == (255, 255, 255)
    assert fitted.to_displayed((10, 5, 20, 10)) == [20.0, 10.0, 40.0, 20.0]


def test_large_images_are_scaled_under_the_pixel_cap_and_boxes_scaled_back():
    fitted = fit_for_models(working(4000, 3000))
    assert fitted.image.width * fitted.image.height <= MAX_MODEL_PIXELS
    x, y, w, h = fitted.to_displayed((0, 0, fitted.image.width, fitted.image.height))
    assert (x, y) == (0, 0) and abs(w - 4000) <= 2 and abs(h - 3000) <= 2


def test_ordinary_images_pass_untouched():
    image = working(500, 375)
    assert fit_for_models(image) is image
