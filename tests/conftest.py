"""Suite-wide fixtures: shared sample files, users, and a real Celery worker process."""
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LUMEN_SHARED_DIR", REPO.parent / "shared"))
SAMPLES = SHARED / "data" / "exif-samples"
MODELS = SHARED / "models"


def wait_for(predicate, timeout=60, interval=0.2, message="condition"):
    """Poll until ``predicate()`` is truthy; the worker runs asynchronously, so tests wait, not sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


@pytest.fixture(scope="session")
def samples():
    if not SAMPLES.is_dir():
        pytest.skip(f"shared sample images not found at {SAMPLES}")
    return SAMPLES


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.com", "correct-horse-battery")


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "correct-horse-battery")


@pytest.fixture
def actor(user):
    from assets.services.audit import Actor

    return Actor(user=user, ip_address="127.0.0.1")


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real worker process on the real broker, reading the test database."""
    from django.db import connection

    from dam.celery import app

    name = f"test-{uuid.uuid4().hex[:8]}@%h"
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="dam.test_settings",
        LUMEN_TEST_DB_NAME=connection.settings_dict["NAME"],
        DATABASE_URL=settings.DATABASE_URL,
        REDIS_URL=settings.REDIS_URL,
    )
    app.control.purge()
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "dam", "worker", "-n", name, "-c", "1", "--loglevel", "INFO",
             "-Q", "default,renditions,enrichment", "--without-gossip", "--without-mingle"],
            env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: process.poll() is not None or app.control.ping(timeout=0.5), timeout=90,
                 message="the Celery worker to answer")
        if process.poll() is not None:
            raise RuntimeError(f"Celery worker died at start:\n{log_path.read_text()[-4000:]}")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
