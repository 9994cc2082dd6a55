"""Usage rights: set them (audited), ask in SQL which assets are usable, warn owners before rights expire,
and carry the rights out with the asset, answering assets' signals (connected in ``GovernanceConfig.ready``):
JSON-LD fields (``image_object_properties``), the fields written into downloaded files (``embedded_properties``),
warnings about downloads the rights do not cover (``download_warnings``). Rights given with an upload are
checked in ``governance.upload_rights``."""
import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from assets import permissions
from assets.models import Asset
from assets.signals import download_warnings, embedded_properties, image_object_properties
from core import audit
from core.refusals import Refused
from governance.models import WORLDWIDE, Channel, RightsExpiryNotice, UsageRights, normalise_territory

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
    permissions.authorise(actor, "manage_rights", asset)
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
            # Downloads carry the rights: renditions' URLs change with them (assets.models.Rendition.token_for).
            Asset.objects.filter(pk=asset.pk).update(metadata_revision=F("metadata_revision") + 1)
            audit.record(actor, "rights.set", asset=asset, obj=rights, before=before, after=after)
    return rights


def apply_rights_to_collection(collection, *, actor, **fields):
    """Set the same rights on every asset of ``collection`` the actor may manage; returns how many."""
    assets = collection.assets.filter(deleted_at__isnull=True)
    if actor.user is not None:
        assets = permissions.permitted_assets(actor.user, "manage_rights", assets)
    with transaction.atomic():
        return len([set_rights(asset, actor=actor, **fields) for asset in assets.order_by("pk")])


def usable_rights(channel=None, territory=None, on_date=None):
    """Rights records that allow ``channel`` in ``territory`` on ``on_date`` (default today); ``None`` skips a test."""
    on_date = on_date or timezone.localdate()
    rights = UsageRights.objects.filter(
        Q(starts_on__isnull=True) | Q(starts_on__lte=on_date),
        Q(expires_on__isnull=True) | Q(expires_on__gte=on_date),
    )
    if channel:
        rights = rights.filter(Q(channels=[]) | Q(channels__contains=[channel]))
    if territory:
        rights = rights.filter(Q(territories=[]) | Q(territories__overlap=[WORLDWIDE, normalise_territory(territory)]))
    return rights


def usable_for(queryset, channel=None, territory=None, on_date=None):
    """Assets whose rights allow ``channel`` in ``territory`` on ``on_date`` (default today), in pure SQL.

    An asset without a rights record is not usable: unknown rights are no rights. ``None`` skips a test.
    """
    return queryset.filter(Exists(usable_rights(channel, territory, on_date).filter(asset=OuterRef("pk"))))


def expiring_within(queryset, days, *, today=None):
    """Rights records (of the given usage-rights queryset) that end between today and ``days`` from now."""
    today = today or timezone.localdate()
    return queryset.filter(expires_on__gte=today, expires_on__lte=today + timedelta(days=days))


def expired(queryset, *, today=None):
    return queryset.filter(expires_on__lt=today or timezone.localdate())


def rights_report(user, days):
    """What the rights report shows ``user`` (page and API): rights of visible assets that expire within ``days``,
    soonest first, and those already expired, latest first."""
    visible = UsageRights.objects.filter(asset__in=permissions.visible_assets(user)).select_related("asset")
    return {
        "days": days,
        "expiring": expiring_within(visible, days).order_by("expires_on", "pk"),
        "expired": expired(visible).order_by("-expires_on", "pk"),
    }


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


@receiver(image_object_properties, dispatch_uid="governance.jsonld_rights")
def jsonld_rights(sender=None, *, asset, **kwargs):
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


@receiver(embedded_properties, dispatch_uid="governance.embedded_rights")
def embedded_rights(sender=None, *, asset, **kwargs):
    """Downloaded files carry the usage rights on record: they outrank the asset's own credit and copyright."""
    rights = _rights_of(asset)
    if rights is None:
        return None
    return {"copyright": rights.copyright_notice, "credit": rights.credit_line, "usage_terms": usage_terms(rights),
            "web_statement": rights.licence_url or rights.acquire_licence_url, "marked": True}


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


def uncovered_use(rights, channel=None, *, today=None):
    """Why the rights do not cover using the asset in ``channel`` today, in a sentence; "" when they do."""
    today = today or timezone.localdate()
    if rights.expires_on and rights.expires_on < today:
        return f"The licence of this image expired on {rights.expires_on:%d %B %Y}."
    if rights.starts_on and rights.starts_on > today:
        return f"The licence of this image starts on {rights.starts_on:%d %B %Y}."
    if channel and rights.channels and channel not in rights.channels:
        covered = ", ".join(Channel(name).label.lower() for name in rights.channels)
        return f"The licence of this image does not cover {Channel(channel).label.lower()} (only {covered})."
    return ""


@receiver(download_warnings, dispatch_uid="governance.rights_warnings")
def rights_warning(sender=None, *, asset, channel=None, **kwargs):
    """Downloading for a use the rights on record do not cover: a warning, or refused (``LUMEN_RIGHTS_ON_DOWNLOAD``).
    Assets without rights on record are not warned about here: the asset page says they have none."""
    if channel and channel not in Channel.values:
        raise Refused(f"Unknown channel “{channel}”; use one of: {', '.join(Channel.values)}.", code="invalid")
    rights = _rights_of(asset)
    warning = uncovered_use(rights, channel) if rights else ""
    if warning and settings.LUMEN_RIGHTS_ON_DOWNLOAD == "refuse":
        raise Refused(f"{warning} Downloads of images the licence does not cover are refused here.",
                      code="rights_not_covered", status=451)
    return warning or None
