"""Metadata written into JPEG, PNG, WebP and TIFF containers: one XMP packet, EXIF texts in IFD0 and IPTC where
the format has a place for them, everything else kept, broken files refused."""
import io
import zlib

import pytest
from PIL import Image, ImageCms

from assets.services.containers import Blocks, ContainerError, write_blocks


def write_xmp(data, packet_for):
    return write_blocks(data, Blocks(xmp=packet_for))


def packet(text):
    return (f'<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
            f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
            f'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"><photoshop:Credit>{text}</photoshop:Credit>'
            f'</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode()


class Writer:
    """``packet_for``: remembers the packet it was handed and returns a new one."""

    def __init__(self, text="Ours"):
        self.text, self.existing = text, "not called"

    def __call__(self, existing):
        self.existing = existing
        return packet(self.text)


def encoded(fmt, mode="RGB", **options):
    image = Image.linear_gradient("L").resize((97, 61)).convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def opened(data):
    return Image.open(io.BytesIO(data))


def pixels(data):
    with opened(data) as image:
        return image.convert("RGBA").tobytes()


def riff_chunks(data):
    chunks, position = [], 12
    while position < len(data):
        size = int.from_bytes(data[position + 4:position + 8], "little")
        chunks.append(data[position:position + 4])
        position += 8 + size + (size & 1)
    return chunks


def translucent():
    image = Image.linear_gradient("L").resize((97, 61)).convert("RGBA")
    image.putalpha(128)
    return image


@pytest.mark.parametrize("image, options, alpha", [
    (Image.linear_gradient("L").resize((97, 61)).convert("RGB"), {"quality": 70}, False),
    (Image.linear_gradient("L").resize((97, 61)).convert("RGB"), {"lossless": True}, False),
    (translucent(), {"lossless": True}, True),
], ids=["vp8", "vp8l", "vp8l-alpha"])
def test_a_simple_webp_becomes_extended_with_the_xmp_flag_and_its_canvas(image, options, alpha):
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", **options)
    data = buffer.getvalue()
    assert riff_chunks(data) in ([b"VP8 "], [b"VP8L"])
    copy = write_xmp(data, Writer())
    vp8x = copy[12:30]
    assert riff_chunks(copy) == [b"VP8X", *riff_chunks(data), b"XMP "]
    assert vp8x[8] & 0x04 and bool(vp8x[8] & 0x10) == alpha
    assert (int.from_bytes(vp8x[12:15], "little") + 1, int.from_bytes(vp8x[15:18], "little") + 1) == (97, 61)
    assert int.from_bytes(copy[4:8], "little") == len(copy) - 8
    assert pixels(copy) == pixels(data) and b"Ours" in opened(copy).info["xmp"]


def test_an_extended_webp_keeps_its_icc_exif_and_frames_and_gets_one_xmp_chunk():
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010F] = "Lumen camera"
    frames = [Image.new("RGB", (40, 30), colour) for colour in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "WEBP", save_all=True, append_images=frames[1:], duration=100, icc_profile=icc,
                   exif=exif.tobytes(), xmp=packet("Theirs"), lossless=True)
    data = buffer.getvalue()
    writer = Writer()
    copy = write_xmp(data, writer)
    assert b"Theirs" in writer.existing
    assert riff_chunks(copy).count(b"XMP ") == 1 and b"Theirs" not in copy
    image = opened(copy)
    assert image.n_frames == 2 and image.info["icc_profile"] == icc
    assert image.getexif()[0x010F] == "Lumen camera" and b"Ours" in image.info["xmp"]


def xmp_itxt(text, compressed=False):
    """A raw iTXt chunk with the XMP keyword, as other tools write it."""
    payload = b"XML:com.adobe.xmp\x00" + bytes([compressed]) + b"\x00\x00\x00" + text
    return len(payload).to_bytes(4, "big") + b"iTXt" + payload + zlib.crc32(b"iTXt" + payload).to_bytes(4, "big")


def png_chunks(data):
    chunks, position = [], 8
    while position < len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        chunks.append(data[position + 4:position + 8])
        position += 12 + length
    return chunks


