"""Metadata extraction against real-world samples (read in place) and hand-built files."""
import io
import json
import struct
from datetime import datetime, timedelta

import pytest
from PIL import ExifTags, Image, features
from PIL.TiffImagePlugin import IFDRational

from assets.services.metadata import extract_metadata
from support import SAMPLES

pillow_heif = pytest.importorskip("pillow_heif")
pillow_heif.register_heif_opener()

NORMALISED_KEYS = {
    "camera_make", "camera_model", "lens", "exposure_time", "f_number", "iso",
    "focal_length_mm", "taken_at", "gps", "orientation", "title", "caption", "keywords",
    "creator", "copyright", "credit", "rights_usage_terms", "city", "country", "software",
}
Tag = ExifTags.Base


def samples(pattern):
    """One parameter per sample file, named by its path, or a skip when the corpus is absent."""
    paths = sorted(p for p in SAMPLES.glob(pattern) if p.is_file() and not p.name.startswith("README"))
    if not paths:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no samples at {SAMPLES}/{pattern}"))]
    return [pytest.param(path, id=str(path.relative_to(SAMPLES))) for path in paths]


def extract_from_file(path):
    with Image.open(path) as image:
        return extract_metadata(image)


def extract_from_bytes(data):
    with Image.open(io.BytesIO(data)) as image:
        return extract_metadata(image)


def jpeg_bytes(exif=None, xmp=None):
    buffer = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    if xmp is not None:
        options["xmp"] = xmp
    Image.new("RGB", (8, 8), "navy").save(buffer, "JPEG", **options)
    return buffer.getvalue()


def xmp_packet(properties):
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"'
        ' xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/">'
        f"{properties}</rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()


def with_iptc(jpeg, datasets):
    """Insert a Photoshop APP13 segment, the way editors embed IPTC IIM in JPEG."""
    iim = b"".join(
        b"\x1c" + bytes([record, number]) + struct.pack(">H", len(value)) + value
        for (record, number), value in datasets
    )
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iim)) + iim + b"\x00" * (len(iim) % 2)
    payload = b"Photoshop 3.0\x00" + resource
    return jpeg[:2] + b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


@pytest.mark.parametrize("path", samples("**/*"))
def test_every_sample_yields_storable_json(path):
    try:
        image = Image.open(path)
    except (OSError, Image.UnidentifiedImageError) as exc:
        pytest.skip(f"Pillow cannot open {path.name}: {exc}")
    with image:
        normalised, raw = extract_metadata(image)
    dumped = json.dumps([normalised, raw], allow_nan=False)
    assert "\\u0000" not in dumped  # PostgreSQL jsonb rejects NUL characters
    assert set(normalised) <= NORMALISED_KEYS
    assert {"exif", "iptc", "xmp"} <= set(raw)


@pytest.mark.parametrize("path", samples("jpg/Canon_40D.jpg"))
def test_canon_capture_settings(path):
    normalised, raw = extract_from_file(path)
    assert normalised["camera_make"] == "Canon"
    assert normalised["camera_model"] == "Canon EOS 40D"
    assert normalised["exposure_time"] == "1/160"
    assert normalised["f_number"] == pytest.approx(7.1)
    assert normalised["iso"] == 100
    assert normalised["focal_length_mm"] == pytest.approx(135.0)
    assert normalised["taken_at"] == "2008-05-30T15:56:01"
    assert "MakerNote" not in raw["exif"]
    assert raw["exif"]["Make"] == "Canon"


@pytest.mark.parametrize("path", samples("jpg/gps/*.jpg"))
def test_gps_samples_are_in_tuscany(path):
    """The gaia-gis set was shot around 43°28'N 11°53'E."""
    gps = extract_from_file(path)[0]["gps"]
    assert 43.4 < gps["lat"] < 43.5
    assert 11.8 < gps["lon"] < 11.9


