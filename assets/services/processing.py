"""After-ingest processing of a version: faces first when they must be blurred, renditions, then the word that
they are ready (enrichment listens: ``assets.signals.renditions_ready``)."""
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from assets import signals
from assets.models import Asset
from assets.renditions import (
    delete_unused_files,
    ensure_default_renditions,
    files_locked,
    make_renditions,
    untransformed,
)
from core.storage import SourceUnavailable

logger = logging.getLogger(__name__)


class FaceBlurUnavailable(Exception):
    """The asset's faces must be blurred but nothing installed can find them, so no rendition may be made."""


# Fair turns: the renditions queue is read by broker priority (Redis: a list per step, 0 first), then in order.
# A person's first uploads waiting go at 0, the rest of a large import at later steps, so another person's
# single upload waits behind at most a few of anyone's images, and each import keeps its own order.
QUEUE_TURNS = ((10, 0), (100, 3), (1000, 6))  # (the owner's uploads waiting, this one included, at most; priority)
LAST_TURN = 9


def queue_priority(owner_id):
    """The priority for the processing of a new upload of ``owner_id``'s (see ``QUEUE_TURNS``); 0 for all
    without ``LUMEN_QUEUE_FAIR_TURNS``."""
    if not settings.LUMEN_QUEUE_FAIR_TURNS:
        return 0
    last_limit = QUEUE_TURNS[-1][0]
    waiting = Asset.objects.filter(owner_id=owner_id, status=Asset.Status.PROCESSING,
                                   deleted_at__isnull=True)[:last_limit + 1].count()
    return next((priority for limit, priority in QUEUE_TURNS if waiting <= limit), LAST_TURN)


def process_version(version):
    """Create missing renditions (faces blurred when the policy applies), mark the asset ready
    or failed with the reason, and announce the renditions.

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
    signals.renditions_ready.send(sender=None, version=version)


def make_on_request(version, spec):
    """The rendition of ``version`` for ``spec`` (one of ``renditions.on_request_specs()``), made now if no
    request made it before: under the files lock, so two requests at once encode it once, and blurred where the
    face policy applies. Raises ``RenditionError`` for an original that cannot be decoded."""
    with files_locked(version.sha256):
        found = version.renditions.filter(spec=str(spec)).first()
        if found is not None:
            return found
        return make_renditions(version, [spec], transform=face_redactor(version))[0]


def face_redactor(version):
    """The transform that finds and blurs faces in the image renditions are made from, when the policy
    covers the asset (``None`` otherwise); a receiver of ``face_redactor_wanted`` provides it."""
    if not version.asset.requires_face_blur():
        return None
    redactors = signals.answers(signals.face_redactor_wanted, version=version)
    if not redactors:
        raise FaceBlurUnavailable("Faces must be blurred in this asset's previews, but no face detector is installed.")
    return redactors[0]


def stalled_versions(older_than):
    """Current versions of assets still processing ``older_than`` (a timedelta) after their last change: either
    their message waits its turn in a long queue, or it never reached the broker; the sweep tells which."""
    cutoff = timezone.now() - older_than
    return list(Asset.objects.filter(status=Asset.Status.PROCESSING, updated_at__lt=cutoff,
                                     current_version__isnull=False).values_list("current_version_id", flat=True))


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
