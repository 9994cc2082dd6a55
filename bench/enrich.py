"""Enrichment throughput: each model alone, each capability through the worker, and the whole pipeline.

Model-only numbers call the adapters directly on pre-decoded working images, one image per
call (what a worker task does); the worker numbers include everything a task does around
the model (message, decode of the working rendition, storing results, job rows), so the
gap is the overhead. The pipeline target is 0.8 x the sum-of-models rate 1 / sum(1 / rate).
Runs on its own embedded Postgres, Redis database and media folder in a temporary directory
and writes the "## Enrichment" section of docs/benchmarks.md (other sections are left alone).

    python bench/enrich.py [--rounds 3] [--no-docs]
"""
import argparse
import atexit
import datetime
import os
import platform
import shutil
import tempfile
import time
import uuid
from importlib.metadata import version as package_version
from pathlib import Path

import harness
from harness import REPO, isolate_environment, private_redis, purge_queues, start_worker, write_section

SHARED = Path(os.environ.get("LUMEN_SHARED_DIR", REPO.parent / "shared"))
CAMERA_FOLDERS = ("jpg", "jpg/orientation")
SKIMAGE = ("astronaut", "chelsea", "coffee", "page", "text", "rocket", "immunohistochemistry", "camera")
WAIT_LIMIT = 900  # seconds; a stuck run fails instead of hanging
HEADING = "## Enrichment"
TARGET = 0.8


def sources():
    """(file name, bytes) of the camera JPEGs and the skimage photos (text page, faces, objects)."""
    import io

    from PIL import Image
    from skimage import data

    files = [(path.name, path.read_bytes()) for folder in CAMERA_FOLDERS
             for path in sorted((SHARED / "data" / "exif-samples" / folder).glob("*.jpg"))]
    for name in SKIMAGE:
        buffer = io.BytesIO()
        Image.fromarray(getattr(data, name)()).convert("RGB").save(buffer, "JPEG", quality=92)
        files.append((f"{name}.jpg", buffer.getvalue()))
    return files


def prepare_library(actor):
    """Ingest everything and make the renditions in-process; enrichment is what gets timed."""
    import io

    from assets.models import Asset
    from assets.renditions import ensure_default_renditions
    from assets.services.ingest import ingest_file
    from core.refusals import Refused

    versions = []
    for name, data in sources():
        try:
            result = ingest_file(io.BytesIO(data), filename=name, actor=actor)
        except Refused:
            continue
        if result.created:
            ensure_default_renditions(result.version)
            versions.append(result.version)
    Asset.objects.update(status=Asset.Status.READY)
    purge_queues()
    return versions


def model_calls():
    """Per capability: the adapter call the task makes, on a list of pre-decoded images."""
    from enrichment.services.capabilities import (
        classifier,
        face_detector,
        moderation_classifier,
        object_detector,
        text_recognizer,
    )

    return {
        "moderation": lambda images: moderation_classifier().score(images),
        "classify": lambda images: classifier().classify_and_embed(images),
        "detect": lambda images: object_detector().detect(images),
        "faces": lambda images: face_detector().detect(images),
        "ocr": lambda images: text_recognizer().read_batch(images),
    }


def rate(count, seconds):
    return count / seconds if seconds else float("inf")