@pytest.mark.parametrize("path", samples("jpg/gps/DSCN0010.jpg"))
def test_gps_degrees_minutes_seconds_conversion(path):
    gps = extract_from_file(path)[0]["gps"]
    assert gps["lat"] == pytest.approx(43 + 28 / 60 + 2.814 / 3600)
    assert gps["lon"] == pytest.approx(11 + 53 / 60 + 6.456 / 3600)


@pytest.mark.parametrize(
    ("pattern", "lat", "lon", "alt"),
    [
        ("jpg/Kodak_CX7530.jpg", -0.3713, 36.0564, None),  # southern hemisphere, decimal minutes
        ("jpg/hdr/iphone_hdr_NO.jpg", 40.4470, -3.7248, 639.59),  # western hemisphere
        ("heic/IMG_5195.HEIC", 39.0513, -94.2888, 260.56),
    ],
)
def test_gps_hemisphere_signs_and_altitude(pattern, lat, lon, alt):
    path = SAMPLES / pattern
    if not path.is_file():
        pytest.skip(f"missing sample {path}")
    gps = extract_from_file(path)[0]["gps"]
    assert gps["lat"] == pytest.approx(lat, abs=1e-4)
    assert gps["lon"] == pytest.approx(lon, abs=1e-4)
    assert gps.get("alt") == (pytest.approx(alt, abs=0.01) if alt is not None else None)


@pytest.mark.parametrize("path", samples("jpg/orientation/*_[1-8].jpg"))
def test_orientation_matches_filename(path):
    expected = int(path.stem.rsplit("_", 1)[1])
    assert extract_from_file(path)[0]["orientation"] == expected


@pytest.mark.parametrize("path", samples("jpg/xmp/BlueSquare.jpg"))
def test_xmp_sample_descriptive_fields(path):
    normalised, raw = extract_from_file(path)
    assert normalised["title"] == "Blue Square Test File - .jpg"
    assert normalised["caption"] == (
        "XMPFiles BlueSquare test file, created in Photoshop CS2, saved as .psd, .jpg, and .tif."
    )
    assert normalised["keywords"] == ["XMP", "Blue Square", "test file", "Photoshop", ".jpg"]
    assert raw["iptc"]["2:25"] == ["XMP", "Blue Square", "test file", "Photoshop", ".jpg"]
    assert "title" in raw["xmp"]


@pytest.mark.parametrize("path", samples("heic/**/*.HEIC"))
def test_heic_camera_make_and_model(path):
    normalised = extract_from_file(path)[0]
    assert normalised["camera_make"] == "Apple"
    assert normalised["camera_model"].startswith("iPhone")
    assert normalised["lens"].startswith("iPhone")


@pytest.mark.parametrize(
    ("pattern", "offset"),
    [
        ("jpg/Canon_40D.jpg", None),
        ("jpg/mobile/HMD_Nokia_8.3_5G.jpg", timedelta(hours=3)),
        ("heic/IMG_5195.HEIC", timedelta(hours=-5)),
    ],
)
def test_taken_at_is_iso_8601_with_offset_when_known(pattern, offset):
    path = SAMPLES / pattern
    if not path.is_file():
        pytest.skip(f"missing sample {path}")
    taken_at = datetime.fromisoformat(extract_from_file(path)[0]["taken_at"])
    assert taken_at.utcoffset() == offset


