"""After-ingest processing of a version: renditions now, enrichment hooks in later."""
import logging

from django.db import transaction

from assets.models import Asset
from assets.renditions import ensure_default_renditions

logger = logging.getLogger(__name__)


def process_version(version):
    """Create missing renditions and mark the asset ready, or failed with the reason."""
    try:
        ensure_default_renditions(version)
    except Exception as exc:  # noqa: BLE001 - any decode failure must end as a visible state, not a dead task
        logger.exception("renditions failed for version %s", version.pk)
        _set_status(version, Asset.Status.FAILED, f"Could not make previews: {exc}")
        return
    _set_status(version, Asset.Status.READY, "")


def _set_status(version, status, detail):
    with transaction.atomic():
        asset = Asset.objects.select_for_update().get(pk=version.asset_id)
        if asset.current_version_id == version.pk:
            asset.status = status
            asset.status_detail = detail
            asset.save(update_fields=["status", "status_detail", "updated_at"])
