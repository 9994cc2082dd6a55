"""Put an XMP packet into JPEG, PNG, WebP and TIFF files by editing their containers, never re-encoding pixels.

``write_xmp(data, packet_for)`` calls ``packet_for(existing_packet_or_None)`` and returns a copy of ``data``
carrying the packet it returns in place of any earlier one. Everything else (pixels, ICC, EXIF, other chunks
and tags) is copied byte for byte. A file whose structure is not what its signature promises raises
``ContainerError``; the caller then serves the original instead of a copy nobody can open.
"""
import io
import zlib

from PIL import Image, PngImagePlugin


class ContainerError(Exception):
    """This file cannot be rewritten safely; the message says why."""


def _u16(data, offset, order):
    return int.from_bytes(data[offset:offset + 2], order)


def _u32(data, offset, order):
    return int.from_bytes(data[offset:offset + 4], order)


# JPEG: an APP1 segment "http://ns.adobe.com/xap/1.0/\0" + packet, after JFIF/EXIF.
JPEG_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
JPEG_XMP_EXTENSION_HEADER = b"http://ns.adobe.com/xmp/extension/\x00"
JPEG_MAX_PACKET = 65533 - len(JPEG_XMP_HEADER)


def _jpeg_segments(data):
    """(marker, start, end) of each header segment, and where the scan starts."""
    segments, position = [], 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise ContainerError(f"no JPEG marker at byte {position}")
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
            continue
        if marker in (0xDA, 0xD9):
            return segments, position
        end = position + 2 + _u16(data, position + 2, "big")
        if end > len(data):
            raise ContainerError(f"JPEG segment {marker:#x} runs past the end of the file")
        segments.append((marker, position, end))
        position = end
    raise ContainerError("JPEG without a start of scan")


def _write_jpeg(data, packet_for):
    segments, scan_start = _jpeg_segments(data)
    existing, kept, insert_at = None, [], 0
    for marker, start, end in segments:
        segment = data[start:end]
        payload = segment[4:]
        if marker == 0xE1 and payload.startswith(JPEG_XMP_HEADER):
            existing = existing or payload[len(JPEG_XMP_HEADER):]
            insert_at = len(kept)
            continue
        if marker == 0xE1 and payload.startswith(JPEG_XMP_EXTENSION_HEADER):
            continue
        kept.append(segment)
        if existing is None and (marker == 0xE0 or (marker == 0xE1 and payload.startswith(b"Exif\x00"))):
            insert_at = len(kept)
    packet = packet_for(existing)
    if len(packet) > JPEG_MAX_PACKET:  # the old packet with ours does not fit one segment: ours alone
        packet = packet_for(None)
    if len(packet) > JPEG_MAX_PACKET:
        raise ContainerError("the XMP packet is larger than one JPEG segment")
    payload = JPEG_XMP_HEADER + packet
    kept.insert(insert_at, b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload)
    return b"\xff\xd8" + b"".join(kept) + data[scan_start:]


# PNG: an uncompressed iTXt chunk with keyword "XML:com.adobe.xmp", where the old one was or else after IHDR.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_XMP_KEYWORD = b"XML:com.adobe.xmp"
PNG_MAX_EXISTING_PACKET = PngImagePlugin.MAX_TEXT_CHUNK  # what Pillow, and so ingest, would inflate


def _png_chunks(data):
    """(type, start, end) of each chunk up to IEND, with lengths and CRCs checked."""
    chunks, position = [], len(PNG_SIGNATURE)
    while not chunks or chunks[-1][0] != b"IEND":
        if position + 12 > len(data):
            raise ContainerError("PNG ends before IEND")
        end = position + 12 + _u32(data, position, "big")
        if end > len(data):
            raise ContainerError("PNG chunk runs past the end of the file")
        kind = data[position + 4:position + 8]
        if zlib.crc32(data[position + 4:end - 4]) != _u32(data, end - 4, "big"):
            raise ContainerError(f"PNG {kind.decode('latin-1')} chunk has a bad CRC")
        chunks.append((kind, position, end))
        position = end
    if chunks[0][0] != b"IHDR":
        raise ContainerError("PNG does not start with IHDR")
    return chunks, position