def tree_cpu(roots):
    """CPU seconds used so far by the processes ``roots`` and all their descendants (from /proc)."""
    parents, usage = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        usage[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in usage:
        ancestor = pid
        while ancestor and ancestor not in roots:
            ancestor = parents.get(ancestor, 0)
        if ancestor:
            total += usage[pid]
    return total


class Measure:
    """Wall seconds and CPU seconds of this process, or of given process trees, over a ``with`` block."""

    def __init__(self, roots=None):
        self.roots = roots

    def cpu(self):
        return time.process_time() if self.roots is None else tree_cpu(self.roots)

    def __enter__(self):
        self.wall, self.cpu_seconds = time.perf_counter(), self.cpu()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu_seconds = time.perf_counter() - self.wall, self.cpu() - self.cpu_seconds


def model_only(images):
    """Per adapter alone, one image per call, after a warm-up call: (images/s, CPU s per image)."""
    results = {}
    for capability, call in model_calls().items():
        call(images[:1])
        with Measure() as measure:
            for image in images:
                call([image])
        results[capability] = (rate(len(images), measure.wall), measure.cpu_seconds / len(images))
        print(f"model only {capability}: {results[capability]}", flush=True)
    return results


def decode_rate(versions):
    from enrichment.services.working_image import load_working_image

    started = time.perf_counter()
    images = [load_working_image(version).image for version in versions]
    return images, rate(len(versions), time.perf_counter() - started)


def wait_until_finished(versions, capabilities, since):
    """Every job of ``capabilities`` for ``versions`` ended (done/skipped/failed) after ``since``."""
    from enrichment.models import EnrichmentJob

    jobs = EnrichmentJob.objects.filter(version__in=versions, capability__in=capabilities)
    expected = len(versions) * len(capabilities)
    unfinished = (EnrichmentJob.Status.PENDING, EnrichmentJob.Status.RUNNING)
    deadline = time.monotonic() + WAIT_LIMIT
    while jobs.filter(updated_at__gt=since).exclude(status__in=unfinished).count() < expected:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{capabilities} did not finish for {len(versions)} versions in {WAIT_LIMIT} s")
        time.sleep(0.2)


def postmaster_pid():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])


def through_worker(versions, capabilities, worker):
    """Per capability's task alone, then the whole pipeline (``enrich_version``): (images/s, CPU s per
    image of the worker and Postgres together).
    """
    from django.utils import timezone

    from enrichment.services.capabilities import PIPELINE
    from enrichment.tasks import CAPABILITY_TASKS, enrich_version

    since = timezone.now()
    enrich_version.delay(versions[0].pk)  # warm-up: the worker loads every model once
    wait_until_finished(versions[:1], capabilities, since)
    roots = {worker.pid, postmaster_pid()}
    results = {}
    for capability in capabilities:
        since = timezone.now()
        with Measure(roots) as measure:
            for version in versions:
                CAPABILITY_TASKS[capability].delay(version.pk)
            wait_until_finished(versions, [capability], since)
        results[capability] = (rate(len(versions), measure.wall), measure.cpu_seconds / len(versions))
        print(f"worker {capability}: {results[capability]}", flush=True)
    since = timezone.now()
    with Measure(roots) as measure:
        for version in versions:
            enrich_version.delay(version.pk)
        wait_until_finished(versions, PIPELINE, since)
    pipeline = (rate(len(versions), measure.wall), measure.cpu_seconds / len(versions))
    print(f"worker pipeline: {pipeline}", flush=True)
    return results, pipeline


def best_of_rounds(rounds, images, versions, worker):
    """Model-only, then through the worker, ``rounds`` times in turn; each figure is its best round.

    This machine's speed drifts by a third between minutes (other virtual machines share the host),
    so one pass of each would compare a fast minute with a slow one; alternating rounds and keeping
    each method's best compares them at the same speed.
    """
    best = {}

    def keep(key, measured):
        if key not in best or measured[0] > best[key][0]:
            best[key] = measured

    for number in range(1, rounds + 1):
        print(f"round {number} of {rounds}", flush=True)
        alone = model_only(images)
        tasks, pipeline = through_worker(versions, list(alone), worker)
        for capability in alone:
            keep(("model", capability), alone[capability])
            keep(("task", capability), tasks[capability])
        keep("pipeline", pipeline)
    capabilities = [key[1] for key in best if key[0] == "model"]
    return ({c: best["model", c] for c in capabilities}, {c: best["task", c] for c in capabilities}, best["pipeline"])


def combined(results):
    """Running every model on each image one after another: rate 1 / sum(1 / rate), CPU s summed."""
    return 1 / sum(1 / rate for rate, _ in results.values()), sum(cpu for _, cpu in results.values())


def machine_text():
    info = harness.machine(software=", ".join(f"{name} {package_version(name)}" for name in (
        "onnxruntime", "rapidocr", "nudenet", "opencv-python-headless", "celery")))
    return (f"{info['cpus']} CPUs ({info['cpu']}), {info['ram']} RAM; Python {platform.python_version()}, "
            f"{info['software']}; load average {info['load average']}")


