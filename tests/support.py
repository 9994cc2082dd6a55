"""Helpers shared by tests: where the shared sample data lives, and waiting on async work."""
import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

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


def free_port():
    """A port nothing listens on now: for a server a test starts, or to stand for a service that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def exiftool(data):
    """What exiftool (Debian's libimage-exiftool-perl, installed by scripts/bootstrap.sh --test) reads in ``data``:
    ``{"Group:Tag": value}``, groups as ``-G1`` names them (``XMP-dc``, ``IPTC``, ``IFD0``…)."""
    if shutil.which("exiftool") is None:
        pytest.skip("exiftool is not installed (scripts/bootstrap.sh --test installs it)")
    done = subprocess.run(["exiftool", "-json", "-G1", "-struct", "-"], input=data, capture_output=True, check=True)
    return json.loads(done.stdout)[0]