def _png_xmp(payload):
    """The packet of the XMP iTXt payload, inflated if compressed (within the limit Pillow reads)."""
    compressed, text = payload[len(PNG_XMP_KEYWORD) + 1], payload[len(PNG_XMP_KEYWORD) + 3:].split(b"\x00", 2)[-1]
    if not compressed:
        return text
    inflater = zlib.decompressobj()
    packet = inflater.decompress(text, PNG_MAX_EXISTING_PACKET)
    if inflater.unconsumed_tail:
        raise ContainerError("the PNG's XMP inflates past the size Pillow reads")
    return packet


def _png_chunk(kind, payload):
    return len(payload).to_bytes(4, "big") + kind + payload + zlib.crc32(kind + payload).to_bytes(4, "big")


def _write_png(data, packet_for):
    chunks, iend_end = _png_chunks(data)
    existing, kept, insert_at = None, [], None
    for kind, start, end in chunks:
        payload = data[start + 8:end - 4]
        if kind == b"iTXt" and payload.startswith(PNG_XMP_KEYWORD + b"\x00"):
            if insert_at is None:
                existing, insert_at = _png_xmp(payload), len(kept)
            continue
        kept.append(data[start:end])
    insert_at = 1 if insert_at is None else insert_at  # no packet yet: right after IHDR
    packet = packet_for(existing)
    kept.insert(insert_at, _png_chunk(b"iTXt", PNG_XMP_KEYWORD + b"\x00\x00\x00\x00\x00" + packet))
    return PNG_SIGNATURE + b"".join(kept) + data[iend_end:]


# WebP: an "XMP " chunk in the RIFF container, which must then be the extended format (VP8X, XMP flag set).
WEBP_XMP_FLAG, WEBP_ALPHA_FLAG = 0x04, 0x10
WEBP_AFTER = {b"ICCP", b"ANIM", b"ANMF", b"ALPH", b"VP8 ", b"VP8L", b"EXIF"}  # XMP goes after these


def _riff_chunks(data, end):
    """(fourcc, start, end) of each chunk between the WEBP form type and ``end``, padding included."""
    chunks, position = [], 12
    while position < end:
        if position + 8 > end:
            raise ContainerError("WebP chunk header runs past the RIFF size")
        size = _u32(data, position + 4, "little")
        chunk_end = position + 8 + size + (size & 1)
        if chunk_end > end:
            raise ContainerError("WebP chunk runs past the RIFF size")
        chunks.append((data[position:position + 4], position, chunk_end))
        position = chunk_end
    if not chunks:
        raise ContainerError("WebP without chunks")
    return chunks


def _webp_canvas(fourcc, payload):
    """(width, height, has_alpha) of a simple lossy or lossless WebP, for the VP8X header it is converted to."""
    if fourcc == b"VP8 " and len(payload) >= 10 and payload[3:6] == b"\x9d\x01\x2a":
        return _u16(payload, 6, "little") & 0x3FFF, _u16(payload, 8, "little") & 0x3FFF, False
    if fourcc == b"VP8L" and len(payload) >= 5 and payload[0] == 0x2F:
        bits = _u32(payload, 1, "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, bool(bits >> 28 & 1)
    raise ContainerError(f"WebP image chunk {fourcc!r} without a readable frame header")


def _vp8x(width, height, has_alpha):
    flags = WEBP_ALPHA_FLAG if has_alpha else 0
    payload = bytes([flags, 0, 0, 0]) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"VP8X" + (10).to_bytes(4, "little") + payload


def _riff_chunk(fourcc, payload):
    return fourcc + len(payload).to_bytes(4, "little") + payload + b"\x00" * (len(payload) & 1)


def _write_webp(data, packet_for):
    if data[8:12] != b"WEBP":
        raise ContainerError("RIFF file that is not WebP")
    riff_end = 8 + _u32(data, 4, "little")
    if riff_end > len(data):
        raise ContainerError("RIFF size runs past the end of the file")
    chunks = [(fourcc, data[start:end]) for fourcc, start, end in _riff_chunks(data, riff_end)]
    fourcc, first = chunks[0]
    if fourcc == b"VP8X":
        header, chunks = bytearray(first), chunks[1:]
    else:
        header = bytearray(_vp8x(*_webp_canvas(fourcc, first[8:8 + _u32(first, 4, "little")])))
    header[8] |= WEBP_XMP_FLAG
    existing, kept, insert_at = None, [], 0
    for fourcc, chunk in chunks:
        if fourcc == b"XMP ":
            existing = existing if existing is not None else chunk[8:8 + _u32(chunk, 4, "little")]
            insert_at = len(kept)
            continue
        kept.append(chunk)
        if existing is None and fourcc in WEBP_AFTER:
            insert_at = len(kept)
    kept.insert(insert_at, _riff_chunk(b"XMP ", packet_for(existing)))
    body = b"WEBP" + bytes(header) + b"".join(kept)
    return b"RIFF" + len(body).to_bytes(4, "little") + body + data[riff_end:]


# TIFF: tag 700 (XMLPacket) in the first IFD. That IFD is copied, with the tag, to the end of the file and the
# header pointed at it: no strip, tile or tag value moves, so every offset in the file stays right.
TIFF_XMP_TAG, TIFF_BYTE = 700, 1
TIFF_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}