def test_xmp_wins_over_exif_and_exif_fills_the_gaps():
    exif = Image.Exif()
    exif[Tag.Artist] = "Exif Artist"
    exif[Tag.Copyright] = "Exif Copyright\x00Editor"
    exif[Tag.ImageDescription] = "Exif description"
    exif[Tag.XPKeywords] = "exif;keywords".encode("utf-16-le")
    xmp = xmp_packet(
        '<dc:title><rdf:Alt><rdf:li xml:lang="de">Titel</rdf:li>'
        '<rdf:li xml:lang="x-default">XMP title</rdf:li></rdf:Alt></dc:title>'
        '<dc:subject><rdf:Bag><rdf:li>harbour</rdf:li><rdf:li>boats</rdf:li>'
        "<rdf:li>harbour</rdf:li></rdf:Bag></dc:subject>"
        '<dc:creator><rdf:Seq><rdf:li>XMP Creator</rdf:li></rdf:Seq></dc:creator>'
        "<photoshop:City>Hamburg</photoshop:City>"
        '<xmpRights:UsageTerms><rdf:Alt><rdf:li xml:lang="x-default">Editorial only'
        "</rdf:li></rdf:Alt></xmpRights:UsageTerms>"
    )
    normalised, raw = extract_from_bytes(jpeg_bytes(exif, xmp))
    assert normalised["title"] == "XMP title"
    assert normalised["keywords"] == ["harbour", "boats"]
    assert normalised["creator"] == "XMP Creator"
    assert normalised["city"] == "Hamburg"
    assert normalised["rights_usage_terms"] == "Editorial only"
    assert normalised["caption"] == "Exif description"
    assert normalised["copyright"] == "Exif Copyright Editor"
    assert raw["exif"]["Artist"] == "Exif Artist"
    assert raw["exif"]["XPKeywords"] == "exif;keywords"


def test_exif_keywords_and_title_used_without_xmp_or_iptc():
    exif = Image.Exif()
    exif[Tag.XPKeywords] = "sea; boats;sea".encode("utf-16-le") + b"\x00\x00"
    exif[Tag.XPTitle] = "Windows title".encode("utf-16-le")
    normalised = extract_from_bytes(jpeg_bytes(exif))[0]
    assert normalised["keywords"] == ["sea", "boats"]
    assert normalised["title"] == "Windows title"


def test_iptc_decoding_falls_back_to_latin1_and_beats_exif():
    exif = Image.Exif()
    exif[Tag.ImageDescription] = "Exif description"
    jpeg = with_iptc(jpeg_bytes(exif), [
        ((2, 120), "Café".encode("latin-1")),
        ((2, 25), "Zürich".encode("utf-8")),
        ((2, 25), b"lake"),
        ((2, 25), "Zürich".encode("utf-8")),
        ((2, 80), b" Jane Doe \x00"),
        ((2, 101), b"Switzerland"),
    ])
    normalised, raw = extract_from_bytes(jpeg)
    assert normalised["caption"] == "Café"
    assert normalised["keywords"] == ["Zürich", "lake"]
    assert normalised["creator"] == "Jane Doe"
    assert normalised["country"] == "Switzerland"
    assert raw["iptc"]["2:25"] == ["Zürich", "lake", "Zürich"]


def test_broken_values_are_tolerated():
    exif = Image.Exif()
    exif[Tag.Orientation] = 0
    exif[Tag.Make] = "\x00\x00\x00"
    exif[Tag.Model] = "   "
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[Tag.DateTimeOriginal] = "0000:00:00 00:00:00"
    details[Tag.FNumber] = IFDRational(0, 0)
    details[Tag.ExposureTime] = IFDRational(1, 0)
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (IFDRational(1, 0), IFDRational(0, 0), IFDRational(0, 0))
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (IFDRational(11, 1), IFDRational(0, 1), IFDRational(0, 1))
    normalised, raw = extract_from_bytes(jpeg_bytes(exif))
    assert normalised == {}
    json.dumps(raw, allow_nan=False)


def test_a_failing_source_is_recorded_and_the_others_still_work():
    xmp = xmp_packet('<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Kept</rdf:li></rdf:Alt></dc:title>')
    def corrupt_exif():
        raise ValueError("corrupt IFD")

    with Image.open(io.BytesIO(jpeg_bytes(xmp=xmp))) as image:
        image.getexif = corrupt_exif
        normalised, raw = extract_metadata(image)
    assert normalised == {"title": "Kept"}
    assert raw["errors"] == ["exif: ValueError: corrupt IFD", "gps: ValueError: corrupt IFD"]


