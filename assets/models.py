"""Assets, their versions and renditions, collections, and the append-only audit log."""
import hashlib
import uuid

from django.conf import settings
from django.db import models


class Collection(models.Model):
    """A named group of assets; the unit that access roles will be granted on."""

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


class Asset(models.Model):
    """A logical image; its bytes live in versions, the current one is what people see."""

    class Status(models.TextChoices):
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=500, blank=True)
    caption = models.TextField(blank=True)
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
    anonymise_faces = models.BooleanField(default=False, help_text="Blur faces in every rendition (set at upload).")
    status_detail = models.TextField(blank=True)
    moderation_state = models.CharField(
        max_length=10, choices=Moderation.choices, default=Moderation.UNCHECKED, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Retention (assets.services.retention): trashed assets are hidden everywhere but the trash;
    # a legal hold blocks trash and purge; access_epoch is bumped to void signed URLs.
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deleted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    legal_hold = models.BooleanField(default=False)
    access_epoch = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title or f"Asset {self.uid}"


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

    def __str__(self):
        return f"{self.version} [{self.spec}]"

    @property
    def content_token(self):
        """Changes whenever the file behind this spec may have: the row is re-made (e.g. blurred under
        the face policy) or points at another file. URLs carry it, so what a browser cached for a year
        under one token is never what the asset shows now."""
        return hashlib.sha256(f"{self.pk}:{self.file.name}".encode()).hexdigest()[:16]


class AuditEntry(models.Model):
    """Append-only record of one mutation: who did what to which object, before and after."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=60, db_index=True)
    asset = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries")
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action}"
