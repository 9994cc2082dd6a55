"""Celery tasks for assets: small, idempotent, retried with backoff, acks_late (see settings)."""
import logging

from celery import shared_task
from django.db import OperationalError

from assets.models import AssetVersion
from assets.renditions import delete_unused_files, files_locked
from assets.services import processing

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, ConnectionError, TimeoutError)
RETRY_POLICY = dict(autoretry_for=TRANSIENT_ERRORS, retry_backoff=2, retry_backoff_max=300, retry_jitter=True,
                    max_retries=6)


@shared_task(bind=True, **RETRY_POLICY)
def process_version(self, version_id):
    """Make the renditions of one version; re-running only fills in what is missing."""
    try:
        version = AssetVersion.objects.select_related("asset").get(pk=version_id)
    except AssetVersion.DoesNotExist:
        logger.info("version %s vanished before processing; nothing to do", version_id)
        return
    processing.process_version(version)


@shared_task(ignore_result=True, **RETRY_POLICY)
def delete_unused_renditions(sha256):
    """Delete the rendition files of these bytes that no rendition uses after some were discarded."""
    with files_locked(sha256):
        delete_unused_files(sha256)