def test_malformed_xmp_is_recorded_not_raised():
    exif = Image.Exif()
    exif[Tag.Make] = "Canon"
    normalised, raw = extract_from_bytes(jpeg_bytes(exif, xmp=b"<x:xmpmeta><unclosed>"))
    assert normalised["camera_make"] == "Canon"
    assert [error.split(":")[0] for error in raw["errors"]] == ["xmp"]


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP", "TIFF", "AVIF", "HEIF"])
def test_exif_is_read_from_every_supported_format(image_format):
    if image_format == "AVIF" and not features.check("avif"):
        pytest.skip("Pillow built without AVIF support")
    exif = Image.Exif()
    exif[Tag.Make] = "TestCam"
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(buffer, image_format, exif=exif)
    assert extract_from_bytes(buffer.getvalue())[0]["camera_make"] == "TestCam"


def test_image_without_metadata_gives_empty_results():
    buffer = io.BytesIO()
    Image.new("P", (4, 4)).save(buffer, "GIF")
    assert extract_from_bytes(buffer.getvalue()) == ({}, {"exif": {}, "iptc": {}, "xmp": {}})


@pytest.mark.parametrize("path", samples("jpg/WWL_(Polaroid)_ION230.jpg"))
def test_exif_strings_end_at_their_first_nul(path):
    """The camera wrote "ION230", a NUL, then left-over bytes; the model is what comes before the NUL."""
    with Image.open(path) as image:
        assert image.getexif()[Tag.Model].startswith("ION230\x00")
    assert extract_from_file(path)[0]["camera_model"] == "ION230"


def test_exif_strings_written_in_utf8_are_read_as_utf8():
    exif = Image.Exif()
    exif[Tag.ImageDescription] = "Café au lait à Zürich".encode()
    exif[Tag.Copyright] = b"Jane Doe\x00Editor Ltd"
    normalised = extract_from_bytes(jpeg_bytes(exif))[0]
    assert normalised["caption"] == "Café au lait à Zürich"
    assert normalised["copyright"] == "Jane Doe Editor Ltd", "EXIF Copyright is photographer NUL editor"


UTF8_DECLARED = ((1, 90), b"\x1b%G")


@pytest.mark.parametrize("datasets, caption", [
    ([UTF8_DECLARED, ((2, 120), "Café crème".encode() + b"\xff ok")], "Café crème\ufffd ok"),
    ([((2, 120), "Zürich Hauptbahnhof, Gleis 5 – Abfahrt 7:4".encode() + "€".encode()[:2])],
     "Zürich Hauptbahnhof, Gleis 5 – Abfahrt 7:4\ufffd"),
    ([((1, 90), b"\x1b-A"), ((2, 120), "Café".encode("latin-1"))], "Café"),
    ([((2, 120), "Prix: 5 € – Café".encode("cp1252"))], "Prix: 5 € – Café"),
], ids=["declared-utf8-with-a-bad-byte", "utf8-cut-mid-character", "declared-latin1", "windows-1252"])
def test_iptc_text_is_decoded_by_its_declared_charset_or_sensibly(datasets, caption):
    assert extract_from_bytes(with_iptc(jpeg_bytes(), datasets))[0]["caption"] == caption


@pytest.mark.parametrize("path", samples("heic/mobile/iphone_13_pro_max.HEIC"))
def test_heic_orientation_is_the_cameras_not_the_decoders(path):
    """pillow_heif rewrites the EXIF orientation to 1 because libheif applies the rotation box as it decodes; the
    metadata reports what the camera recorded."""
    with Image.open(path) as image:
        assert image.getexif()[Tag.Orientation] == 1 and image.size == (3024, 4032)
    assert extract_from_file(path)[0]["orientation"] == 6
