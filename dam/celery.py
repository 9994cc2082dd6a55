"""Celery application; configuration comes from Django settings (``CELERY_*``)."""
import os

from celery import Celery, signals
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dam.settings")

app = Celery("dam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def recycle_database_connections(task=None, **kwargs):
    """Around a task, what Django does around a request: drop connections that are broken or older than
    ``DB_CONN_MAX_AGE`` and keep the others (``CELERY_DB_REUSE_MAX`` stops Celery closing them all).
    Eager tasks run inside the caller's transaction, which must stay open."""
    if task is None or not task.request.is_eager:
        close_old_connections()
