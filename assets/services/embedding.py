"""What a downloaded file carries: the asset's current descriptive metadata, outranked by what higher apps add
(governance: the usage rights on record, through ``assets.signals.embedded_properties``), written into a copy of
the stored bytes as XMP (IPTC Core), IPTC-IIM and EXIF (``assets.services.containers``), so that exiftool,
Photoshop, Lightroom and file browsers all read the same title, caption, creator, credit, copyright and terms.

Originals and renditions go through the same ``embed``; the stored files never change.
"""
import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from xml.etree import ElementTree

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml

from assets import signals
from assets.services import containers

logger = logging.getLogger(__name__)

# Bump when what ``embed`` writes for the same fields changes: it is part of every download's ETag.
WRITER_REVISION = "1"
WRITTEN_FORMATS = {"jpeg", "png", "webp", "tiff"}  # assets' format keys ``containers`` writes into


@dataclass(frozen=True)
class EmbeddedFields:
    """The fields a download carries; empty ones remove what the file said."""

    title: str = ""
    caption: str = ""
    alt_text: str = ""
    keywords: tuple = ()
    creator: str = ""
    credit: str = ""
    copyright: str = ""
    usage_terms: str = ""
    web_statement: str = ""  # a URL: the licence, or where to acquire one
    marked: bool = False  # rights-managed (xmpRights:Marked)

    @property
    def fingerprint(self):
        """Changes whenever the bytes ``embed`` writes would: part of the download's ETag."""
        text = json.dumps([WRITER_REVISION, asdict(self)], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


FIELD_NAMES = frozenset(EmbeddedFields.__dataclass_fields__)


def fields_for(asset, version):
    """The asset's own fields (and the file's usage terms), outranked by receivers of ``embedded_properties``."""
    values = {
        "title": asset.title, "caption": asset.caption, "alt_text": asset.alt_text,
        "keywords": tuple(asset.keywords or ()), "creator": asset.creator, "credit": asset.credit,
        "copyright": asset.copyright, "usage_terms": (version.metadata or {}).get("rights_usage_terms") or "",
    }
    for properties in signals.answers(signals.embedded_properties, asset=asset):
        values.update({name: value for name, value in properties.items() if name in FIELD_NAMES and value})
    return EmbeddedFields(**values)


def writes_into(file_format):
    return file_format in WRITTEN_FORMATS


def embed(data, fields):
    """A copy of ``data`` (JPEG, PNG, WebP or TIFF) carrying ``fields``; other formats come back unchanged, and so
    does a file whose container cannot be rewritten safely (logged)."""
    try:
        copy = containers.write_blocks(data, _blocks(fields))
    except containers.ContainerError as exc:
        logger.warning("metadata not written into a download, served as stored: %s", exc)
        return data
    return data if copy is None else copy


# ------------------------------------------------------------------ the blocks


def _blocks(fields):
    return containers.Blocks(
        xmp=lambda existing: _merged_xmp(existing, fields),
        exif={EXIF_DESCRIPTION: fields.caption, EXIF_ARTIST: fields.creator, EXIF_COPYRIGHT: fields.copyright},
        iptc={key: [_iim_text(value, limit) for value in _values(getattr(fields, name)) if value]
              for key, (name, limit) in IIM_FIELDS.items()},
    )


EXIF_DESCRIPTION, EXIF_ARTIST, EXIF_COPYRIGHT = 0x010E, 0x013B, 0x8298

# IPTC-IIM dataset -> (field, most bytes the IIM standard allows); the XMP carries the whole text.
IIM_FIELDS = {
    (2, 5): ("title", 64), (2, 120): ("caption", 2000), (2, 25): ("keywords", 64), (2, 80): ("creator", 32),
    (2, 110): ("credit", 32), (2, 116): ("copyright", 128),
}


def _values(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _iim_text(text, limit):
    return text.encode()[:limit].decode("utf-8", errors="ignore")


NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "Iptc4xmpCore": "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/",
}
for _prefix, _uri in NS.items():
    ElementTree.register_namespace(_prefix, _uri)


def _qname(prefix, name):
    return f"{{{NS[prefix]}}}{name}"


# field -> (XMP property, container: "Alt" language alternatives, "Seq"/"Bag" lists, None plain text)
XMP_PROPERTIES = {
    "title": (_qname("dc", "title"), "Alt"),
    "caption": (_qname("dc", "description"), "Alt"),
    "alt_text": (_qname("Iptc4xmpCore", "AltTextAccessibility"), "Alt"),
    "keywords": (_qname("dc", "subject"), "Bag"),
    "creator": (_qname("dc", "creator"), "Seq"),
    "credit": (_qname("photoshop", "Credit"), None),
    "copyright": (_qname("dc", "rights"), "Alt"),
    "usage_terms": (_qname("xmpRights", "UsageTerms"), "Alt"),
    "web_statement": (_qname("xmpRights", "WebStatement"), None),
    "marked": (_qname("xmpRights", "Marked"), None),
}
OUR_PROPERTIES = {name for name, _ in XMP_PROPERTIES.values()}


def _add_property(description, qname, container, value):
    element = ElementTree.SubElement(description, qname)
    if container is None:
        element.text = value
        return
    holder = ElementTree.SubElement(element, _qname("rdf", container))
    for text in _values(value):
        item = ElementTree.SubElement(holder, _qname("rdf", "li"))
        if container == "Alt":
            item.set("{http://www.w3.org/XML/1998/namespace}lang", "x-default")
        item.text = text


def _description(fields):
    description = ElementTree.Element(_qname("rdf", "Description"), {_qname("rdf", "about"): ""})
    for name, (qname, container) in XMP_PROPERTIES.items():
        value = getattr(fields, name)
        if value:
            _add_property(description, qname, container, "True" if value is True else value)
    return description


def _empty_xmpmeta():
    root = ElementTree.Element(_qname("x", "xmpmeta"))
    ElementTree.SubElement(root, _qname("rdf", "RDF"))
    return root


def _merged_xmp(existing, fields):
    """The existing packet with our properties replaced (in element or attribute form), or a new one."""
    try:
        root = parse_xml(existing) if existing else _empty_xmpmeta()
    except (ElementTree.ParseError, DefusedXmlException):
        root = _empty_xmpmeta()
    rdf = root if root.tag == _qname("rdf", "RDF") else root.find(_qname("rdf", "RDF"))
    if rdf is None:
        root = _empty_xmpmeta()
        rdf = root.find(_qname("rdf", "RDF"))
    for description in rdf.findall(_qname("rdf", "Description")):
        for child in [c for c in description if c.tag in OUR_PROPERTIES]:
            description.remove(child)
        for attribute in [a for a in description.attrib if a in OUR_PROPERTIES]:
            del description.attrib[attribute]
    rdf.append(_description(fields))
    body = ElementTree.tostring(root, encoding="unicode")
    return f'<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>{body}<?xpacket end="w"?>'.encode()
