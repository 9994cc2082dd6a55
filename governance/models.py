"""Who may do what per collection, the usage rights of each asset, and the bookkeeping of their notices and uploads."""
import re
import uuid

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from assets.models import Asset, Collection


class Role(models.TextChoices):
    """Ordered: each role can do everything the roles before it can (see ``roles_at_least``)."""

    VIEWER = "viewer", "Viewer: see and download"
    CONTRIBUTOR = "contributor", "Contributor: also upload into the collection"
    EDITOR = "editor", "Editor: also change, trash and set rights of any asset"
    MODERATOR = "moderator", "Moderator: also see flagged assets, approve and reject"
    ADMIN = "admin", "Admin: also grant roles on the collection"


def roles_at_least(role):
    order = list(Role.values)
    return order[order.index(role):]


class CollectionRole(models.Model):
    """One grant: a user or a group holds ``role`` on ``collection``; one grant per principal and collection."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="collection_roles")
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="collection_roles")
    role = models.CharField(max_length=20, choices=Role.choices)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["collection", "role", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, group__isnull=True) | Q(user__isnull=True, group__isnull=False),
                name="role_for_user_xor_group",
            ),
            models.UniqueConstraint(fields=["collection", "user"], condition=Q(user__isnull=False),
                                    name="one_role_per_user_and_collection"),
            models.UniqueConstraint(fields=["collection", "group"], condition=Q(group__isnull=False),
                                    name="one_role_per_group_and_collection"),
        ]

    @property
    def principal(self):
        return self.user if self.user_id else self.group

    def __str__(self):
        return f"{self.principal} is {self.role} of {self.collection}"


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


def validate_territory(value):
    if value != WORLDWIDE and not re.fullmatch(r"[A-Z]{2}", value):
        raise ValidationError(f"“{value}” is not an ISO 3166 two-letter country code or “worldwide”.")


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
