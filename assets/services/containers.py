"""Put metadata into JPEG, PNG, WebP and TIFF files by editing their containers, never re-encoding pixels.

``write_blocks(data, blocks)`` returns a copy of ``data`` carrying ``blocks``: an XMP packet (made from the
file's existing one), EXIF tags of the first IFD (IFD0: description, artist, copyright) and IPTC-IIM datasets
where the format has a place for them (JPEG's Photoshop segment, TIFF's tag 33723). What the blocks manage
replaces what the file said; everything else (pixels, ICC, other EXIF tags, other chunks and datasets) is
copied byte for byte. A file whose structure is not what its signature promises raises ``ContainerError``;
the caller then serves the stored file instead of a copy nobody can open.
"""
import io
import zlib
from dataclasses import dataclass, field
from typing import Callable

from PIL import Image, PngImagePlugin

from assets.services.metadata import IPTC_CHARSETS, decode_text


class ContainerError(Exception):
    """This file cannot be rewritten safely; the message says why."""


@dataclass(frozen=True)
class Blocks:
    """What to write. ``xmp`` turns the file's packet (or None) into ours; ``exif`` maps IFD0 tags to text and
    ``iptc`` (record, dataset) to values, an empty value removing what the file had."""

    xmp: Callable[[bytes | None], bytes]
    exif: dict = field(default_factory=dict)
    iptc: dict = field(default_factory=dict)


def _u16(data, offset, order):
    return int.from_bytes(data[offset:offset + 2], order)


def _u32(data, offset, order):
    return int.from_bytes(data[offset:offset + 4], order)


# TIFF structure, shared by TIFF files and the EXIF blocks of JPEG, PNG and WebP: tags are set in the first IFD by
# copying it, with them, to the end and pointing the header at the copy. No strip, tile or tag value moves, so
# every offset stays right; values of replaced tags are blanked, so no reader finds stale text.
TIFF_BYTE, TIFF_ASCII, TIFF_UNDEFINED = 1, 2, 7
TIFF_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
TIFF_XMP_TAG, TIFF_IPTC_TAG = 700, 33723
EMPTY_EXIF = b"II*\x00\x08\x00\x00\x00" + b"\x00\x00" + b"\x00\x00\x00\x00"  # a header and an IFD0 with no tags


def _tiff_value_span(data, entry, order):
    """(start, end) in the file of one IFD entry's value: None when it sits inside the entry (four bytes or less)."""
    size = _u32(entry, 4, order) * TIFF_TYPE_SIZES.get(_u16(entry, 2, order), 1)
    if size <= 4:
        return None
    offset = _u32(entry, 8, order)
    if offset + size > len(data):
        raise ContainerError("TIFF tag value runs past the end of the file")
    return offset, offset + size


def _tiff_ifd0(data):
    """(byte order, entries of the first IFD, where they end)."""
    order = {b"II": "little", b"MM": "big"}.get(data[:2])
    if order is None or _u16(data, 2, order) != 42:
        raise ContainerError("BigTIFF or not TIFF")
    ifd = _u32(data, 4, order)
    entries_end = ifd + 2 + 12 * _u16(data, ifd, order)
    if ifd < 8 or entries_end + 4 > len(data):
        raise ContainerError("the first TIFF IFD runs past the end of the file")
    return order, [data[start:start + 12] for start in range(ifd + 2, entries_end, 12)], entries_end


def _tiff_tag_value(data, tag):
    """The raw value of ``tag`` in the first IFD, or None."""
    order, entries, _ = _tiff_ifd0(data)
    entry = next((entry for entry in entries if _u16(entry, 0, order) == tag), None)
    if entry is None:
        return None
    span = _tiff_value_span(data, entry, order)
    size = _u32(entry, 4, order) * TIFF_TYPE_SIZES.get(_u16(entry, 2, order), 1)
    return data[span[0]:span[1]] if span else entry[8:8 + size]


