"""Read EXIF, IPTC and XMP metadata from an opened Pillow image.

Ingest stores two results per asset: a small normalised dict that search and the UI
rely on, and a raw dump kept for provenance and later re-processing. Broken metadata
is common in the wild, so each source is read in isolation and a failure is recorded
in the raw dump instead of being raised.
"""
import json
import math
import numbers
import re
from datetime import datetime

from PIL import ExifTags, IptcImagePlugin

Tag = ExifTags.Base
GPS = ExifTags.GPS

MAX_TEXT_CHARS = 1024
MAX_HEX_BYTES = 64
MAX_RAW_VALUE_CHARS = 4096

# Sub-IFD pointers are followed separately; the rest are opaque or duplicated blobs.
SKIPPED_EXIF_TAGS = {
    Tag.ExifOffset, Tag.GPSInfo, Tag.ExifInteroperabilityOffset, Tag.MakerNote,
    Tag.XMLPacket, Tag.IPTCNAA, Tag.ImageResources, Tag.InterColorProfile,
}
XP_TAGS = {Tag.XPTitle, Tag.XPComment, Tag.XPAuthor, Tag.XPKeywords, Tag.XPSubject}

# IPTC 1:90 "coded character set" (ISO 2022 escapes): what the file says its text datasets are in.
IPTC_CHARSETS = {b"\x1b%G": "utf-8", b"\x1b-A": "latin-1", b"\x1b.A": "latin-1"}

IPTC_FIELDS = {
    (2, 5): "title", (2, 120): "caption", (2, 25): "keywords", (2, 80): "creator",
    (2, 116): "copyright", (2, 110): "credit", (2, 90): "city", (2, 101): "country",
}

# Capture facts are most trustworthy from the camera; descriptions from editors' XMP.
FIELD_PRIORITY = (
    (("camera_make", "camera_model", "lens", "exposure_time", "f_number", "iso",
      "focal_length_mm", "taken_at", "gps", "orientation", "software"), ("exif", "gps", "xmp")),
    (("title", "caption", "keywords", "creator", "copyright", "credit", "rights_usage_terms",
      "city", "country"), ("xmp", "iptc", "exif")),
)

# EXIF writes "2008:05:30 15:56:01" (offset in a separate tag), XMP "2008-05-30T15:56:01+02:00".
DATETIME = re.compile(
    r"(\d{4})[:-](\d{2})[:-](\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?"
    r"(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?"
)


def extract_metadata(image):
    """Return (normalised, raw) for an opened (not yet transposed) Pillow image."""
    raw = {"exif": {}, "iptc": {}, "xmp": {}}
    found, errors = {}, []
    for source, section, reader in READERS:
        try:
            found[source], raw_values = reader(image)
        except Exception as exc:  # one broken block must not cost us the others
            errors.append(f"{source}: {type(exc).__name__}: {exc}")
            continue
        raw[section].update(raw_values)
    if errors:
        raw["errors"] = errors
    return _merge_sources(found), raw


def _merge_sources(found):
    normalised = {}
    for fields, priority in FIELD_PRIORITY:
        for field in fields:
            source = next((name for name in priority if field in found.get(name, {})), None)
            if source:
                normalised[field] = found[source][field]
    return normalised


def _read_exif(image):
    exif = image.getexif()
    tags = dict(exif) | exif.get_ifd(ExifTags.IFD.Exif)
    fields = {
        "camera_make": exif_text(tags.get(Tag.Make)),
        "camera_model": exif_text(tags.get(Tag.Model)),
        "lens": exif_text(tags.get(Tag.LensModel)),
        "exposure_time": _exposure_time(tags.get(Tag.ExposureTime)),
        "f_number": _positive_number(tags.get(Tag.FNumber)),
        "iso": _as_int(_positive_number(tags.get(Tag.ISOSpeedRatings))),
        "focal_length_mm": _positive_number(tags.get(Tag.FocalLength)),
        "taken_at": _parse_datetime(tags.get(Tag.DateTimeOriginal), tags.get(Tag.OffsetTimeOriginal))
        or _parse_datetime(tags.get(Tag.DateTimeDigitized), tags.get(Tag.OffsetTimeDigitized)),
        "orientation": _orientation(image.info.get("original_orientation")) or _orientation(tags.get(Tag.Orientation)),
        "software": exif_text(tags.get(Tag.Software)),
        "title": _xp_text(tags.get(Tag.XPTitle)),
        "caption": exif_text(tags.get(Tag.ImageDescription)) or _xp_text(tags.get(Tag.XPComment)),
        "keywords": _unique((_xp_text(tags.get(Tag.XPKeywords)) or "").split(";")),
        "creator": exif_text(tags.get(Tag.Artist)) or _xp_text(tags.get(Tag.XPAuthor)),
        "copyright": clean_text(_as_bytes(tags.get(Tag.Copyright))),  # "photographer NUL editor", both kept
    }
    return compact(fields), _raw_exif_tags(tags, ExifTags.TAGS)


def _read_gps(image):
    gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return compact({"gps": _gps_position(gps)}), _raw_exif_tags(gps, ExifTags.GPSTAGS)


