"""The one retry rule of the Celery tasks: database, broker and storage-read errors are passing, so they
are retried with exponential backoff and jitter; after the last retry (or on any other error) the task
records why it gave up instead of leaving its work shown as pending forever."""
import logging
from contextlib import contextmanager

from django.conf import settings
from django.db import InterfaceError, OperationalError

from core import metrics
from core.storage import SourceUnavailable

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError, SourceUnavailable)
RETRY_POLICY = dict(autoretry_for=TRANSIENT_ERRORS, retry_backoff=2, retry_backoff_max=settings.LUMEN_TASK_RETRY_BACKOFF_MAX,
                    retry_jitter=True, max_retries=settings.LUMEN_TASK_MAX_RETRIES)


@contextmanager
def giving_up(task, record):
    """Around a task's work: a transient error goes on to ``autoretry_for`` while retries remain; after
    the last one, and for any other error, ``record(reason)`` keeps the reason and the task ends normally
    (so a chain it is part of goes on)."""
    try:
        yield
    except TRANSIENT_ERRORS as exc:
        if task.request.retries < task.max_retries:
            raise
        metrics.TASK_FAILURES.labels(task.name).inc()
        record(f"Gave up after {task.request.retries + 1} attempts: {exc}")
    except Exception as exc:  # noqa: BLE001 - e.g. a model file that does not load: no retry will fix it
        logger.exception("%s failed", task.name)
        metrics.TASK_FAILURES.labels(task.name).inc()
        record(f"{type(exc).__name__}: {exc}")


def record_retry(note, *args):
    """Call ``note(*args)`` from ``on_retry``; the database may be what failed, so a note that cannot be
    written is only logged (the retry goes ahead)."""
    try:
        note(*args)
    except Exception:  # noqa: BLE001
        logger.exception("could not record a retry: %s%r", getattr(note, "__name__", note), args)
