"""The gatekeeper: type sniffing from bytes and refusal of hostile or broken files."""
import io
import struct
import zlib

import pytest
from PIL import Image

from assets.services.inspect import inspect_image, sniff_format
from core.refusals import Refused
from mutations import assert_readable


def png_bytes(size=(4, 3), mode="RGB"):
    buffer = io.BytesIO()
    Image.new(mode, size, "red").save(buffer, "PNG")
    return buffer.getvalue()


def png_claiming_size(width, height):
    """A tiny valid PNG whose header claims a huge canvas: the classic decompression bomb."""
    data = bytearray(png_bytes((1, 1)))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


@pytest.mark.parametrize(
    "head, expected",
    [
        (b"\xff\xd8\xff\xe0rest", "jpeg"),
        (b"\x89PNG\r\n\x1a\nrest", "png"),
        (b"GIF89a", "gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"II*\x00", "tiff"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1", "avif"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "heif"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'>", None),
        (b"%PDF-1.7", None),
    ],
)
def test_sniff_format_reads_bytes_not_names(head, expected):
    assert sniff_format(head) == expected


def test_accepts_a_png_and_reports_its_facts():
    facts = inspect_image(png_bytes((4, 3)))
    assert (facts.format, facts.mime_type, facts.width, facts.height) == ("png", "image/png", 4, 3)
    assert len(facts.sha256) == 64


def test_svg_with_script_is_refused_with_an_explanation():
    svg = b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    with pytest.raises(Refused) as refused:
        inspect_image(svg)
    assert refused.value.status == 415
    assert "SVG" in refused.value.message


def test_text_renamed_to_jpg_is_refused():
    with pytest.raises(Refused) as refused:
        inspect_image(b"just some notes, not a photo\n" * 10)
    assert refused.value.code == "unsupported_type"
    assert "Accepted types" in refused.value.message


def test_empty_file_is_refused():
    with pytest.raises(Refused, match="empty"):
        inspect_image(b"")


def test_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(Refused) as refused:
        inspect_image(png_claiming_size(100_000, 100_000))
    assert refused.value.status == 413
    assert "megapixels" in refused.value.message


def test_oversized_file_is_refused(settings):
    settings.LUMEN_MAX_UPLOAD_BYTES = 100
    with pytest.raises(Refused) as refused:
        inspect_image(png_bytes((64, 64)))
    assert refused.value.status == 413


def test_truncated_image_is_refused_as_corrupt():
    buffer = io.BytesIO()
    Image.effect_noise((256, 256), 64).convert("RGB").save(buffer, "JPEG")
    with pytest.raises(Refused) as refused:
        inspect_image(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    assert refused.value.code == "corrupt"


def test_html_polyglot_is_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "JPEG", comment=b"<script>alert(document.cookie)</script>")
    with pytest.raises(Refused) as refused:
        inspect_image(buffer.getvalue())
    assert refused.value.code == "hostile"


def test_zip_appended_polyglot_is_refused():
    archive = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("payload.txt", "hidden")
    with pytest.raises(Refused) as refused:
        inspect_image(png_bytes() + archive.getvalue())
    assert refused.value.code == "hostile"


def test_mislabelled_container_is_refused():
    """GIF magic followed by PNG data: the signature and the decoder disagree."""
    with pytest.raises(Refused):
        inspect_image(b"GIF89a" + png_bytes()[6:])


def encoded(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def test_a_truncated_heic_is_refused_at_upload_in_words():
    """libheif cannot decode it, so no preview could ever be made: refused now, not failed later."""
    whole = encoded(Image.effect_noise((256, 192), 64).convert("RGB"), "HEIF")
    with pytest.raises(Refused) as refused:
        inspect_image(whole[: len(whole) * 2 // 3])
    assert (refused.value.status, refused.value.code) == (400, "corrupt")
    assert refused.value.message.startswith("This HEIC/HEIF file cannot be read")
    assert refused.value.expert_details  # what libheif said, for the log and the API's expert_details
    assert_readable(refused.value)


@pytest.mark.parametrize("data", [
    b"\xff\xd8\xff\xe0" + bytes(64),  # Pillow: "cannot identify image file <_io.BytesIO object at 0x…>"
    b"\x89PNG\r\n\x1a\n" + bytes(64),
    b"GIF89a" + bytes(64),
], ids=["jpeg", "png", "gif"])
def test_unidentifiable_files_are_refused_without_python_reprs(data):
    with pytest.raises(Refused) as refused:
        inspect_image(data)
    assert refused.value.code == "corrupt"
    assert_readable(refused.value)
    assert "object at" not in refused.value.expert_details


def test_a_very_tall_jpeg_is_accepted_with_its_size():
    facts = inspect_image(encoded(Image.new("RGB", (200, 20000), "teal"), "JPEG"))
    assert (facts.format, facts.width, facts.height) == ("jpeg", 200, 20000)


def test_an_image_between_pillows_own_limit_and_ours_is_judged_by_ours(settings):
    """Pillow warns past 89 Mpx; the limit people are told is LUMEN_MAX_PIXELS, with the image's real size."""
    settings.LUMEN_MAX_PIXELS = 50_000_000
    with pytest.raises(Refused) as refused:
        inspect_image(png_claiming_size(10_000, 9_500))
    assert refused.value.message.startswith("The image is 10000×9500 pixels; the limit is 50 megapixels")