def _read_iptc(image):
    datasets = IptcImagePlugin.getiptcinfo(image) or {}
    charset = IPTC_CHARSETS.get(next(iter(_as_list(datasets.get((1, 90)))), b""))
    fields = {}
    for key, field in IPTC_FIELDS.items():
        texts = _unique(clean_text(decode_text(value, charset)) for value in _as_list(datasets.get(key))
                        if isinstance(value, bytes))
        fields[field] = texts if field == "keywords" else ", ".join(texts)
    raw = raw_section((f"{record}:{number}", _as_list(values))
                       for (record, number), values in datasets.items())
    return compact(fields), raw


def _read_xmp(image):
    properties = _xmp_properties(image.getxmp())
    fields = {
        "title": _xmp_text(properties.get("title")),
        "caption": _xmp_text(properties.get("description")),
        "keywords": _unique(_xmp_values(properties.get("subject"))),
        "creator": ", ".join(_unique(_xmp_values(properties.get("creator")))),
        "copyright": _xmp_text(properties.get("rights")),
        "credit": _xmp_text(properties.get("Credit")),
        "rights_usage_terms": _xmp_text(properties.get("UsageTerms")),
        "city": _xmp_text(properties.get("City")),
        "country": _xmp_text(properties.get("Country")),
        "software": _xmp_text(properties.get("CreatorTool")),
        "lens": _xmp_text(properties.get("LensModel")) or _xmp_text(properties.get("Lens")),
        "taken_at": _parse_datetime(_xmp_text(properties.get("DateTimeOriginal")))
        or _parse_datetime(_xmp_text(properties.get("DateCreated"))),
    }
    return compact(fields), raw_section(properties.items())


# (source named in errors, raw section it fills, reader returning (fields, raw values))
READERS = (
    ("exif", "exif", _read_exif),
    ("gps", "exif", _read_gps),
    ("iptc", "iptc", _read_iptc),
    ("xmp", "xmp", _read_xmp),
)


def _xmp_properties(xmp):
    """Merge all rdf:Description blocks; Pillow has already dropped namespace prefixes."""
    root = xmp.get("xmpmeta", xmp) if isinstance(xmp, dict) else None
    rdf = root.get("RDF") if isinstance(root, dict) else None
    descriptions = rdf.get("Description") if isinstance(rdf, dict) else None
    properties = {}
    for description in _as_list(descriptions):
        if isinstance(description, dict):
            for name, value in description.items():
                properties.setdefault(name, value)
    return properties


def _xmp_values(value):
    """Flatten plain text, rdf:Alt/Seq/Bag and language-tagged items, x-default first."""
    if isinstance(value, list):
        items = sorted(value, key=lambda item: not _is_default_language(item))
        return [text for item in items for text in _xmp_values(item)]
    if isinstance(value, dict):
        container = next((value[kind] for kind in ("Alt", "Seq", "Bag") if kind in value), None)
        if isinstance(container, dict):
            return _xmp_values(container.get("li"))
        return _xmp_values(value.get("text"))
    text = clean_text(value)
    return [text] if text else []


def _is_default_language(item):
    return isinstance(item, dict) and item.get("lang") == "x-default"


def _xmp_text(value):
    return next(iter(_xmp_values(value)), None)


def _gps_position(gps):
    """Signed decimal degrees; 0/0 is what receivers without a fix write, so it is dropped."""
    lat = _gps_coordinate(gps.get(GPS.GPSLatitude), gps.get(GPS.GPSLatitudeRef), "S", 90)
    lon = _gps_coordinate(gps.get(GPS.GPSLongitude), gps.get(GPS.GPSLongitudeRef), "W", 180)
    if lat is None or lon is None or lat == lon == 0:
        return None
    position = {"lat": lat, "lon": lon}
    altitude = _as_number(gps.get(GPS.GPSAltitude))
    if altitude is not None:
        below_sea_level = gps.get(GPS.GPSAltitudeRef) in (1, b"\x01")
        position["alt"] = round(-altitude if below_sea_level else altitude, 2)
    return position


def _gps_coordinate(parts, ref, negative_ref, limit):
    """Degrees, minutes, seconds (any of them fractional) plus a hemisphere letter."""
    if not isinstance(parts, (tuple, list)) or not 1 <= len(parts) <= 3:
        return None
    values = [_as_number(part) for part in parts]
    if None in values:
        return None
    degrees = sum(value / 60**index for index, value in enumerate(values))
    if abs(degrees) > limit:
        return None
    if (clean_text(ref) or "").upper().startswith(negative_ref):
        degrees = -abs(degrees)
    return round(degrees, 7)


def _exposure_time(value):
    """Photographers read short exposures as fractions ("1/250"), long ones in seconds."""
    seconds = _positive_number(value)
    if seconds is None:
        return None
    if seconds < 1 and math.isfinite(1 / seconds):
        denominator = round(1 / seconds)
        if math.isclose(seconds * denominator, 1, rel_tol=0.02):
            return f"1/{denominator}"
    return f"{round(seconds, 3):g}"


