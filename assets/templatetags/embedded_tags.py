"""``{% embedded_tags raw_metadata as embedded %}``: the EXIF, IPTC and XMP a file carries, with the names a person
knows them by ("Copyright notice", not ``2:116``; "Keywords", not ``subject``) and values as text, not Python
structures. What was stored stays available as it is, for the expert disclosure.
"""
import json
import re

from django import template

register = template.Library()

SECTIONS = {"exif": "Camera (EXIF)", "iptc": "Press and agency fields (IPTC)", "xmp": "Descriptions (XMP)"}
LONGEST_VALUE = 300

EXIF_NAMES = {
    "Make": "Camera make", "Model": "Camera model", "LensModel": "Lens", "LensMake": "Lens make",
    "DateTimeOriginal": "Taken", "DateTimeDigitized": "Digitised", "DateTime": "File changed",
    "OffsetTimeOriginal": "Time zone when taken", "ExposureTime": "Exposure time (seconds)",
    "FNumber": "Aperture (f-number)", "ISOSpeedRatings": "ISO", "FocalLength": "Focal length (mm)",
    "FocalLengthIn35mmFilm": "Focal length in 35 mm terms", "Artist": "Creator", "Copyright": "Copyright notice",
    "ImageDescription": "Description", "XResolution": "Horizontal resolution", "YResolution": "Vertical resolution",
    "ExifImageWidth": "Width (pixels)", "ExifImageHeight": "Height (pixels)", "GPSLatitude": "Latitude",
    "GPSLongitude": "Longitude", "GPSAltitude": "Altitude (m)", "GPSLatitudeRef": "Latitude (N or S)",
    "GPSLongitudeRef": "Longitude (E or W)", "GPSAltitudeRef": "Altitude reference", "GPSTimeStamp": "GPS time",
    "GPSDateStamp": "GPS date", "XPTitle": "Title (Windows)", "XPComment": "Comment (Windows)",
    "XPAuthor": "Author (Windows)", "XPKeywords": "Keywords (Windows)", "XPSubject": "Subject (Windows)",
}
IPTC_NAMES = {
    "1:0": "Envelope version", "1:20": "File format", "1:22": "File format version", "1:90": "Character set",
    "2:0": "Record version", "2:5": "Title", "2:7": "Edit status", "2:10": "Urgency", "2:15": "Category",
    "2:20": "Supplemental categories", "2:25": "Keywords", "2:26": "Location code", "2:27": "Location name",
    "2:30": "Release date", "2:35": "Release time", "2:37": "Expiry date", "2:38": "Expiry time",
    "2:40": "Special instructions", "2:55": "Date created", "2:60": "Time created",
    "2:62": "Digitised on", "2:63": "Digitised at", "2:65": "Software", "2:70": "Software version",
    "2:80": "Creator", "2:85": "Creator's job title", "2:90": "City", "2:92": "Sublocation",
    "2:95": "Province or state", "2:100": "Country code", "2:101": "Country", "2:103": "Job identifier",
    "2:105": "Headline", "2:110": "Credit line", "2:115": "Source", "2:116": "Copyright notice",
    "2:118": "Contact", "2:120": "Description", "2:122": "Description writer", "2:135": "Language",
}
XMP_NAMES = {
    "title": "Title", "description": "Description", "subject": "Keywords", "creator": "Creator",
    "rights": "Copyright notice", "Credit": "Credit line", "UsageTerms": "Usage terms", "State": "Province or state",
    "CreatorTool": "Software", "DateCreated": "Date created", "ModifyDate": "Modified", "CreateDate": "Created",
    "MetadataDate": "Metadata changed", "Instructions": "Special instructions", "CaptionWriter": "Description writer",
    "AuthorsPosition": "Creator's job title", "TransmissionReference": "Job identifier", "LensModel": "Lens",
    "Location": "Sublocation", "WebStatement": "Copyright information (web address)", "Marked": "Copyrighted",
    "DateTimeOriginal": "Taken", "format": "File type",
}
NAMES = {"exif": EXIF_NAMES, "iptc": IPTC_NAMES, "xmp": XMP_NAMES}
SKIPPED = {"xmp": {"about"}}  # rdf:about, an identifier of the description block itself
_WORD_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def tag_name(section, name):
    """The name people know a tag by; otherwise its own name in words (``WhiteBalance`` -> "White balance")."""
    known = NAMES.get(section, {}).get(name)
    if known:
        return known
    words = _WORD_BREAK.sub(" ", str(name).replace("_", " ")).split()
    return " ".join([words[0], *(word if word.isupper() else word.lower() for word in words[1:])]) if words else name


def value_text(value):
    """Text for a stored value: XMP's language alternatives and lists become plain text, first language first."""
    if isinstance(value, dict):
        for container in ("Alt", "Seq", "Bag"):
            if container in value:
                return value_text(value[container])
        if "li" in value:
            return value_text(value["li"])
        if "text" in value:
            return value_text(value["text"])
        return "; ".join(f"{tag_name('xmp', key)}: {value_text(item)}" for key, item in value.items())
    if isinstance(value, list):
        texts = [value_text(item) for item in value]
        return ", ".join(text for text in texts if text)
    text = "" if value is None else str(value)
    return text if len(text) <= LONGEST_VALUE else text[:LONGEST_VALUE - 1] + "…"


@register.simple_tag
def embedded_tags(raw):
    """``sections`` (title, rows of (name, value)), the blocks that could not be ``unreadable``, and ``stored``:
    the dump as JSON for experts."""
    raw = raw if isinstance(raw, dict) else {}
    sections = []
    for key, title in SECTIONS.items():
        tags = raw.get(key) or {}
        rows = [(tag_name(key, name), value_text(value)) for name, value in tags.items()
                if name not in SKIPPED.get(key, ()) and value_text(value)]
        if rows:
            sections.append({"title": title, "rows": rows})
    unreadable = sorted({str(error).split(":", 1)[0].upper() for error in raw.get("errors") or []})
    return {"sections": sections, "unreadable": unreadable,
            "stored": json.dumps(raw, ensure_ascii=False, indent=2, sort_keys=True)}
