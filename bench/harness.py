"""What the benchmark scripts share: an environment of their own, empty queues between stages, and
their own section of docs/benchmarks.md."""
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUEUES = ("default", "renditions", "enrichment")
INHERITED = ("DATABASE_URL", "REDIS_URL", "S3_BUCKET", "MEDIA_ROOT", "STATIC_ROOT", "CELERY_TASK_ALWAYS_EAGER",
             "LUMEN_CLIP_ENABLED")


def isolate_environment(var_dir, **environment):
    """Point every setting at ``var_dir`` (plus ``environment``, e.g. the broker) before Django starts:
    no inherited database, broker or bucket. Then migrate the fresh database."""
    for name in INHERITED:
        os.environ.pop(name, None)
    os.environ.update(LUMEN_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="dam.settings", **environment)
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def purge_queues():
    """Ingest queues a processing task per upload; drop them between stages."""
    from dam.celery import app

    with app.connection_for_write() as connection:
        for queue in QUEUES:
            connection.default_channel.queue_purge(queue)


def write_section(heading, text):
    """Replace the section under ``heading`` in docs/benchmarks.md (or add it), keeping every other section."""
    path = REPO / "docs" / "benchmarks.md"
    content = path.read_text() if path.exists() else "# Benchmarks\n"
    if heading in content:
        start = content.index(heading)
        following = content.find("\n## ", start + len(heading))
        content = content[:start] + text.rstrip("\n") + ("\n\n" + content[following + 1:] if following >= 0 else "\n")
    else:
        content = content.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n"
    path.write_text(content)


def start_worker(var_dir, queue, concurrency):
    """A Celery worker on ``queue`` reading this environment's database and broker (as tests/conftest.py
    starts one), answering before this returns; its log is ``worker.log_path``, at the level in
    ``BENCH_WORKER_LOGLEVEL`` (WARNING; INFO logs each task's run time)."""
    from django.conf import settings

    from dam.celery import app

    env = dict(os.environ, DATABASE_URL=settings.DATABASE_URL, REDIS_URL=settings.REDIS_URL)
    log_path = Path(var_dir) / "worker.log"
    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "dam", "worker", "-n", f"bench-{uuid.uuid4().hex[:8]}@%h",
             "-c", str(concurrency), "-Q", queue, "--loglevel", os.environ.get("BENCH_WORKER_LOGLEVEL", "WARNING"),
             "--without-gossip", "--without-mingle"],
            env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
        )
    worker.log_path = log_path
    deadline = time.monotonic() + 120
    while not app.control.ping(timeout=0.5):
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.terminate()
            raise RuntimeError(f"the Celery worker did not start:\n{log_path.read_text()[-3000:]}")
    return worker
