"""Celery tasks for assets: small, idempotent, retried with backoff (``core.retries``), acks_late (see settings)."""
import logging
from datetime import timedelta

from celery import Task, shared_task
from django.conf import settings

from assets.models import AssetVersion
from assets.renditions import delete_unused_files, files_locked
from assets.services import processing
from core.queues import queue_lost
from core.retries import RETRY_POLICY, giving_up, record_retry

logger = logging.getLogger(__name__)


class ProcessVersionTask(Task):
    """The asset says a retry is coming, so "processing" for longer than usual is explained."""

    def on_retry(self, exc, task_id, args, kwargs, einfo):
        record_retry(processing.note_retry, args[0], exc)


@shared_task(base=ProcessVersionTask, bind=True, **RETRY_POLICY)
def process_version(self, version_id):
    """Make the renditions of one version; re-running only fills in what is missing. When the original
    stays unreadable after every retry, the asset is marked failed with the reason."""
    try:
        version = AssetVersion.objects.select_related("asset").get(pk=version_id)
    except AssetVersion.DoesNotExist:
        logger.info("version %s vanished before processing; nothing to do", version_id)
        return
    with giving_up(self, lambda reason: processing.mark_failed(version, reason)):
        processing.process_version(version)


@shared_task(ignore_result=True, **RETRY_POLICY)
def delete_unused_renditions(sha256):
    """Delete the rendition files of these bytes that no rendition uses after some were discarded."""
    with files_locked(sha256):
        delete_unused_files(sha256)


@shared_task(ignore_result=True)
def requeue_stalled_processing():
    """Beat, every ``LUMEN_SWEEP_INTERVAL_SECONDS``: queue again the processing of assets stalled for
    ``LUMEN_STALLED_AFTER_SECONDS`` with no message for them in the broker (an upload committed while Redis was
    away, or Redis lost its memory). A message queued twice is harmless: processing fills in only what is missing."""
    queue_lost(process_version, processing.stalled_versions(timedelta(seconds=settings.LUMEN_STALLED_AFTER_SECONDS)),
               "has been processing with no message in the broker")