def _parse_datetime(value, offset=None):
    """ISO 8601 text, aware when an offset is known; junk such as "0000:00:00" gives None."""
    match = DATETIME.match(clean_text(value) or "")
    if not match:
        return None
    *parts, zone = match.groups()
    try:
        taken = datetime(*(int(part or 0) for part in parts), tzinfo=_utc_offset(offset or zone))
    except (ValueError, OverflowError):
        return None
    return taken.isoformat()


def _utc_offset(value):
    try:
        return datetime.strptime(clean_text(value) or "", "%z").tzinfo
    except ValueError:
        return None


def pending_orientation(image):
    """The EXIF orientation still to apply to ``image``'s decoded pixels: 1 for HEIF, whose decoder applies the
    file's rotation and mirroring itself (pillow_heif then rewrites the EXIF tag to 1, keeping the camera's value
    as ``original_orientation``), and 1 when the EXIF block cannot be read."""
    if image.format == "HEIF":
        return 1
    try:
        return _orientation(image.getexif().get(Tag.Orientation)) or 1
    except Exception:  # noqa: BLE001 - a broken EXIF block ("not a TIFF file") must not cost the picture
        return 1


def _orientation(value):
    number = _as_int(_as_number(value))
    return number if number is not None and 1 <= number <= 8 else None


def _as_number(value):
    """A finite float from IFDRational, int, numeric text or a 1-item sequence, else None."""
    if isinstance(value, (tuple, list)):
        value = value[0] if value else None
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _positive_number(value):
    number = _as_number(value)
    return number if number is not None and number > 0 else None


def _as_int(number):
    return round(number) if number is not None else None


def clean_text(value):
    """Text without NULs (padding, or separators in EXIF Copyright) and surrounding blanks."""
    if isinstance(value, bytes):
        value = decode_text(value)
    if not isinstance(value, str):
        return None
    return " ".join(part.strip() for part in value.split("\x00") if part.strip()) or None


def exif_text(value):
    """An EXIF ASCII string ends at its first NUL: what follows is left-over buffer ("ION230\\0F" is "ION230").
    Pillow decodes it as Latin-1; cameras and phones write UTF-8, so the bytes are decoded again."""
    data = _as_bytes(value)
    return clean_text(data.split(b"\x00", 1)[0]) if isinstance(data, bytes) else None


def _as_bytes(value):
    """Pillow's Latin-1 text back to the file's bytes (a lossless round trip); other values unchanged."""
    return value.encode("latin-1", errors="replace") if isinstance(value, str) else value


def decode_text(data, charset=None):
    """Text of ``data`` in ``charset`` when the file declares one; else UTF-8 when the bytes are UTF-8, or mostly
    (one damaged or cut-off character does not make the rest Latin-1 mojibake); else Windows-1252, what older
    editors write, whose few unassigned bytes become U+FFFD."""
    if charset:
        return data.decode(charset, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    damaged = text.count("\ufffd")
    if sum(1 for char in text if char > "\x7f") - damaged > damaged:
        return text
    return data.decode("cp1252", errors="replace")


def _xp_text(value):
    """Windows XP* tags are UTF-16LE bytes, which Pillow may hand over as a tuple of ints."""
    try:
        data = bytes(value) if isinstance(value, (tuple, list)) else value
        return clean_text(data.decode("utf-16-le", errors="replace"))
    except (TypeError, ValueError, AttributeError):
        return None


def _raw_exif_tags(tags, names):
    return raw_section(
        (names.get(tag, f"0x{tag:04x}"), _xp_text(value) if tag in XP_TAGS else value)
        for tag, value in tags.items()
        if tag not in SKIPPED_EXIF_TAGS
    )


def raw_section(items):
    """JSON-ready entries; values too big to be worth a database row are left out."""
    section = {}
    for name, value in items:
        converted = _jsonable(value)
        if converted is not None and len(json.dumps(converted)) <= MAX_RAW_VALUE_CHARS:
            section[str(name)] = converted
    return section


def _jsonable(value):
    """Plain JSON types only; NULs go because PostgreSQL jsonb cannot store them."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, numbers.Real):
        return _as_number(value)
    if isinstance(value, bytes):
        return _bytes_for_json(value)
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [_jsonable(item) for item in value]
    return str(value).replace("\x00", "")[:MAX_TEXT_CHARS]


def _bytes_for_json(data):
    """Text when the bytes are text, short hex otherwise; larger binary blobs are dropped."""
    text = decode_text(data).replace("\x00", "")
    if all(char.isprintable() or char in "\t\r\n" for char in text):
        return text[:MAX_TEXT_CHARS]
    return data.hex() if len(data) <= MAX_HEX_BYTES else None


def _as_list(value):
    """Pillow gives one value or a list, depending on how often it occurs in the file."""
    return value if isinstance(value, list) else [] if value is None else [value]


def _unique(values):
    """Order-preserving de-duplication that also drops blanks."""
    return list(dict.fromkeys(text.strip() for text in values if text and text.strip()))


def compact(fields):
    return {name: value for name, value in fields.items() if value not in (None, "", [])}
