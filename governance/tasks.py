"""Daily jobs started by Celery beat (``CELERY_BEAT_SCHEDULE``): rights-expiry notices, trash purge and the
removal of direct uploads never confirmed."""
from botocore.exceptions import BotoCoreError, ClientError
from celery import shared_task

from core.retries import RETRY_POLICY, TRANSIENT_ERRORS
from governance.services import retention, rights, uploads


@shared_task
def warn_expiring_rights():
    return rights.warn_expiring_rights()


@shared_task
def purge_expired_trash():
    return retention.purge_expired_trash()


UPLOAD_STORE_RETRY = RETRY_POLICY | {
    "autoretry_for": TRANSIENT_ERRORS + (BotoCoreError, ClientError, uploads.IncomingStoreError),
}


@shared_task(acks_late=True, **UPLOAD_STORE_RETRY)
def purge_abandoned_uploads():
    """The S3 store may be briefly away: retried with backoff, and a re-run only finds what is left."""
    return uploads.purge_abandoned_uploads()