def _set_ifd0(data, values):
    """A copy of TIFF bytes ``data`` whose first IFD holds ``values`` ({tag: (type, bytes) or None to drop})."""
    order, entries, entries_end = _tiff_ifd0(data)
    copy = bytearray(data + b"\x00" * (len(data) & 1))
    replaced = [entry for entry in entries if _u16(entry, 0, order) in values]
    for entry in replaced:
        span = _tiff_value_span(data, entry, order)
        if span:
            copy[span[0]:span[1]] = bytes(span[1] - span[0])
    added = []
    for tag, value in values.items():
        if value is None:
            continue
        kind, payload = value
        if len(payload) <= 4:
            where = payload.ljust(4, b"\x00")
        else:
            where = len(copy).to_bytes(4, order)
            copy += payload + b"\x00" * (len(payload) & 1)
        added.append(tag.to_bytes(2, order) + kind.to_bytes(2, order) + len(payload).to_bytes(4, order) + where)
    entries = sorted([entry for entry in entries if entry not in replaced] + added,
                     key=lambda entry: _u16(entry, 0, order))
    ifd_offset = len(copy)
    copy += len(entries).to_bytes(2, order) + b"".join(entries) + data[entries_end:entries_end + 4]
    if len(copy) >= 2**32:
        raise ContainerError("the copy would outgrow classic TIFF offsets")
    copy[4:8] = ifd_offset.to_bytes(4, order)
    return bytes(copy)


def _exif_values(texts):
    return {tag: (TIFF_ASCII, text.encode() + b"\x00") if text else None for tag, text in texts.items()}


def _with_exif(blob, texts):
    """The EXIF block (a TIFF structure) ``blob`` with the IFD0 ``texts``; a new block when there was none."""
    if not texts:
        return blob
    return _set_ifd0(blob or EMPTY_EXIF, _exif_values(texts))


# IPTC-IIM: datasets 0x1C record number length value. Ours are written as UTF-8 (1:90 says so), so text datasets
# the file had in another character set are re-encoded; record 2's version (2:00) and other records stay as bytes.
IIM_UTF8 = b"\x1b%G"
IIM_RECORD_VERSION = b"\x00\x04"


def _iim_datasets(data):
    """[(record, number, value)] of an IPTC-IIM block."""
    datasets, position = [], 0
    while position + 5 <= len(data):
        if data[position] != 0x1C:
            break  # padding after the last dataset
        record, number, length = data[position + 1], data[position + 2], _u16(data, position + 3, "big")
        position += 5
        if length & 0x8000:  # extended length: the next (length & 0x7FFF) bytes hold it
            size = length & 0x7FFF
            length = int.from_bytes(data[position:position + size], "big")
            position += size
        if position + length > len(data):
            raise ContainerError("IPTC dataset runs past the end of its block")
        datasets.append((record, number, data[position:position + length]))
        position += length
    return datasets


def _iim_dataset(record, number, value):
    if len(value) >= 0x8000:
        raise ContainerError("IPTC dataset too long")
    return bytes([0x1C, record, number]) + len(value).to_bytes(2, "big") + value


def _merged_iim(existing, ours):
    """The file's datasets with ours in place of those ``ours`` names, all of record 2 in UTF-8."""
    datasets = _iim_datasets(existing or b"")
    charset = next((IPTC_CHARSETS.get(value) for record, number, value in datasets if (record, number) == (1, 90)),
                   None)
    kept = []
    for record, number, value in datasets:
        if (record, number) in ours or (record, number) == (1, 90):
            continue
        if record == 2 and number != 0 and charset != "utf-8":
            value = decode_text(value, charset).encode()
        kept.append((record, number, value))
    if not any((record, number) == (2, 0) for record, number, _ in kept):
        kept.insert(0, (2, 0, IIM_RECORD_VERSION))
    kept += [(record, number, text.encode()) for (record, number), texts in ours.items() for text in texts]
    kept.sort(key=lambda dataset: dataset[0])  # records in order; within one, the file's order, then ours
    kept.insert(0, (1, 90, IIM_UTF8))
    return b"".join(_iim_dataset(*dataset) for dataset in kept)


# JPEG: EXIF and XMP in APP1 segments right after SOI (or JFIF's APP0), IPTC in the Photoshop APP13 segment.
JPEG_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
JPEG_XMP_EXTENSION_HEADER = b"http://ns.adobe.com/xmp/extension/\x00"
JPEG_EXIF_HEADER = b"Exif\x00\x00"
JPEG_PHOTOSHOP_HEADER = b"Photoshop 3.0\x00"
JPEG_MAX_PAYLOAD = 65533
JPEG_MAX_PACKET = JPEG_MAX_PAYLOAD - len(JPEG_XMP_HEADER)
PHOTOSHOP_IPTC, PHOTOSHOP_IPTC_DIGEST = 0x0404, 0x0425


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


