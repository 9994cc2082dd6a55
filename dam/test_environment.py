"""pytest plugin (``-p dam.test_environment`` in pytest.ini): the suite's own services, apart from a developer's data.

It runs before pytest-django reads the settings, which only read the environment: tests get their own
embedded Postgres directory (``var/test``), Redis database 15 and media folder, so running the suite
never touches what ``make run`` serves. ``DATABASE_URL`` / ``REDIS_URL`` / ``LUMEN_VAR_DIR`` set by
the caller win.
"""
import os
import shutil
from pathlib import Path

import pytest

from dam.embedded import REPO, prepare_environment


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    os.environ.setdefault("LUMEN_VAR_DIR", str(REPO / "var" / "test"))
    os.environ.setdefault("LUMEN_REDIS_DB", "15")
    var_dir = prepare_environment()
    # The suite and its Celery worker add up their metrics in a directory of their own, emptied per run.
    metrics_dir = Path(os.environ.setdefault("LUMEN_METRICS_DIR", str(var_dir / "metrics")))
    shutil.rmtree(metrics_dir, ignore_errors=True)
