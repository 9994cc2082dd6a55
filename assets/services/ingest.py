"""Ingest: the one path by which bytes become assets and versions (web, bulk, API, CLI)."""
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Max

from assets import permissions
from assets.models import Asset, AssetVersion, Collection, version_upload_path
from assets.services import audit
from assets.services.inspect import IngestError, inspect_image
from assets.services.processing import apply_face_policy
from enrichment.services.anonymise import anonymisation_applies

__all__ = ["IngestError", "IngestResult", "ingest_file", "add_version", "restore_version"]


@dataclass
class IngestResult:
    asset: Asset
    version: AssetVersion
    created: bool


def _read_limited(fileobj, limit):
    """Read at most limit+1 bytes so an oversized upload is refused without reading it all."""
    data = fileobj.read(limit + 1)
    return data if isinstance(data, bytes) else bytes(data)


def _lock_checksum(sha256):
    """Serialise concurrent uploads of the same bytes so a retry never makes a twin."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [sha256])


def _store_original(version, data):
    """Content-addressed storage: identical bytes are written once, whoever uploads them."""
    name = version_upload_path(version, version.original_filename)
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(data))
    version.file.name = name


def _new_version(asset, data, facts, *, filename, actor, comment="", number=1):
    version = AssetVersion(
        asset=asset,
        number=number,
        original_filename=(filename or "")[-255:],
        sha256=facts.sha256,
        format=facts.format,
        mime_type=facts.mime_type,
        width=facts.width,
        height=facts.height,
        bytes=facts.size,
        metadata=facts.metadata,
        raw_metadata=facts.raw_metadata,
        comment=comment,
        created_by=actor.user,
    )
    _store_original(version, data)
    version.save()
    return version


def _schedule_processing(version):
    from assets.tasks import process_version

    transaction.on_commit(lambda: process_version.delay(version.pk))


def _version_summary(version):
    return {"version": version.number, "sha256": version.sha256, "format": version.format, "bytes": version.bytes}


def ingest_file(fileobj, *, filename, actor, collections=(), title="", anonymise_faces=False):
    """Validate and store an upload as a new asset, or return the visible asset holding the same bytes.

    ``anonymise_faces`` asks for faces to be blurred in every rendition of this upload.
    """
    data = _read_limited(fileobj, settings.LUMEN_MAX_UPLOAD_BYTES)
    facts = inspect_image(data)
    with transaction.atomic():
        _lock_checksum(facts.sha256)
        twin = (
            AssetVersion.objects.filter(sha256=facts.sha256, asset__in=permissions.visible_assets(actor.user))
            .select_related("asset")
            .first()
        )
        if twin is not None:
            if anonymise_faces:
                _require_anonymisation(twin.asset, actor)
            return IngestResult(asset=twin.asset, version=twin, created=False)
        metadata_title = facts.metadata.get("title", "")
        asset = Asset.objects.create(
            title=(title or metadata_title or _title_from_filename(filename))[:500],
            caption=facts.metadata.get("caption", ""),
            owner=actor.user,
            anonymise_faces=anonymise_faces,
        )
        if collections:
            asset.collections.set(Collection.objects.filter(pk__in=[c.pk for c in collections]))
        version = _new_version(asset, data, facts, filename=filename, actor=actor)
        asset.current_version = version
        asset.save(update_fields=["current_version"])
        audit.record(actor, "asset.upload", asset=asset, obj=version, after=_version_summary(version))
        _schedule_processing(version)
    return IngestResult(asset=asset, version=version, created=True)


def _require_anonymisation(asset, actor):
    """Bytes already stored were uploaded again asking for blurred faces: the existing asset takes the
    policy (its renditions are re-made), if the uploader may change it; refused rather than ignored."""
    if anonymisation_applies(asset):
        return
    if not permissions.can_change(actor.user, asset):
        raise IngestError("This file is already in the library as an asset you may not change, so its faces cannot "
                          "be blurred from here: ask its owner or an editor.", code="forbidden", status=403)
    Asset.objects.filter(pk=asset.pk).update(anonymise_faces=True)
    asset.anonymise_faces = True
    audit.record(actor, "asset.face_policy", asset=asset, obj=asset,
                 before={"anonymise_faces": False}, after={"anonymise_faces": True})
    apply_face_policy(asset, actor=actor)


def add_version(asset, fileobj, *, filename, actor, comment=""):
    """Store a new current version of ``asset``; older versions stay downloadable."""
    data = _read_limited(fileobj, settings.LUMEN_MAX_UPLOAD_BYTES)
    facts = inspect_image(data)
    with transaction.atomic():
        asset = Asset.objects.select_for_update().get(pk=asset.pk)
        same = asset.versions.filter(sha256=facts.sha256).first()
        if same is not None:
            raise IngestError(
                f"This file is identical to version {same.number} of this asset.", code="duplicate", status=409
            )
        number = (asset.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        before = _version_summary(asset.current_version) if asset.current_version else None
        version = _new_version(asset, data, facts, filename=filename, actor=actor, comment=comment, number=number)
        asset.current_version = version
        asset.status = Asset.Status.PROCESSING
        asset.save(update_fields=["current_version", "status", "updated_at"])
        audit.record(actor, "asset.new_version", asset=asset, obj=version, before=before, after=_version_summary(version))
        _schedule_processing(version)
    return version


def restore_version(asset, version, *, actor):
    """Make an earlier version current again, without deleting anything."""
    if version.asset_id != asset.pk:
        raise IngestError("That version belongs to another asset.", code="not_found", status=404)
    with transaction.atomic():
        asset = Asset.objects.select_for_update().get(pk=asset.pk)
        before = _version_summary(asset.current_version) if asset.current_version else None
        asset.current_version = version
        ready = version.renditions.exists()
        asset.status = Asset.Status.READY if ready else Asset.Status.PROCESSING
        asset.save(update_fields=["current_version", "status", "updated_at"])
        audit.record(actor, "asset.restore_version", asset=asset, obj=version, before=before, after=_version_summary(version))
        if not ready:
            _schedule_processing(version)
    return asset


def _title_from_filename(filename):
    stem = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0].removesuffix(".nii")  # .nii.gz
    return stem.replace("_", " ").replace("-", " ").strip()
