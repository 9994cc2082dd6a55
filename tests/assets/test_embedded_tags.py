"""The embedded tags of a real file, as a person reads them: known names, values as text, the dump for experts."""
from PIL import Image

from assets.services.metadata import extract_metadata
from assets.templatetags.embedded_tags import embedded_tags, tag_name, value_text


def test_iptc_and_xmp_get_the_names_people_know_them_by(samples):
    with Image.open(samples / "jpg" / "xmp" / "BlueSquare.jpg") as image:
        _, raw = extract_metadata(image)
    embedded = embedded_tags(raw)
    sections = {section["title"]: dict(section["rows"]) for section in embedded["sections"]}
    iptc, xmp = sections["Press and agency fields (IPTC)"], sections["Descriptions (XMP)"]
    assert iptc["Title"] == "Blue Square Test File - .jpg"
    assert iptc["Keywords"] == "XMP, Blue Square, test file, Photoshop, .jpg"
    assert xmp["Title"] == "Blue Square Test File - .jpg", "the language alternative, not a Python dict"
    assert xmp["Keywords"] == "XMP, Blue Square, test file, Photoshop, .jpg"
    assert xmp["Software"] == "Adobe Photoshop CS2 Macintosh"
    assert sections["Camera (EXIF)"]["Description"].startswith("XMPFiles BlueSquare")
    shown = " ".join(f"{name} {value}" for section in embedded["sections"] for name, value in section["rows"])
    assert "2:25" not in shown and "{'" not in shown and "'Alt'" not in shown
    assert '"2:25"' in embedded["stored"], "the stored names stay for experts"


def test_unknown_names_read_as_words_and_broken_blocks_are_named():
    assert tag_name("exif", "WhiteBalance") == "White balance"
    assert tag_name("xmp", "ICCProfile") == "ICC profile"
    assert value_text({"Seq": {"li": ["8", "8", "8"]}}) == "8, 8, 8"
    embedded = embedded_tags({"exif": {}, "iptc": {}, "xmp": {}, "errors": ["xmp: ParseError: not well-formed"]})
    assert embedded["unreadable"] == ["XMP"] and embedded["sections"] == []
