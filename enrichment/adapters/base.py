"""Shared plumbing for the model adapters.

Every adapter is cheap to construct and loads its model on first use, once per
process, through a module-level cache keyed by the model path. Loading lazily
keeps Celery's prefork parent free of ONNX Runtime / torch state (children
would otherwise inherit thread pools across ``fork``), and caching per path
means constructing an adapter per task costs nothing.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import onnxruntime as ort

THREADS_ENV = "LUMEN_ONNX_THREADS"
# What every ONNX session runs on. A GPU provider first would make inference GPU time, priced per GPU-hour.
PROVIDERS = ("CPUExecutionProvider",)


@dataclass(frozen=True)
class ModelInfo:
    """What produced an enrichment result, stored next to it for provenance.

    ``file_sha256`` identifies the exact weights; it is ``None`` only when
    there is no file (randomly initialised weights, or weights fetched and
    cached by a third-party library). ``components`` lists ``(file name,
    sha256)`` for adapters built from several files; ``file_sha256`` is then
    a digest over those pairs.
    """

    name: str
    version: str
    file_sha256: str | None
    components: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Detection:
    """One detected region; ``box`` is ``(x, y, w, h)`` in pixels of the image passed in."""

    label: str
    score: float
    box: tuple[float, float, float, float]


@lru_cache(maxsize=None)
def file_sha256(path: Path) -> str:
    """SHA-256 of a file, hashed once per process (model files do not change under a worker)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def combined_sha256(components: tuple[tuple[str, str], ...]) -> str:
    """One digest standing for several model files (order-independent)."""
    text = "\n".join(f"{name} {sha}" for name, sha in sorted(components))
    return hashlib.sha256(text.encode()).hexdigest()


def env_threads(variable: str = THREADS_ENV, default: int = 2) -> int:
    """Thread count for one inference engine; workers x threads should not exceed the cores."""
    value = os.environ.get(variable, "").strip()
    return max(1, int(value)) if value else default


def session_options() -> ort.SessionOptions:
    """ONNX Runtime options shared by all adapters: bounded intra-op threads, one inter-op thread, and
    threads that sleep between runs.

    By default a session's threads spin for a while after each run. A worker runs several models in
    turn with database writes between them, so the spinning threads of the last model took the
    cores from the next model, Python and Postgres: turning it off made the pipeline ~25% faster on
    2 cores, and each model alone faster too (docs/benchmarks.md, "Enrichment").
    """
    options = ort.SessionOptions()
    options.intra_op_num_threads = env_threads()
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # The int8 classifier's sums saturate in 16 bits on x86 CPUs without VNNI (AVX2 only): labels then differ
    # by machine (top class changed on 5 of 12 sample images here, and search quality fell: R@10 0.85 -> 0.81).
    # This makes ONNX Runtime widen them, so every CPU gives the exact result.
    options.add_session_config_entry("session.x64quantprecision", "1")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return options


def onnx_session(model: Path | bytes) -> ort.InferenceSession:
    """A CPU inference session for a model file or serialized (possibly edited) model bytes."""
    source = str(model) if isinstance(model, Path) else model
    return ort.InferenceSession(source, sess_options=session_options(), providers=list(PROVIDERS))


def runs_on_gpu() -> bool:
    """Whether the models' time is GPU time (cost per inference counts it at the GPU-hour price)."""
    return PROVIDERS[0] != "CPUExecutionProvider"


def read_lines(path: Path) -> tuple[str, ...]:
    """Label file: one label per line, line i is class i."""
    return tuple(line.strip() for line in path.read_text().splitlines() if line.strip())


def require_file(path: Path) -> Path:
    """Fail with a message naming the missing model file, instead of an engine error."""
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {path} (set LUMEN_MODEL_DIR to a folder holding it)")
    return path


def batched(items: list, size: int):
    """Consecutive slices of at most ``size`` items (bounds memory for long lists)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