def _jpeg_segment(marker, payload):
    if len(payload) > JPEG_MAX_PAYLOAD:
        raise ContainerError(f"JPEG segment {marker:#x} would be larger than a segment may be")
    return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload


def _photoshop_resources(data):
    """[(id, name and size header, data)] of Photoshop image resources ("8BIM" blocks)."""
    resources, position = [], 0
    while position + 12 <= len(data) and data[position:position + 4] == b"8BIM":
        name_length = data[position + 6]
        name_end = position + 6 + ((name_length + 2) & ~1)  # a Pascal string padded to an even size
        size = _u32(data, name_end, "big")
        end = name_end + 4 + size
        if end > len(data):
            raise ContainerError("Photoshop resource runs past the end of its segment")
        resources.append((_u16(data, position + 4, "big"), data[position + 6:name_end], data[name_end + 4:end]))
        position = end + (size & 1)
    return resources


def _with_iptc(photoshop, ours):
    """The Photoshop segment payload with our IPTC block; its digest (of the old block) goes."""
    resources = _photoshop_resources(photoshop or b"")
    old = next((value for kind, _, value in resources if kind == PHOTOSHOP_IPTC), None)
    iptc = (PHOTOSHOP_IPTC, b"\x00\x00", _merged_iim(old, ours))
    kept = [resource for resource in resources if resource[0] not in (PHOTOSHOP_IPTC, PHOTOSHOP_IPTC_DIGEST)]
    blocks = [b"8BIM" + kind.to_bytes(2, "big") + name + len(value).to_bytes(4, "big") + value + b"\x00" * (len(value) & 1)
              for kind, name, value in [iptc, *kept]]
    return JPEG_PHOTOSHOP_HEADER + b"".join(blocks)


def _write_jpeg(data, blocks):
    segments, scan_start = _jpeg_segments(data)
    existing = exif = photoshop = None
    kept = []
    for marker, start, end in segments:
        payload = data[start + 4:end]
        if marker == 0xE1 and payload.startswith(JPEG_XMP_HEADER):
            existing = existing if existing is not None else payload[len(JPEG_XMP_HEADER):]
        elif marker == 0xE1 and payload.startswith(JPEG_XMP_EXTENSION_HEADER):
            pass  # extended XMP belongs to the packet being replaced
        elif marker == 0xE1 and payload.startswith(JPEG_EXIF_HEADER) and exif is None:
            exif = payload[len(JPEG_EXIF_HEADER):]
        elif marker == 0xED and payload.startswith(JPEG_PHOTOSHOP_HEADER) and photoshop is None:
            photoshop = payload[len(JPEG_PHOTOSHOP_HEADER):]
        else:
            kept.append((marker, data[start:end]))
    packet = blocks.xmp(existing)
    if len(packet) > JPEG_MAX_PACKET:  # the old packet with ours does not fit one segment: ours alone
        packet = blocks.xmp(None)
    lead = 1 if kept and kept[0][0] == 0xE0 else 0  # JFIF's APP0 stays first
    exif = _with_exif(exif, blocks.exif)
    ours = [_jpeg_segment(0xE1, JPEG_EXIF_HEADER + exif)] if exif else []
    ours.append(_jpeg_segment(0xE1, JPEG_XMP_HEADER + packet))
    if blocks.iptc or photoshop is not None:
        ours.append(_jpeg_segment(0xED, _with_iptc(photoshop, blocks.iptc) if blocks.iptc
                                  else JPEG_PHOTOSHOP_HEADER + photoshop))
    segments = [segment for _, segment in kept]
    return b"\xff\xd8" + b"".join(segments[:lead] + ours + segments[lead:]) + data[scan_start:]


# PNG: an uncompressed iTXt chunk with keyword "XML:com.adobe.xmp" and an eXIf chunk, each where the old one was
# or else after IHDR. PNG has no place for IPTC-IIM; its fields are in the XMP.
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


