"""After-ingest processing of a version: faces first when they must be blurred, renditions, then enrichment."""
import logging

from django.db import transaction

from assets.models import Asset
from assets.renditions import ensure_default_renditions
from enrichment.services.pipeline import enrich_after_renditions, face_redactor

logger = logging.getLogger(__name__)


def process_version(version):
    """Create missing renditions (faces blurred when the policy applies), mark the asset ready
    or failed with the reason, and queue enrichment of the renditions.
    """
    try:
        ensure_default_renditions(version, transform=face_redactor(version))
    except Exception as exc:  # noqa: BLE001 - any decode failure must end as a visible state, not a dead task
        logger.exception("renditions failed for version %s", version.pk)
        _set_status(version, Asset.Status.FAILED, f"Could not make previews: {exc}")
        return
    _set_status(version, Asset.Status.READY, "")
    enrich_after_renditions(version)


def _set_status(version, status, detail):
    with transaction.atomic():
        asset = Asset.objects.select_for_update().get(pk=version.asset_id)
        if asset.current_version_id == version.pk:
            asset.status = status
            asset.status_detail = detail
            asset.save(update_fields=["status", "status_detail", "updated_at"])
