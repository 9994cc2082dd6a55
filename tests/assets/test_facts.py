"""The limits every decoder refuses past, said with the real numbers, and decoder words kept out of messages."""
import io

import pytest
from PIL import Image

from assets.services.facts import check_size, decoder_said, human_size
from core.refusals import Refused


@pytest.mark.parametrize("size, unlike, text", [
    (100, None, "100 bytes"),
    (48 * 1024, None, "48 KB"),
    (260 * 1_048_576, None, "260 MB"),
    (260 * 1_048_576, 200 * 1_048_576, "260 MB"),
    (200 * 1_048_576 + 10_240, 200 * 1_048_576, "200.01 MB"),
    (1025, 1024, "1.001 KB"),
])
def test_sizes_read_as_people_write_them(size, unlike, text):
    assert human_size(size, unlike=unlike) == text


def test_an_oversized_file_is_told_its_real_size(settings):
    settings.LUMEN_MAX_UPLOAD_BYTES = 200 * 1_048_576
    with pytest.raises(Refused) as refused:
        check_size(260 * 1_048_576)
    assert (refused.value.status, refused.value.code) == (413, "too_large")
    assert refused.value.message == "The file is 260 MB; the limit is 200 MB."


def test_an_upload_of_unknown_length_is_told_it_is_larger_than_the_limit(settings):
    settings.LUMEN_MAX_UPLOAD_BYTES = 200 * 1_048_576
    with pytest.raises(Refused) as refused:
        check_size(200 * 1_048_576 + 1, at_least=True)
    assert refused.value.message == "The file is larger than 200 MB; the limit is 200 MB."


def test_decoder_words_lose_python_object_reprs():
    with pytest.raises(Image.UnidentifiedImageError) as raised:
        Image.open(io.BytesIO(b"\xff\xd8\xff" + bytes(40)))
    said = decoder_said(raised.value)
    assert said.startswith("UnidentifiedImageError: cannot identify image file")
    assert "0x" not in said and "object at" not in said and "<" not in said