def test_png_gets_one_itxt_after_ihdr_and_keeps_every_other_chunk():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "kept")
    info.add_itxt("XML:com.adobe.xmp", packet("Theirs").decode(), zip=True)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encoded("PNG", "RGBA", pnginfo=info, icc_profile=icc)
    writer = Writer()
    copy = write_xmp(data, writer)
    assert b"Theirs" in writer.existing, "a compressed packet is read too"
    assert png_chunks(copy) == png_chunks(data), "the packet takes the old one's place"
    image = opened(copy)
    image.load()
    assert image.info["Comment"] == "kept" and image.info["icc_profile"] == icc
    assert b"Ours" in image.info["XML:com.adobe.xmp"].encode() and pixels(copy) == pixels(data)
    assert write_xmp(copy, Writer("Again")).count(b"XML:com.adobe.xmp") == 1
    assert png_chunks(write_xmp(encoded("PNG"), Writer()))[:2] == [b"IHDR", b"iTXt"], "a new packet after IHDR"


def test_png_with_two_packets_keeps_the_first_as_existing_and_holds_one():
    data = write_xmp(write_xmp(encoded("PNG"), Writer("First")), Writer("Unused"))  # one packet after IHDR
    data = data[:-12] + xmp_itxt(packet("Second")) + data[-12:]
    writer = Writer()
    copy = write_xmp(data, writer)
    assert b"Unused" in writer.existing and copy.count(b"XML:com.adobe.xmp") == 1 and b"Second" not in copy


@pytest.mark.parametrize("name", ["Arbitro.tiff", "Picoawards.tiff", "Cr303251mieux11.tiff"])
def test_tiff_keeps_every_tag_and_strip_and_holds_one_packet(samples, name):
    data = (samples / "tiff" / name).read_bytes()
    writer = Writer()
    copy = write_xmp(data, writer)
    original, rewritten = opened(data), opened(copy)
    assert {tag: value for tag, value in original.tag_v2.items() if tag != 700} == \
        {tag: value for tag, value in rewritten.tag_v2.items() if tag != 700}
    assert copy.startswith(data[:4]) and copy[8:len(data)].count(b"<?xpacket begin") == 0, "old packet blanked"
    assert copy.count(b"<?xpacket begin") == 1 and b"Ours" in bytes(rewritten.tag_v2[700])
    assert pixels(copy) == pixels(data)
    assert (writer.existing is not None) == (700 in original.tag_v2)


def test_tiff_pages_after_the_first_stay():
    pages = [Image.new("RGB", (20, 10), colour) for colour in ("red", "green", "blue")]
    buffer = io.BytesIO()
    pages[0].save(buffer, "TIFF", save_all=True, append_images=pages[1:], compression="tiff_lzw")
    copy = write_xmp(buffer.getvalue(), Writer())
    image = opened(copy)
    assert image.n_frames == 3
    image.seek(2)
    assert image.convert("RGB").getpixel((0, 0)) == (0, 0, 255)


def test_jpeg_keeps_exif_and_replaces_its_packet():
    exif = Image.Exif()
    exif[0x010F] = "Lumen camera"
    data = encoded("JPEG", exif=exif.tobytes(), xmp=packet("Theirs"))
    writer = Writer()
    copy = write_xmp(data, writer)
    assert b"Theirs" in writer.existing and b"Theirs" not in copy
    assert opened(copy).getexif()[0x010F] == "Lumen camera" and pixels(copy) == pixels(data)


def test_other_formats_are_not_written():
    assert write_xmp(encoded("GIF"), Writer()) is None


def flip_png_crc(data):
    return data[:29] + bytes([data[29] ^ 0xFF]) + data[30:]  # the IHDR CRC


def wrong_riff_size(data):
    return data[:4] + (len(data) * 2).to_bytes(4, "little") + data[8:]


def ifd_past_the_end(data):
    return data[:4] + (len(data) + 100).to_bytes(4, "little" if data[:2] == b"II" else "big") + data[8:]


@pytest.mark.parametrize("data, why", [
    (encoded("PNG")[:-12], "PNG ends before IEND"),
    (flip_png_crc(encoded("PNG")), "bad CRC"),
    (wrong_riff_size(encoded("WEBP")), "RIFF size runs past"),
    (encoded("WEBP").replace(b"\x9d\x01\x2a", b"\x00\x00\x00"), "frame header"),
    (ifd_past_the_end(encoded("TIFF")), "IFD runs past"),
    (encoded("JPEG")[:200], "runs past the end"),
])
def test_broken_containers_are_refused_not_rewritten(data, why):
    with pytest.raises(ContainerError, match=why):
        write_xmp(data, Writer())


def test_a_compressed_packet_that_inflates_past_what_pillow_reads_is_refused():
    from assets.services import containers as xmp

    bomb = xmp_itxt(zlib.compress(b" " * (xmp.PNG_MAX_EXISTING_PACKET + 1)), compressed=True)
    data = encoded("PNG")
    with pytest.raises(ContainerError, match="inflates past"):
        write_xmp(data[:33] + bomb + data[33:], Writer())
