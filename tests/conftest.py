"""Suite-wide fixtures: shared sample files, users, collections with role grants, real ingested assets, and a
real Celery worker process."""
import io
import itertools
import os
import socket
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from PIL import Image

from assets.models import Collection
from assets.services.ingest import ingest_file
from core.audit import SYSTEM, Actor
from governance.services.roles import grant_role
from support import REPO, SAMPLES, free_port, wait_for


@pytest.fixture(scope="session")
def samples():
    if not SAMPLES.is_dir():
        pytest.skip(f"shared sample images not found at {SAMPLES}")
    return SAMPLES


@pytest.fixture(autouse=True)
def unspent_request_budgets():
    """Request budgets and failed sign-ins live in the shared Redis cache, across tests too: each test starts
    with none spent (only the cache's keys go; the broker's queues in the same database stay)."""
    from django.core.cache import cache

    redis = cache._cache.get_client(write=True)
    stale = list(redis.scan_iter(f"{settings.CACHES['default']['KEY_PREFIX']}:*"))
    if stale:
        redis.delete(*stale)


@pytest.fixture
def private_broker(tmp_path, settings):
    """A Celery app on a Redis of this test's own, current for the test and named by ``CELERY_BROKER_URL``, routed
    as the project's: what is queued stays there to be read (the suite's worker consumes the shared Redis)."""
    from celery import Celery, current_app
    from stacks import RedisServer

    redis = RedisServer(tmp_path).start()
    previous = current_app._get_current_object()
    app = Celery("probe", broker=redis.url, set_as_current=True)
    app.conf.task_routes = settings.CELERY_TASK_ROUTES
    settings.CELERY_BROKER_URL = redis.url
    yield app
    previous.set_current()
    redis.stop()


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.com", "correct-horse-battery")


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "correct-horse-battery")


@pytest.fixture
def actor(user):
    return Actor(user=user, ip_address="127.0.0.1")


_colours = itertools.count(1)


def image_bytes(fmt="PNG", size=(40, 30)):
    """A small image whose bytes differ on every call, so ingest never returns a twin."""
    n = next(_colours)
    buffer = io.BytesIO()
    Image.new("RGB", size, ((n * 37) % 256, (n * 91) % 256, (n * 13) % 256)).save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture
def new_image():
    """``new_image("PNG")``: bytes of a small image no other test has uploaded."""
    return image_bytes


@pytest.fixture
def make_user(django_user_model):
    def make(name, **extra):
        return django_user_model.objects.create_user(name, f"{name}@example.com", "correct-horse-battery", **extra)
    return make


@pytest.fixture
def make_collection(db):
    def make(name, **grants):
        """``grants``: username or group name -> role, e.g. ``make_collection("News", bob="editor")``."""
        collection = Collection.objects.create(name=name, slug=name.lower().replace(" ", "-"))
        for who, role in grants.items():
            _grant(collection, who, role)
        return collection
    return make


@pytest.fixture
def grant(db):
    """``grant(collection, "bob", "viewer")``: through the service, so grants are audited like real ones."""
    return _grant


def _grant(collection, who, role):
    from django.contrib.auth.models import Group, User

    user = User.objects.filter(username=who).first()
    group = None if user else Group.objects.get(name=who)
    return grant_role(collection, role, actor=SYSTEM, user=user, group=group)


@pytest.fixture
def make_asset(db):
    def make(owner, *, collections=(), fmt="PNG", title=""):
        data = image_bytes(fmt)
        return ingest_file(io.BytesIO(data), filename=f"upload.{fmt.lower()}", actor=Actor(user=owner),
                           collections=collections, title=title).asset
    return make


@pytest.fixture
def login(client):
    def sign_in(user):
        client.force_login(user)
        return client
    return sign_in


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
    """A real worker process on the real broker, reading the test database (``.nodename``, ``.log_path`` and
    ``.metrics_port``, its worker-side metrics endpoint, set)."""
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
        LUMEN_WORKER_METRICS_PORT=str(free_port()),
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
        process.log_path = log_path
        process.metrics_port = int(env["LUMEN_WORKER_METRICS_PORT"])
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