def _tiff_value_span(data, entry, order):
    """(start, end) in the file of one IFD entry's value: inside the entry when it fits in four bytes."""
    size = _u32(entry, 4, order) * TIFF_TYPE_SIZES.get(_u16(entry, 2, order), 1)
    if size <= 4:
        return None
    offset = _u32(entry, 8, order)
    if offset + size > len(data):
        raise ContainerError("TIFF tag value runs past the end of the file")
    return offset, offset + size


def _write_tiff(data, packet_for):
    order = "little" if data[:2] == b"II" else "big"
    if _u16(data, 2, order) != 42:
        raise ContainerError("BigTIFF or not TIFF")
    ifd = _u32(data, 4, order)
    entries_end = ifd + 2 + 12 * _u16(data, ifd, order)
    if ifd < 8 or entries_end + 4 > len(data):
        raise ContainerError("the first TIFF IFD runs past the end of the file")
    entries = [data[start:start + 12] for start in range(ifd + 2, entries_end, 12)]
    xmp_entries = [entry for entry in entries if _u16(entry, 0, order) == TIFF_XMP_TAG]
    old = _tiff_value_span(data, xmp_entries[0], order) if xmp_entries else None
    packet = packet_for(data[old[0]:old[1]] if old else None)
    copy = bytearray(data + b"\x00" * (len(data) & 1))
    if old:  # blank the old packet, so a reader scanning for packets cannot find stale rights
        copy[old[0]:old[1]] = bytes(old[1] - old[0])
    packet_offset = len(copy)
    copy += packet + b"\x00" * (len(packet) & 1)
    xmp_entry = (TIFF_XMP_TAG.to_bytes(2, order) + TIFF_BYTE.to_bytes(2, order) + len(packet).to_bytes(4, order)
                 + packet_offset.to_bytes(4, order))
    entries = sorted([entry for entry in entries if entry not in xmp_entries] + [xmp_entry],
                     key=lambda entry: _u16(entry, 0, order))
    ifd_offset = len(copy)
    copy += len(entries).to_bytes(2, order) + b"".join(entries) + data[entries_end:entries_end + 4]
    if len(copy) >= 2**32:
        raise ContainerError("the copy would outgrow classic TIFF offsets")
    copy[4:8] = ifd_offset.to_bytes(4, order)
    return bytes(copy)


WRITERS = [
    (b"\xff\xd8", _write_jpeg),
    (PNG_SIGNATURE, _write_png),
    (b"RIFF", _write_webp),
    (b"II*\x00", _write_tiff),
    (b"MM\x00*", _write_tiff),
]


def _header(data):
    with Image.open(io.BytesIO(data)) as image:
        return image.format, image.size, image.mode, getattr(image, "n_frames", 1)


def write_xmp(data, packet_for):
    """A copy of ``data`` with the packet ``packet_for(existing)`` returns, or None for formats not written."""
    if data[128:132] == b"DICM":  # DICOM, perhaps with a TIFF header in its preamble: never rewritten
        return None
    writer = next((writer for signature, writer in WRITERS if data.startswith(signature)), None)
    if writer is None:
        return None
    try:
        copy = writer(data, packet_for)
        same = _header(copy) == _header(data)
    except ContainerError:
        raise
    except Exception as exc:  # any failure to parse or reopen means the copy must not be served
        raise ContainerError(f"{type(exc).__name__}: {exc}") from exc
    if not same:
        raise ContainerError("the copy does not open as the same image")
    return copy
