"""Daily jobs started by Celery beat (``CELERY_BEAT_SCHEDULE``): rights-expiry notices and trash purge."""
from celery import shared_task

from assets.services import retention
from governance.services import rights


@shared_task
def warn_expiring_rights():
    return rights.warn_expiring_rights()


@shared_task
def purge_expired_trash():
    return retention.purge_expired_trash()