def report(versions, decode, alone, tasks, pipeline, rounds, jobs_summary):
    megapixels = sum(v.width * v.height for v in versions) / len(versions) / 1e6
    rows = [
        "| capability | model only: images/s | worker task: images/s | ratio | model only: CPU ms/image | "
        "worker task + Postgres: CPU ms/image | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]

    def row(name, model, task):
        return (f"| {name} | {model[0]:.2f} | {task[0]:.2f} | {task[0] / model[0]:.2f} | {1000 * model[1]:.0f} | "
                f"{1000 * task[1]:.0f} | {model[1] / task[1]:.2f} |")

    rows += [row(c, alone[c], tasks[c]) for c in alone]
    models = combined(alone)
    rows.append(row("all, one after another: rate 1/Σ(1/rate), CPU Σ", models, combined(tasks)))
    rows.append(row("**whole pipeline** (`enrich_version`: one task per image, moderation first)", models, pipeline))
    wall_ratio, cpu_ratio = pipeline[0] / models[0], models[1] / pipeline[1]
    verdict = "meets" if wall_ratio >= TARGET else "misses"
    return "\n".join([
        HEADING,
        "",
        f"Run {datetime.datetime.now():%Y-%m-%d %H:%M} by `bench/enrich.py`. Machine: {machine_text()}. The machine is "
        "shared with other engineers' test runs, so wall-clock rates move between runs; CPU time per image "
        "(this process for model-only; the worker's process tree plus the Postgres server for tasks) is steadier.",
        "",
        f"Input: {len(versions)} images (the camera JPEGs of `shared/data/exif-samples/jpg` and its orientation "
        f"set, and {len(SKIMAGE)} skimage photos incl. a text page and a face), {megapixels:.1f} megapixels on "
        f"average. Models read the largest JPEG rendition (≤ 1280 px wide); decoding it runs at {decode:.0f} "
        "images/s. One worker process (`-c 1`, ONNX Runtime 2 threads per session), one image per task; "
        "model-only rates call the same adapters in one process on pre-decoded images, one image per call "
        f"(the batch size of a task). Each figure is the best of {rounds} rounds, model-only and worker "
        "passes alternating, so both are compared at the machine's same speed. CLIP is off (no weights offline), so it is skipped and not counted. "
        f"Job states at the end: {jobs_summary}.",
        "",
        *rows,
        "",
        f"Whole pipeline: {wall_ratio:.2f}× the sum-of-models rate in wall time, which {verdict} the {TARGET}× "
        f"target; in CPU time the models are {cpu_ratio:.2f} of what the pipeline spends. The pipeline is one "
        "task per image: one message, one fetch of the version and its renditions, one decode of the working "
        "image, then per capability its model call and two short transactions (job row to running; results "
        "and job row to done). A capability task alone (the rows above: what re-processing one model or a "
        "retry runs) pays all of that for one model, so the fixed cost weighs most on the fast models "
        "(classifier, faces) and OCR dominates the model time. Two settings matter (measured 2026-11-29, one "
        "run each): ONNX Runtime threads sleep between runs — spinning threads of one model took the cores "
        "from the next model, Python and Postgres (pipeline 0.69× → 0.77× with spinning off) — and the worker "
        "keeps its database connection between tasks, where Celery's Django fixup opened a new one for every "
        "task (0.77× → 0.85×).",
        "",
    ])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--rounds", type=int, default=3, help="alternating model-only and worker passes; best kept")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="lumen-bench-enrich-"))
    atexit.register(shutil.rmtree, var_dir, True)  # registered first, so it runs after the database stops
    isolate_environment(var_dir, REDIS_URL=private_redis(var_dir))

    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from core.audit import Actor
    from enrichment.models import EnrichmentJob

    actor = Actor(get_user_model().objects.create_user("bench", password=uuid.uuid4().hex), "127.0.0.1")
    versions = prepare_library(actor)
    print(f"{len(versions)} versions with renditions", flush=True)
    images, decode = decode_rate(versions)

    worker = start_worker(var_dir, "enrichment", 1)  # like production: -c 1 per 2 cores
    try:
        alone, tasks, pipeline = best_of_rounds(args.rounds, images, versions, worker)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    states = EnrichmentJob.objects.values("status").annotate(n=Count("id")).order_by("status")
    summary = ", ".join(f"{s['n']} {s['status']}" for s in states)
    text = report(versions, decode, alone, tasks, pipeline, args.rounds, summary)
    print(text)
    if not args.no_docs:
        write_section(HEADING, text)


if __name__ == "__main__":
    main()
