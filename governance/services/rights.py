"""Usage rights: set them (audited), ask in SQL which assets are usable, warn owners before rights expire,
and carry the rights out with the asset (JSON-LD fields, XMP written into downloaded originals)."""
import hashlib
import json
import logging
from datetime import date, timedelta
from xml.etree import ElementTree

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from assets import permissions
from assets.services import audit
from governance.models import WORLDWIDE, RightsExpiryNotice, UsageRights, normalise_territory
from governance.services import authorise, xmp

logger = logging.getLogger(__name__)

RIGHTS_FIELDS = [
    field.name for field in UsageRights._meta.concrete_fields if field.name not in ("id", "asset", "updated_by",
                                                                                    "updated_at")
]


def _snapshot(rights):
    values = {name: getattr(rights, name) for name in RIGHTS_FIELDS}
    return {name: value.isoformat() if isinstance(value, date) else value for name, value in values.items()}


def set_rights(asset, *, actor, **fields):
    """Create or update the rights of one asset; the audit entry holds the whole record before and after."""
    unknown = set(fields) - set(RIGHTS_FIELDS)
    if unknown:
        raise TypeError(f"unknown usage-rights fields: {', '.join(sorted(unknown))}")
    if "territories" in fields:
        fields["territories"] = sorted({normalise_territory(t) for t in fields["territories"] if t.strip()})
    authorise(actor, "manage_rights", asset)
    with transaction.atomic():
        rights = UsageRights.objects.select_for_update().filter(asset=asset).first()
        before = _snapshot(rights) if rights else None
        rights = rights or UsageRights(asset=asset)
        for name, value in fields.items():
            setattr(rights, name, value)
        rights.full_clean(exclude=["asset", "updated_by"])
        after = _snapshot(rights)
        if after != before:
            rights.updated_by = actor.user
            rights.save()
            audit.record(actor, "rights.set", asset=asset, obj=rights, before=before, after=after)
    return rights


def apply_rights_to_collection(collection, *, actor, **fields):
    """Set the same rights on every asset of ``collection`` the actor may manage; returns how many."""
    assets = collection.assets.filter(deleted_at__isnull=True)
    if actor.user is not None:
        assets = permissions.permitted_assets(actor.user, "manage_rights", assets)
    with transaction.atomic():
        return len([set_rights(asset, actor=actor, **fields) for asset in assets.order_by("pk")])


def usable_for(queryset, channel=None, territory=None, on_date=None):
    """Assets whose rights allow ``channel`` in ``territory`` on ``on_date`` (default today), in pure SQL.

    An asset without a rights record is not usable: unknown rights are no rights. ``None`` skips a test.
    """
    on_date = on_date or timezone.localdate()
    rights = UsageRights.objects.filter(
        Q(starts_on__isnull=True) | Q(starts_on__lte=on_date),
        Q(expires_on__isnull=True) | Q(expires_on__gte=on_date),
        asset=OuterRef("pk"),
    )
    if channel:
        rights = rights.filter(Q(channels=[]) | Q(channels__contains=[channel]))
    if territory:
        rights = rights.filter(Q(territories=[]) | Q(territories__overlap=[WORLDWIDE, normalise_territory(territory)]))
    return queryset.filter(Exists(rights))


def expiring_within(queryset, days, *, today=None):
    """Rights records (of the given usage-rights queryset) that end between today and ``days`` from now."""
    today = today or timezone.localdate()
    return queryset.filter(expires_on__gte=today, expires_on__lte=today + timedelta(days=days))


def expired(queryset, *, today=None):
    return queryset.filter(expires_on__lt=today or timezone.localdate())


def _notice_text(rights):
    asset = rights.asset
    url = settings.SITE_URL.rstrip("/") + reverse("assets:detail", kwargs={"uid": asset.uid})
    return (f"The usage rights of “{asset}” expire on {rights.expires_on:%d %B %Y}.\n\n"
            f"Renew the licence or stop using the image after that date.\n{url}\n")


def warn_expiring_rights(*, today=None):
    """Tell each owner once per asset and expiry date that rights end within LUMEN_RIGHTS_WARNING_DAYS."""
    due = expiring_within(UsageRights.objects.filter(asset__deleted_at__isnull=True),
                          settings.LUMEN_RIGHTS_WARNING_DAYS, today=today)
    due = due.filter(~Exists(RightsExpiryNotice.objects.filter(asset=OuterRef("asset"), expires_on=OuterRef("expires_on"))))
    sent = 0
    for rights in due.select_related("asset__owner"):
        recipient = rights.asset.owner.email if rights.asset.owner else ""
        with transaction.atomic():
            _, created = RightsExpiryNotice.objects.get_or_create(
                asset=rights.asset, expires_on=rights.expires_on, defaults={"recipient": recipient}
            )
            if not created:
                continue
            audit.record(audit.SYSTEM, "rights.expiry_notice", asset=rights.asset, obj=rights,
                         after={"expires_on": rights.expires_on.isoformat(), "recipient": recipient})
            if recipient:
                send_mail(f"Usage rights expire soon: {rights.asset}", _notice_text(rights),
                          settings.DEFAULT_FROM_EMAIL, [recipient])
                sent += 1
    return sent


