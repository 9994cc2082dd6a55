"""Ingest: the one path by which bytes become assets and versions (web, bulk, API, CLI)."""
import io
from dataclasses import dataclass, field
from functools import wraps

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Max

from assets import permissions, signals
from assets.models import Asset, AssetVersion, Collection, version_upload_path
from assets.services import processing
from assets.services.collections import add_to_collection
from assets.services.editing import MAX_KEYWORDS, clean_keywords
from assets.services.face_policy import apply_face_policy
from assets.services.facts import check_size
from assets.services.inspect import inspect_image
from assets.services.keywords import add_keywords
from assets.tasks import process_version
from core import audit, metrics
from core.refusals import Refused

__all__ = ["IngestResult", "ingest_checks", "ingest_file", "add_version", "restore_version"]


@dataclass
class IngestResult:
    """``created`` False: the library had these bytes, ``asset`` holds them. The collections asked for are then
    in ``added_to`` (filed now) or ``not_added_to`` (the uploader may not change that asset), the upload's keywords
    the asset lacked in ``added_keywords`` or ``keywords_not_added``, and ``rights_kept`` says the upload's usage
    rights were not recorded (the asset keeps its own)."""

    asset: Asset
    version: AssetVersion
    created: bool
    added_to: list = field(default_factory=list)
    not_added_to: list = field(default_factory=list)
    added_keywords: list = field(default_factory=list)
    keywords_not_added: list = field(default_factory=list)
    rights_kept: bool = False

    @property
    def duplicate_message(self):
        """What a person is told about a file the library already had ("" for a new asset)."""
        if self.created:
            return ""
        message = f"This file was already in the library as “{self.asset}”"
        if self.added_to:
            message += f"; added it to {_names(self.added_to)}"
        if self.added_keywords:
            message += f"; added the keywords {_names(self.added_keywords)}"
        refused = [*([f"added to {_names(self.not_added_to)}"] if self.not_added_to else []),
                   *([f"given the keywords {_names(self.keywords_not_added)}"] if self.keywords_not_added else [])]
        if refused:
            message += f"; it is not yours to change, so it was not {' or '.join(refused)}: ask its owner or an editor"
        if self.rights_kept:
            message += "; its usage rights stay as they were recorded (this upload's were not applied)"
        return message + "."


def _names(items):
    """Collections by name, keywords as they are, each quoted."""
    return " and ".join(f"“{getattr(item, 'name', item)}”" for item in items)


def _counted(ingest):
    """Ingest throughput for /metrics: each call is accepted (a new version), a duplicate (the library had
    these bytes) or refused, by the refusal's code."""
    @wraps(ingest)
    def counted(*args, **kwargs):
        try:
            result = ingest(*args, **kwargs)
        except Refused as refusal:
            metrics.record_ingest("refused", code=refusal.code)
            raise
        version = result.version if isinstance(result, IngestResult) else result
        created = result.created if isinstance(result, IngestResult) else True
        metrics.record_ingest("accepted" if created else "duplicate", size=version.bytes if created else 0)
        return result
    return counted


def read_upload(fileobj):
    """The upload's bytes; one past ``LUMEN_MAX_UPLOAD_BYTES`` is refused with its real size, before it is read."""
    limit = settings.LUMEN_MAX_UPLOAD_BYTES
    size = _known_size(fileobj)
    if size is not None:
        check_size(size)
    data = fileobj.read(limit + 1)
    data = data if isinstance(data, bytes) else bytes(data)
    check_size(len(data), at_least=size is None)
    return data


def _known_size(fileobj):
    """Bytes left to read: Django's ``UploadedFile.size``, else the distance to the end of a seekable file."""
    size = getattr(fileobj, "size", None)
    if isinstance(size, int):
        return size
    try:
        position = fileobj.tell()
        end = fileobj.seek(0, io.SEEK_END)
        fileobj.seek(position)
    except (AttributeError, OSError, ValueError):
        return None
    return end - position


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
    """On commit, at the owner's fair turn (``processing.queue_priority``, kept on the asset for the waiting
    estimate); if the broker is away the upload still succeeds (robust: logged), and the asset, left processing,
    is queued by the sweep (``assets.tasks.requeue_stalled_processing``)."""
    asset = version.asset
    priority = processing.queue_priority(asset.owner_id)
    Asset.objects.filter(pk=asset.pk).update(queue_priority=priority)
    transaction.on_commit(lambda: process_version.apply_async((version.pk,), priority=priority), robust=True)


def _version_summary(version):
    return {"version": version.number, "sha256": version.sha256, "format": version.format, "bytes": version.bytes}


@_counted
def ingest_file(fileobj, *, filename, actor, collections=(), title="", anonymise_faces=False, keywords=(),
                rights=None):
    """Validate and store an upload as a new asset, or return the visible asset holding the same bytes.

    ``anonymise_faces`` asks for faces to be blurred in every rendition of this upload; ``keywords`` are added to
    those the file carries, and ``rights`` (usage rights as the client sent them, see ``signals.upload_rights``)
    are recorded on a new asset (an asset the library already had keeps its own).
    """
    keywords, record_rights = ingest_checks(keywords=keywords, rights=rights)
    data = read_upload(fileobj)
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
            result = IngestResult(asset=twin.asset, version=twin, created=False, rights_kept=record_rights is not None)
            return _file_twin(result, actor, collections=collections, keywords=keywords)
        metadata = facts.metadata
        asset = Asset.objects.create(
            title=(title or metadata.get("title", "") or _title_from_filename(filename))[:500],
            caption=metadata.get("caption", ""),
            keywords=_with_files_keywords(keywords, metadata.get("keywords", [])),
            **{name: (metadata.get(name) or "")[:Asset._meta.get_field(name).max_length]
               for name in ("creator", "credit", "copyright")},
            owner=actor.user,
            anonymise_faces=anonymise_faces,
        )
        if collections:
            asset.collections.set(Collection.objects.filter(pk__in=[c.pk for c in collections]))
        version = _new_version(asset, data, facts, filename=filename, actor=actor)
        asset.set_current_version(version)
        asset.save(update_fields=["current_version", "captured_at"])
        audit.record(actor, "asset.upload", asset=asset, obj=version, after=_version_summary(version))
        if record_rights:
            record_rights(asset, actor)
        _schedule_processing(version)
    return IngestResult(asset=asset, version=version, created=True)


