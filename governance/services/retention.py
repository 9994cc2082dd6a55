"""Trash, restore, purge and legal hold. Trashing hides an asset everywhere but the trash and voids its
signed URLs (``access_epoch``); purge removes the rows and the files no other asset still uses."""
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from assets import permissions
from assets.models import Asset, AssetVersion, Rendition
from core import audit
from core.refusals import Refused


def _locked(asset):
    return Asset.objects.select_for_update().get(pk=asset.pk)


def _refuse_if_held(asset, doing):
    if asset.legal_hold:
        raise Refused(f"This asset is under legal hold and cannot be {doing}.", code="legal_hold", status=409)


def trash(asset, *, actor, reason=""):
    with transaction.atomic():
        permissions.authorise(actor, "delete", asset)
        asset = _locked(asset)
        _refuse_if_held(asset, "deleted")
        if asset.deleted_at is None:
            Asset.objects.filter(pk=asset.pk).update(
                deleted_at=timezone.now(), deleted_by=actor.user, access_epoch=F("access_epoch") + 1
            )
            audit.record(actor, "asset.trash", asset=asset, obj=asset, after={"reason": reason} if reason else None)
        asset.refresh_from_db()
    return asset


def restore(asset, *, actor):
    with transaction.atomic():
        permissions.authorise(actor, "restore", asset)
        asset = _locked(asset)
        if asset.deleted_at is not None:
            before = {"deleted_at": asset.deleted_at.isoformat()}
            Asset.objects.filter(pk=asset.pk).update(deleted_at=None, deleted_by=None)
            audit.record(actor, "asset.restore", asset=asset, obj=asset, before=before)
        asset.refresh_from_db()
    return asset


def _unshared_files(asset):
    """Storage names only this asset uses: originals are content-addressed and may be shared with a twin."""
    originals = set(asset.versions.values_list("file", flat=True))
    originals -= set(AssetVersion.objects.filter(file__in=originals).exclude(asset=asset).values_list("file", flat=True))
    renditions = set(Rendition.objects.filter(version__asset=asset).values_list("file", flat=True))
    renditions -= set(Rendition.objects.filter(file__in=renditions).exclude(version__asset=asset)
                      .values_list("file", flat=True))
    return sorted(name for name in originals | renditions if name)


def _delete_files(names):
    for name in names:
        default_storage.delete(name)


def purge(asset, *, actor):
    """Irreversible: the asset, its versions, renditions and enrichment rows go; audit entries stay."""
    with transaction.atomic():
        asset = _locked(asset)
        if asset.deleted_at is None:
            raise Refused("Move the asset to the trash before purging it.", code="not_in_trash", status=409)
        permissions.authorise(actor, "purge", asset)
        _refuse_if_held(asset, "purged")
        files = _unshared_files(asset)
        audit.record(actor, "asset.purge", asset=asset, obj=asset, before={
            "uid": str(asset.uid), "title": asset.title, "versions": asset.versions.count(), "files": files,
        })
        asset.delete()
        transaction.on_commit(lambda: _delete_files(files))


def set_legal_hold(asset, held, *, actor, reason=""):
    """Site admins only: a hold is a legal decision, not a collection role."""
    if actor.user is not None and not actor.user.is_superuser:
        raise PermissionDenied("Only site admins may place or lift a legal hold.")
    with transaction.atomic():
        asset = _locked(asset)
        if asset.legal_hold != held:
            asset.legal_hold = held
            asset.save(update_fields=["legal_hold", "updated_at"])
            audit.record(actor, "asset.legal_hold" if held else "asset.legal_hold_lift", asset=asset, obj=asset,
                         before={"legal_hold": not held}, after={"legal_hold": held, "reason": reason})
    return asset


def purge_expired_trash(*, now=None):
    """Purge what has been in the trash longer than LUMEN_TRASH_DAYS; held assets wait. Returns the count."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.LUMEN_TRASH_DAYS)
    expired = Asset.objects.filter(deleted_at__lt=cutoff, legal_hold=False).values_list("pk", flat=True)
    purged = 0
    for pk in list(expired):
        try:
            purge(Asset(pk=pk), actor=audit.SYSTEM)
        except Refused:
            continue
        purged += 1
    return purged
