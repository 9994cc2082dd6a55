"""Assets, their versions and renditions, collections and the roles granted on them."""
import hashlib
import uuid

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime


class Collection(models.Model):
    """A named group of assets; the unit access roles are granted on (``CollectionRole``)."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    anonymise_faces = models.BooleanField(default=False, help_text="Blur faces in every rendition of its assets.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


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


def taken_at(metadata):
    """When a version's image was taken (its metadata's ``taken_at``), or None. EXIF times often lack a zone;
    they are read in the server's zone rather than dropped."""
    value = (metadata or {}).get("taken_at")
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well-formed but impossible, e.g. a 31st of April
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Asset(models.Model):
    """A logical image; its bytes live in versions, the current one is what people see."""

    class Status(models.TextChoices):
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # What the image shows and who made it: read from the first file at upload, then edited by people
    # (assets.services.editing); search indexes it and downloaded files carry it (assets.services.embedding).
    title = models.CharField(max_length=500, blank=True)
    caption = models.TextField(blank=True)
    alt_text = models.CharField(max_length=1000, blank=True, help_text="Text read out in place of the image.")
    keywords = models.JSONField(default=list, blank=True)
    creator = models.CharField(max_length=300, blank=True)
    credit = models.CharField(max_length=300, blank=True)
    copyright = models.CharField(max_length=500, blank=True, help_text="Copyright notice, e.g. “© 2024 Ada Lovelace”.")
    # Bumped whenever what a downloaded file carries changes (the fields above, usage rights), so the
    # content tokens of rendition URLs change with it and no browser keeps an outdated copy for good.
    metadata_revision = models.PositiveIntegerField(default=0)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="assets")
    collections = models.ManyToManyField(Collection, related_name="assets", blank=True)
    current_version = models.OneToOneField(
        "AssetVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    class Moderation(models.TextChoices):
        UNCHECKED = "unchecked", "Not checked yet"
        CLEAR = "clear", "Checked, nothing flagged"
        PENDING = "pending", "Flagged, awaiting a moderator"
        APPROVED = "approved", "Approved by a moderator"
        REJECTED = "rejected", "Rejected by a moderator"

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROCESSING)
    # The broker priority its processing was queued with (assets.services.processing.queue_priority): 0 for a
    # person's first few waiting uploads, later steps for the rest of a large import, so others are not starved.
    queue_priority = models.PositiveSmallIntegerField(default=0)
    anonymise_faces = models.BooleanField(default=False, help_text="Blur faces in every rendition (set at upload).")
    status_detail = models.TextField(blank=True)
    moderation_state = models.CharField(
        max_length=10, choices=Moderation.choices, default=Moderation.UNCHECKED, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When the current version was taken (its metadata's taken_at), else when the asset was uploaded: kept on the
    # asset so the "taken" orderings read one page of an index instead of sorting every asset (set_current_version).
    captured_at = models.DateTimeField(default=timezone.now)
    # Retention (governance.services.retention): trashed assets are hidden everywhere but the trash;
    # a legal hold blocks trash and purge; access_epoch is bumped to void signed URLs.
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deleted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    legal_hold = models.BooleanField(default=False)
    access_epoch = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        # Library-wide pages read one page of these (keyset pages, assets.pagination), at any size.
        indexes = [models.Index(fields=["created_at", "id"], name="asset_created_id"),
                   models.Index(fields=["title", "id"], name="asset_title_id"),
                   models.Index(fields=["captured_at", "id"], name="asset_captured_id"),
                   # The renditions queue in the order workers take it, for "412 images ahead" (assets.services.waiting).
                   models.Index(fields=["queue_priority", "current_version"],
                                condition=models.Q(status="processing"), name="asset_waiting_queue")]

    def __str__(self):
        return self.title or f"Asset {self.uid}"

    def set_current_version(self, version):
        """Make ``version`` current (the caller saves ``current_version`` and ``captured_at``)."""
        self.current_version = version
        self.captured_at = taken_at(version.metadata) or self.created_at

    def requires_face_blur(self):
        """The face policy: the upload asked for blurred faces, or a collection holding the asset does."""
        return self.anonymise_faces or self.collections.filter(anonymise_faces=True).exists()


def version_upload_path(version, filename):
    """Content-addressed path: the checksum names the file, never the user's filename."""
    return f"originals/{version.sha256[:2]}/{version.sha256}.{version.extension}"


class AssetVersion(models.Model):
    """One immutable uploaded file of an asset, with what was read from it."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    file = models.FileField(upload_to=version_upload_path, max_length=300)
    original_filename = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    format = models.CharField(max_length=10)
    mime_type = models.CharField(max_length=50)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    bytes = models.PositiveBigIntegerField()
    metadata = models.JSONField(default=dict, blank=True)
    raw_metadata = models.JSONField(default=dict, blank=True)
    comment = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["asset", "-number"]
        constraints = [models.UniqueConstraint(fields=["asset", "number"], name="unique_version_number")]

    def __str__(self):
        return f"{self.asset} v{self.number}"

    @property
    def extension(self):
        if self.format == "nifti":
            return "nii.gz" if self.mime_type == "application/gzip" else "nii"
        return {"jpeg": "jpg", "tiff": "tif", "dicom": "dcm"}.get(self.format, self.format)


def rendition_token(rendition_id, file_name, metadata_revision):
    """``Rendition.content_token`` from the row's values."""
    if rendition_id is None:
        return ""
    return hashlib.sha256(f"{rendition_id}:{file_name}:{metadata_revision}".encode()).hexdigest()[:16]


def rendition_token_sql(rendition_id, file_name, metadata_revision):
    """``rendition_token`` of the rows' columns (SQL expressions), written by Postgres: the API writes an asset's
    renditions, URLs and tokens included, in SQL (``assets.api.serializers.asset_row``)."""
    return (f"left(encode(sha256(convert_to({rendition_id}::text || ':' || {file_name} || ':' || "
            f"{metadata_revision}::text, 'UTF8')), 'hex'), 16)")


class Rendition(models.Model):
    """A derived file of one version, named by a filter spec such as ``width-640|format-webp``."""

    version = models.ForeignKey(AssetVersion, on_delete=models.CASCADE, related_name="renditions")
    spec = models.CharField(max_length=100)
    file = models.FileField(max_length=300)
    format = models.CharField(max_length=10)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    bytes = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "spec"], name="unique_rendition_spec")]
        indexes = [models.Index(fields=["created_at"], name="rendition_created")]  # the pool's recent pace

    def __str__(self):
        return f"{self.version} [{self.spec}]"

    @property
    def content_token(self):
        """Changes whenever the file behind this spec may have: the row is re-made (e.g. blurred under
        the face policy), points at another file, or the metadata written into it changed. URLs carry it,
        so what a browser cached for a year under one token is never what the asset shows now."""
        return self.token_for(self.version.asset)

    def token_for(self, asset):
        """``content_token`` with the asset at hand (grids have it loaded; ``self.version.asset`` is a query);
        none for a rendition not made yet (offered on request), whose URL is revalidated until it exists."""
        return rendition_token(self.pk, self.file.name, asset.metadata_revision)
