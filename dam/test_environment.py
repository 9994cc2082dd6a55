"""pytest plugin (``-p dam.test_environment`` in pytest.ini): the suite's own services, apart from a developer's data.

It runs before pytest-django reads the settings, which only read the environment: tests get their own
embedded Postgres directory (``var/test``), a Redis database and media folder, so running the suite
never touches what ``make run`` serves. ``DATABASE_URL`` / ``REDIS_URL`` / ``LUMEN_VAR_DIR`` /
``LUMEN_REDIS_DB`` set by the caller win.
"""
import fcntl
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from dam.embedded import REPO, prepare_environment


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    os.environ.setdefault("LUMEN_VAR_DIR", str(REPO / "var" / "test"))
    if "REDIS_URL" not in os.environ and "LUMEN_REDIS_DB" not in os.environ:
        os.environ["LUMEN_REDIS_DB"] = str(_unshared_redis_db())
    var_dir = prepare_environment()
    # The suite and its Celery worker add up their metrics in a directory of their own, emptied per run.
    metrics_dir = Path(os.environ.setdefault("LUMEN_METRICS_DIR", str(var_dir / "metrics")))
    shutil.rmtree(metrics_dir, ignore_errors=True)


# Databases 15, 13, 12, ... 8 of the machine's Redis (0 is ``make run``'s, 14 bench/ingest.py's).
SUITE_REDIS_DBS = (15, *range(13, 7, -1))
_held_locks = []


def _unshared_redis_db():
    """The first of ``SUITE_REDIS_DBS`` no other test session on this machine holds, held until this one ends.

    Two sessions at once (two checkouts, a CI run beside a developer's) otherwise share one database: each
    test empties the cache's keys and the broker's queues, so one session's tests erased what the other's
    were counting on (a request budget spent, a task queued)."""
    for db in SUITE_REDIS_DBS:
        lock = open(Path(tempfile.gettempdir()) / f"lumen-test-redis-{db}.lock", "w")  # noqa: SIM115 -- held open
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        _held_locks.append(lock)  # released by the kernel when this process ends
        return db
    raise pytest.UsageError(f"every Redis database the suite may use ({SUITE_REDIS_DBS}) is held by another "
                            "test session on this machine; set LUMEN_REDIS_DB or REDIS_URL")