def _rights_of(asset):
    try:
        return asset.usage_rights
    except UsageRights.DoesNotExist:
        return None


def jsonld_rights(asset):
    """Schema.org ImageObject licence fields (what Google Images reads), only those that are known."""
    rights = _rights_of(asset)
    if rights is None:
        return {}
    fields = {
        "license": rights.licence_url,
        "acquireLicensePage": rights.acquire_licence_url,
        "copyrightNotice": rights.copyright_notice,
        "creditText": rights.credit_line,
    }
    return {key: value for key, value in fields.items() if value}


def rights_fingerprint(asset):
    """Part of a download's ETag: the served copy changes whenever the rights written into it change."""
    rights = _rights_of(asset)
    if rights is None:
        return ""
    return "-r" + hashlib.sha256(json.dumps(_snapshot(rights), sort_keys=True).encode()).hexdigest()[:16]


def usage_terms(rights):
    """One human sentence for xmpRights:UsageTerms."""
    parts = [rights.get_licence_type_display()]
    if rights.channels:
        parts.append("channels: " + ", ".join(rights.channels))
    if rights.territories:
        parts.append("territories: " + ", ".join(rights.territories))
    if rights.starts_on:
        parts.append(f"from {rights.starts_on.isoformat()}")
    if rights.expires_on:
        parts.append(f"until {rights.expires_on.isoformat()}")
    if rights.restrictions:
        parts.append(rights.restrictions)
    return "; ".join(parts)[:4000]


NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
}
for _prefix, _uri in NS.items():
    ElementTree.register_namespace(_prefix, _uri)


def _qname(prefix, name):
    return f"{{{NS[prefix]}}}{name}"


OUR_PROPERTIES = [_qname("dc", "rights"), _qname("xmpRights", "UsageTerms"), _qname("xmpRights", "WebStatement"),
                  _qname("xmpRights", "Marked"), _qname("photoshop", "Credit")]


def _alt(parent, prefix, name, text):
    alt = ElementTree.SubElement(ElementTree.SubElement(parent, _qname(prefix, name)), _qname("rdf", "Alt"))
    item = ElementTree.SubElement(alt, _qname("rdf", "li"))
    item.set("{http://www.w3.org/XML/1998/namespace}lang", "x-default")
    item.text = text


def _rights_description(rights):
    description = ElementTree.Element(_qname("rdf", "Description"), {_qname("rdf", "about"): ""})
    if rights.copyright_notice:
        _alt(description, "dc", "rights", rights.copyright_notice)
    _alt(description, "xmpRights", "UsageTerms", usage_terms(rights))
    ElementTree.SubElement(description, _qname("xmpRights", "Marked")).text = "True"
    web_statement = rights.licence_url or rights.acquire_licence_url
    if web_statement:
        ElementTree.SubElement(description, _qname("xmpRights", "WebStatement")).text = web_statement
    if rights.credit_line:
        ElementTree.SubElement(description, _qname("photoshop", "Credit")).text = rights.credit_line
    return description


def _empty_xmpmeta():
    root = ElementTree.Element(_qname("x", "xmpmeta"))
    ElementTree.SubElement(root, _qname("rdf", "RDF"))
    return root


def _merged_xmp(existing, rights):
    """The existing packet with our five properties replaced (in element or attribute form), or a new one."""
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
    rdf.append(_rights_description(rights))
    return _packet(root)


def _packet(root):
    body = ElementTree.tostring(root, encoding="unicode")
    return f'<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>{body}<?xpacket end="w"?>'.encode()


def embed_rights(data, asset):
    """A copy of a JPEG, PNG, WebP or TIFF original carrying the asset's rights in XMP.

    Other formats, and every file when no rights are on record, come back unchanged; so does a file whose container
    cannot be rewritten safely (logged). The stored original is never touched: downloads get this copy.
    """
    rights = _rights_of(asset)
    if rights is None:
        return data
    try:
        copy = xmp.write_xmp(data, lambda existing: _merged_xmp(existing, rights))
    except xmp.ContainerError as exc:
        logger.warning("rights not written into the original of asset %s, served unchanged: %s", asset.uid, exc)
        return data
    return data if copy is None else copy