def _file_twin(result, actor, *, collections, keywords):
    """The same bytes uploaded into ``collections`` (which the caller checked the uploader may file into) and with
    ``keywords``, as one batch of a bulk upload or import is: the existing asset takes the collections and keywords
    it lacks, if the uploader may change it (as adding them to any asset needs), each addition audited. Its usage
    rights are never replaced by an upload's: someone recorded them on purpose."""
    asset = result.asset
    wanted = [c for c in collections if not asset.collections.filter(pk=c.pk).exists()]
    known = {keyword.casefold() for keyword in asset.keywords}
    new_keywords = [keyword for keyword in keywords if keyword.casefold() not in known]
    if not (wanted or new_keywords):
        return result
    if not permissions.can_change(actor.user, asset):
        result.not_added_to, result.keywords_not_added = wanted, new_keywords
        return result
    for collection in wanted:
        add_to_collection(asset, collection, actor=actor)
    result.added_to = wanted
    result.added_keywords = add_keywords(asset, new_keywords, actor=actor) if new_keywords else []
    return result


def _with_files_keywords(keywords, files):
    """The file's keywords (cut to fit: a file is not refused for them), then the upload's, all of those kept."""
    files = clean_keywords(files, strict=False)[:MAX_KEYWORDS - len(keywords)]
    return clean_keywords([*files, *keywords])


def ingest_checks(*, keywords=(), rights=None):
    """What an upload asks for besides its bytes, checked before any byte is read (a batch with wrong rights stops
    at its first file): the cleaned keywords, and the function recording the rights on a new asset (or None)."""
    return clean_keywords(keywords), _rights_recorder(rights) if rights else None


def _rights_recorder(terms):
    recorders = signals.answers(signals.upload_rights, terms=terms)
    if not recorders:
        raise Refused("Usage rights cannot be recorded with uploads here.", code="not_configured", status=400)

    def record(asset, actor):
        for recorder in recorders:
            recorder(asset, actor)
    return record


def _require_anonymisation(asset, actor):
    """Bytes already stored were uploaded again asking for blurred faces: the existing asset takes the
    policy (its renditions are re-made), if the uploader may change it; refused rather than ignored."""
    if asset.requires_face_blur():
        return
    if not permissions.can_change(actor.user, asset):
        raise Refused("This file is already in the library as an asset you may not change, so its faces cannot "
                      "be blurred from here: ask its owner or an editor.", code="forbidden", status=403)
    Asset.objects.filter(pk=asset.pk).update(anonymise_faces=True)
    asset.anonymise_faces = True
    audit.record(actor, "asset.face_policy", asset=asset, obj=asset,
                 before={"anonymise_faces": False}, after={"anonymise_faces": True})
    apply_face_policy(asset, actor=actor)


@_counted
def add_version(asset, fileobj, *, filename, actor, comment=""):
    """Store a new current version of ``asset``; older versions stay downloadable."""
    data = read_upload(fileobj)
    facts = inspect_image(data)
    with transaction.atomic():
        asset = Asset.objects.select_for_update().get(pk=asset.pk)
        same = asset.versions.filter(sha256=facts.sha256).first()
        if same is not None:
            raise Refused(
                f"This file is identical to version {same.number} of this asset.", code="duplicate", status=409
            )
        number = (asset.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        before = _version_summary(asset.current_version) if asset.current_version else None
        version = _new_version(asset, data, facts, filename=filename, actor=actor, comment=comment, number=number)
        asset.set_current_version(version)
        asset.status = Asset.Status.PROCESSING
        asset.save(update_fields=["current_version", "captured_at", "status", "updated_at"])
        audit.record(actor, "asset.new_version", asset=asset, obj=version, before=before, after=_version_summary(version))
        _schedule_processing(version)
    return version


def restore_version(asset, version, *, actor):
    """Make an earlier version current again, without deleting anything."""
    if version.asset_id != asset.pk:
        raise Refused("That version belongs to another asset.", code="not_found", status=404)
    with transaction.atomic():
        asset = Asset.objects.select_for_update().get(pk=asset.pk)
        before = _version_summary(asset.current_version) if asset.current_version else None
        asset.set_current_version(version)
        ready = version.renditions.exists()
        asset.status = Asset.Status.READY if ready else Asset.Status.PROCESSING
        asset.save(update_fields=["current_version", "captured_at", "status", "updated_at"])
        audit.record(actor, "asset.restore_version", asset=asset, obj=version, before=before, after=_version_summary(version))
        if not ready:
            _schedule_processing(version)
    return asset


def _title_from_filename(filename):
    stem = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0].removesuffix(".nii")  # .nii.gz
    return stem.replace("_", " ").replace("-", " ").strip()
