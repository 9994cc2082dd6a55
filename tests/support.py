"""Helpers shared by tests: where the shared sample data lives, and waiting on async work."""
import os
import time
from pathlib import Path

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
