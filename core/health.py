"""Readiness: whether this instance can do its work now — the database answers, Redis answers, storage takes a
small object and gives it back, and at least one Celery worker answers a ping. Each check reports ok, the
milliseconds it took and, when it fails, a reason a person can read (details go to the log, not to the
anonymous caller: no host names, paths or credentials in the answer)."""
import logging
import time
import uuid

import redis
from celery import current_app
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

logger = logging.getLogger(__name__)

PROBE = b"lumen health probe"


class NotReady(Exception):
    """A check's failure, with the sentence the caller sees."""


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_redis():
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=settings.LUMEN_HEALTH_TIMEOUT,
                                  socket_connect_timeout=settings.LUMEN_HEALTH_TIMEOUT)
    try:
        client.ping()
    finally:
        client.close()


def check_storage():
    """Write, read back and delete a small object where originals go (local, encrypted, or S3)."""
    name = default_storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(PROBE))
    try:
        with default_storage.open(name) as stored:
            if stored.read() != PROBE:
                raise NotReady("Storage gave back other bytes than were written.")
    finally:
        default_storage.delete(name)


def check_worker():
    """At least one worker answers a ping through the broker (the first answer ends the wait)."""
    answers = current_app.control.ping(timeout=settings.LUMEN_HEALTH_TIMEOUT, limit=1)
    if not answers:
        raise NotReady(f"No Celery worker answered within {settings.LUMEN_HEALTH_TIMEOUT:g} s.")


CHECKS = {"database": check_database, "redis": check_redis, "storage": check_storage, "worker": check_worker}
REASONS = {
    "database": "The database did not answer",
    "redis": "Redis did not answer",
    "storage": "Storage could not write, read and delete a small object",
    "worker": "No Celery worker could be asked",
}


def readiness():
    """``(ready, {check: {"ok", "ms", "reason"?}})``. The worker check is skipped when Redis failed: the ping
    goes through the broker, which would only wait out its retries."""
    results = {}
    for name, check in CHECKS.items():
        if name == "worker" and not results["redis"]["ok"]:
            results[name] = {"ok": False, "ms": 0.0, "reason": "Not asked: Redis, the broker, did not answer."}
            continue
        results[name] = _run(name, check)
    return all(result["ok"] for result in results.values()), results


def _run(name, check):
    started = time.perf_counter()
    try:
        check()
    except NotReady as exc:
        outcome = {"ok": False, "reason": str(exc)}
    except Exception as exc:  # noqa: BLE001 - any failure means not ready; the caller sees its kind, the log the rest
        logger.warning("health check %s failed", name, exc_info=True)
        outcome = {"ok": False, "reason": f"{REASONS[name]} ({_kind(exc)})."}
    else:
        outcome = {"ok": True}
    return {**outcome, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _kind(exc):
    """A short, secret-free description of an exception: "connection refused", "timed out", else its class name."""
    text = str(exc).lower()
    for words in ("connection refused", "timed out", "timeout", "permission denied", "no such file", "access denied"):
        if words in text:
            return "timed out" if words == "timeout" else words
    return type(exc).__name__
