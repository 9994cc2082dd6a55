"""After-ingest processing of a version: faces first when they must be blurred, renditions, then enrichment."""
import logging

from django.db import transaction
from django.utils import timezone

from assets.models import Asset
from assets.renditions import delete_unused_files, ensure_default_renditions, files_locked, untransformed
from assets.services import audit
from assets.storage import SourceUnavailable
from enrichment.services.pipeline import enrich_after_renditions, face_redactor

logger = logging.getLogger(__name__)


def process_version(version):
    """Create missing renditions (faces blurred when the policy applies), mark the asset ready
    or failed with the reason, and queue enrichment of the renditions.

    Under the face policy, renditions made before it applied are discarded first and their files
    deleted; the lock keeps a run that started before the policy from adding unblurred ones back.
    """
    with files_locked(version.sha256):
        transform = face_redactor(version)
        if transform is not None:
            untransformed(version).delete()
            delete_unused_files(version.sha256)
        try:
            ensure_default_renditions(version, transform=transform)
        except SourceUnavailable:
            raise  # storage may answer on a retry
        except Exception as exc:  # noqa: BLE001 - any decode failure must end as a visible state, not a dead task
            logger.exception("renditions failed for version %s", version.pk)
            mark_failed(version, exc)
            return
    _set_status(version, Asset.Status.READY, "")
    enrich_after_renditions(version)


def apply_face_policy(asset, *, actor):
    """The face policy has just come to cover ``asset`` (call inside that change's transaction).

    Renditions made without blurring are taken down at once, for every version; the current
    version's are queued to be re-made blurred and enriched again from the blurred pixels, and
    the workers delete the old files.
    """
    from assets.tasks import delete_unused_renditions, process_version as process_version_task

    discarded = {}
    for version in asset.versions.all():
        specs = sorted(untransformed(version).values_list("spec", flat=True))
        if specs:
            untransformed(version).delete()
            discarded[f"v{version.number}"] = specs
            if version.pk != asset.current_version_id:
                transaction.on_commit(lambda sha256=version.sha256: delete_unused_renditions.delay(sha256))
    if discarded:
        audit.record(actor, "asset.discard_renditions", asset=asset, obj=asset,
                     before={"renditions": discarded}, after={"reason": "faces must be blurred"})
    current = asset.current_version_id
    if current:
        Asset.objects.filter(pk=asset.pk).update(status=Asset.Status.PROCESSING, status_detail="", updated_at=timezone.now())
        transaction.on_commit(lambda: process_version_task.delay(current))


def note_retry(version_id, exc):
    """The asset page and status endpoint say why previews take longer than usual."""
    Asset.objects.filter(current_version_id=version_id, status=Asset.Status.PROCESSING).update(
        status_detail=f"Retrying after a temporary error: {exc}")


def mark_failed(version, reason):
    """The asset shows why it has no previews (only if ``version`` is still its current one)."""
    _set_status(version, Asset.Status.FAILED, f"Could not make previews: {reason}")


def _set_status(version, status, detail):
    with transaction.atomic():
        asset = Asset.objects.select_for_update().get(pk=version.asset_id)
        if asset.current_version_id == version.pk:
            asset.status = status
            asset.status_detail = detail
            asset.save(update_fields=["status", "status_detail", "updated_at"])