def _write_png(data, blocks):
    chunks, iend_end = _png_chunks(data)
    existing = exif = None
    kept, places = [], {}
    for kind, start, end in chunks:
        payload = data[start + 8:end - 4]
        if kind == b"iTXt" and payload.startswith(PNG_XMP_KEYWORD + b"\x00"):
            if "xmp" not in places:
                existing, places["xmp"] = _png_xmp(payload), len(kept)
            continue
        if kind == b"eXIf":
            if "exif" not in places:
                exif, places["exif"] = payload, len(kept)
            continue
        kept.append(data[start:end])
    exif = _with_exif(exif, blocks.exif)
    ours = {"xmp": _png_chunk(b"iTXt", PNG_XMP_KEYWORD + b"\x00\x00\x00\x00\x00" + blocks.xmp(existing))}
    if exif:
        ours["exif"] = _png_chunk(b"eXIf", exif)
    for name in sorted(ours, key=lambda name: -places.get(name, 1)):  # from the back, so places stay right
        kept.insert(places.get(name, 1), ours[name])  # no chunk yet: right after IHDR
    return PNG_SIGNATURE + b"".join(kept) + data[iend_end:]


# WebP: "EXIF" and "XMP " chunks in the RIFF container after the image data, which must then be the extended
# format (VP8X, with the EXIF and XMP flags set). WebP has no place for IPTC-IIM; its fields are in the XMP.
WEBP_EXIF_FLAG, WEBP_XMP_FLAG, WEBP_ALPHA_FLAG = 0x08, 0x04, 0x10
WEBP_BEFORE_METADATA = {b"ICCP", b"ANIM", b"ANMF", b"ALPH", b"VP8 ", b"VP8L"}  # EXIF and XMP go after these


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


def _riff_payload(chunk):
    return chunk[8:8 + _u32(chunk, 4, "little")]


def _riff_chunk(fourcc, payload):
    return fourcc + len(payload).to_bytes(4, "little") + payload + b"\x00" * (len(payload) & 1)


def _write_webp(data, blocks):
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
        header = bytearray(_vp8x(*_webp_canvas(fourcc, _riff_payload(first))))
    existing = exif = None
    kept, insert_at = [], 0
    for fourcc, chunk in chunks:
        if fourcc == b"XMP ":
            existing = existing if existing is not None else _riff_payload(chunk)
            continue
        if fourcc == b"EXIF":
            exif = exif if exif is not None else _riff_payload(chunk).removeprefix(JPEG_EXIF_HEADER)
            continue
        kept.append(chunk)
        if fourcc in WEBP_BEFORE_METADATA:
            insert_at = len(kept)
    exif = _with_exif(exif, blocks.exif)
    ours = ([_riff_chunk(b"EXIF", exif)] if exif else []) + [_riff_chunk(b"XMP ", blocks.xmp(existing))]
    header[8] |= WEBP_XMP_FLAG
    header[8] = header[8] | WEBP_EXIF_FLAG if exif else header[8] & ~WEBP_EXIF_FLAG
    body = b"WEBP" + bytes(header) + b"".join(kept[:insert_at] + ours + kept[insert_at:])
    return b"RIFF" + len(body).to_bytes(4, "little") + body + data[riff_end:]


# TIFF: the XMP packet (tag 700), the IPTC block (tag 33723) and the EXIF texts all in the first IFD.
def _write_tiff(data, blocks):
    existing = _tiff_tag_value(data, TIFF_XMP_TAG)
    values = {TIFF_XMP_TAG: (TIFF_BYTE, blocks.xmp(existing)), **_exif_values(blocks.exif)}
    if blocks.iptc:
        values[TIFF_IPTC_TAG] = (TIFF_UNDEFINED, _merged_iim(_tiff_tag_value(data, TIFF_IPTC_TAG), blocks.iptc))
    return _set_ifd0(data, values)


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


def writable(data):
    """Whether ``write_blocks`` writes into files like ``data`` (DICOM, GIF, HEIF, AVIF, NIfTI: not)."""
    return data[128:132] != b"DICM" and any(data.startswith(signature) for signature, _ in WRITERS)


def write_blocks(data, blocks):
    """A copy of ``data`` carrying ``blocks``, or None for formats not written."""
    if not writable(data):  # DICOM may have a TIFF header in its preamble: never rewritten
        return None
    writer = next(writer for signature, writer in WRITERS if data.startswith(signature))
    try:
        copy = writer(data, blocks)
        same = _header(copy) == _header(data)
    except ContainerError:
        raise
    except Exception as exc:  # any failure to parse or reopen means the copy must not be served
        raise ContainerError(f"{type(exc).__name__}: {exc}") from exc
    if not same:
        raise ContainerError("the copy does not open as the same image")
    return copy
