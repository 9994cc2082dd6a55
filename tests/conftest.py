"""Suite-wide fixtures: shared sample files, users, and a real Celery worker process."""
import io
import os
import socket
import subprocess
import sys
import uuid

import pytest
from django.conf import settings

from support import REPO, SAMPLES, wait_for


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


@pytest.fixture
def concepts(db):
    """Transactional tests truncate every table, the migration-loaded concepts and their search labels too;
    put both back the way an operator would."""
    from django.core.management import call_command

    from ontology.models import Concept

    if not Concept.objects.exists():
        call_command("load_ontology", stdout=io.StringIO())


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real worker process on the real broker, reading the test database (``.nodename`` set)."""
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
        process.nodename = name.replace("%h", socket.gethostname())
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def worker_idle(nodename):
    """Nothing queued for the worker and nothing running or prefetched in it (retries waiting for
    their countdown do not count: they touch the database only when they run)."""
    from dam.celery import app

    with app.connection_or_acquire() as conn:
        if any(conn.default_channel.queue_declare(queue=queue).message_count
               for queue in ("default", "renditions", "enrichment")):
            return False
    inspect = app.control.inspect(destination=[nodename], timeout=2)
    active, reserved = inspect.active(), inspect.reserved()
    return bool(active) and not active.get(nodename) and not (reserved or {}).get(nodename)


@pytest.fixture
def celery_worker(celery_worker_process, transactional_db):
    """The session's worker, for one transactional test. Afterwards, wait until it is idle: the flush
    that ends the test (TRUNCATE) deadlocks with a task still writing that test's rows."""
    yield celery_worker_process
    wait_for(lambda: worker_idle(celery_worker_process.nodename), timeout=180,
             message="the worker to finish this test's tasks")
