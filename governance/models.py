"""The usage rights of each asset, and the bookkeeping of their expiry notices and direct uploads."""
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from iso3166 import countries_by_alpha2

from assets.models import Asset, Collection


class Channel(models.TextChoices):
    WEB = "web", "Web"
    PRINT = "print", "Print"
    SOCIAL = "social", "Social media"
    BROADCAST = "broadcast", "Broadcast"
    OUTDOOR = "outdoor", "Outdoor"
    ADVERTISING = "advertising", "Advertising"
    EDITORIAL = "editorial", "Editorial"
    INTERNAL = "internal", "Internal"


class LicenceType(models.TextChoices):
    OWNED = "owned", "Owned (work for hire)"
    ROYALTY_FREE = "royalty_free", "Royalty-free"
    RIGHTS_MANAGED = "rights_managed", "Rights-managed"
    EDITORIAL_ONLY = "editorial_only", "Editorial use only"
    CC_BY = "cc_by", "Creative Commons BY"
    CC_BY_SA = "cc_by_sa", "Creative Commons BY-SA"
    CC0 = "cc0", "Creative Commons CC0"
    PUBLIC_DOMAIN = "public_domain", "Public domain"


WORLDWIDE = "worldwide"


def normalise_territory(value):
    value = value.strip()
    return WORLDWIDE if value.lower() == WORLDWIDE else value.upper()


# ISO 3166-1 alpha-2: the officially assigned codes (249, as of 2024), plus XK (Kosovo, in common use).
COUNTRY_CODES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO
FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE
JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO
MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW
PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM
TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK
""".split())


def validate_territory(value):
    """A territory is ``worldwide`` or a country's ISO 3166 code that exists: "XX" would match no asset, silently."""
    if value != WORLDWIDE and value not in countries_by_alpha2:
        raise ValidationError(f"“{value}” is not an ISO 3166 two-letter country code (such as DE for Germany) or “worldwide”.")


def territory_name(code):
    """What people call a territory: "Germany" for DE; an unknown code as it is."""
    if code == WORLDWIDE:
        return "worldwide"
    country = countries_by_alpha2.get(code.upper())
    return country.apolitical_name if country else code


class UsageRights(models.Model):
    """What an asset may be used for, where and until when. No channels listed means every channel;
    no territories (or ``worldwide``) means everywhere; open dates mean no limit on that side."""

    asset = models.OneToOneField(Asset, on_delete=models.CASCADE, related_name="usage_rights")
    licence_type = models.CharField(max_length=20, choices=LicenceType.choices)
    licence_url = models.URLField(blank=True, help_text="The licence text (JSON-LD “license”).")
    holder = models.CharField(max_length=200, blank=True, help_text="Copyright holder.")
    channels = ArrayField(models.CharField(max_length=20, choices=Channel.choices), default=list, blank=True)
    territories = ArrayField(models.CharField(max_length=10, validators=[validate_territory]), default=list, blank=True,
                             help_text="ISO 3166 alpha-2 codes, or “worldwide”.")
    starts_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True, db_index=True)
    credit_line = models.CharField(max_length=300, blank=True)
    model_release = models.BooleanField(default=False, help_text="Model release on file.")
    property_release = models.BooleanField(default=False, help_text="Property release on file.")
    restrictions = models.TextField(blank=True)
    acquire_licence_url = models.URLField(blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "usage rights"

    def __str__(self):
        return f"Rights of {self.asset}"

    @property
    def copyright_notice(self):
        return f"© {self.holder}" if self.holder else ""

    def usable_on(self, channel, territory, on_date):
        """Python twin of ``governance.services.rights.usable_for`` for one loaded row (templates, XMP)."""
        return (
            (not self.channels or channel is None or channel in self.channels)
            and (not self.territories or WORLDWIDE in self.territories or territory is None
                 or territory.upper() in self.territories)
            and (self.starts_on is None or self.starts_on <= on_date)
            and (self.expires_on is None or self.expires_on >= on_date)
        )


class RightsExpiryNotice(models.Model):
    """One row per asset and expiry date, so the daily job tells each owner exactly once."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="rights_expiry_notices")
    expires_on = models.DateField()
    recipient = models.EmailField(blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["asset", "expires_on"], name="one_notice_per_expiry")]


class DirectUpload(models.Model):
    """A presigned upload to the incoming bucket; the asset exists only after ``confirm`` verifies the bytes."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting for the file"
        DONE = "done", "Ingested"
        FAILED = "failed", "Refused"

    KEY_PREFIX = "incoming/"  # the only place in the upload bucket where unconfirmed files live

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(max_length=255, blank=True)
    title = models.CharField(max_length=500, blank=True)
    collections = models.ManyToManyField(Collection, blank=True, related_name="+")
    expires_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    detail = models.TextField(blank=True)
    asset = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    @property
    def key(self):
        return f"{self.KEY_PREFIX}{self.uid}"


class ShareLink(models.Model):
    """A link that shows one asset, or the assets of one collection, to anyone who holds it, until it expires or
    is revoked (``governance.services.sharing``). What it shows is asked of the permission gate again on every
    request, as its creator: a creator who loses access, an asset trashed or flagged, leave the link showing
    less. Files always pass through the app, so revoking stops them at once, on S3 too."""

    asset = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.CASCADE, related_name="share_links")
    collection = models.ForeignKey(Collection, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="share_links")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="share_links")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    include_originals = models.BooleanField(default=False, help_text="Whoever holds the link may download originals.")
    note = models.CharField(max_length=200, blank=True, help_text="For the people who manage the link.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(asset__isnull=False, collection__isnull=True)
                | models.Q(asset__isnull=True, collection__isnull=False),
                name="share_link_asset_xor_collection",
            ),
        ]

    def __str__(self):
        return f"Share link to {self.target}"

    @property
    def target(self):
        return self.asset if self.asset_id else self.collection

    def state(self, now):
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"
