"""The whole pipeline, before and after, in one run: upload -> renditions -> every model -> searchable.

"Before" is a temporary git worktree of ``main`` at this branch's fork point, "after" is this tree; each runs the
same measurement in a fresh environment of its own (embedded Postgres, private Redis, media folder) with the
workers as that tree's ``runstack`` starts them (``--layout``: one pool ``-Q default,renditions,enrichment -c 2``
before issue #15, a renditions pool ``-c 1`` and an enrichment pool ``-c 2`` after, the latter at the niceness
that tree's ``runstack`` gives it). Inputs are distinct variants (crop,
mirror, brightness) of the shared camera JPEGs and scikit-image's photos at everyday size (~500x375). Prints
images/s end to end, CPU ms per image of each model (from the job rows), peak worker-child RSS; writes the
"## Pipeline" section of docs/benchmarks.md and the pipeline keys of bench/results/scale.json.

    python bench/pipeline.py [--images 1000] [--before REV] [--no-docs]
"""
import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import harness
from harness import REPO, isolate_environment, private_redis, runstack_niceness, start_worker, write_section

SHARED = Path(os.environ.get("LUMEN_SHARED_DIR", REPO.parent / "shared"))  # the same files for both trees
HEADING = "## Pipeline"
SKIMAGE = ("astronaut", "chelsea", "coffee", "page", "text", "rocket", "immunohistochemistry", "camera", "cat")
EVERYDAY_SIZE = (500, 375)
WAIT_LIMIT = 7200  # seconds
# main before issue #15's pipeline work (one worker pool, every rendition eager, OCR on every image).
DEFAULT_BEFORE = "eec81e7"
# Worker pools per layout, (queues, concurrency) as that code's runstack starts them.
LAYOUTS = {"single": [("default,renditions,enrichment", 2)], "pools": [("default,renditions", 1), ("enrichment", 2)]}


def photos(count):
    """``count`` distinct everyday-size JPEGs: the sources cropped, mirrored and brightened differently each time
    (a variant that comes out byte-identical to an earlier one is dropped: ingest would answer it with that one)."""
    import random

    from PIL import Image, ImageEnhance, ImageOps
    from skimage import data

    from enrichment.adapters import to_rgb

    sources = []
    for path in sorted((SHARED / "data" / "exif-samples" / "jpg").glob("*.jpg")):
        try:
            with Image.open(path) as image:
                image.draft("RGB", (1000, 1000))
                sources.append(to_rgb(image))
        except OSError:
            continue
    sources += [Image.fromarray(getattr(data, name)()).convert("RGB") for name in SKIMAGE]
    rng = random.Random(15)
    made, index = set(), 0
    while len(made) < count:
        image = sources[index % len(sources)]
        left, top = rng.uniform(0, 0.15) * image.width, rng.uniform(0, 0.15) * image.height
        variant = image.crop((int(left), int(top), image.width - int(left / 2), image.height - int(top / 2)))
        variant = ImageEnhance.Brightness(variant).enhance(rng.uniform(0.85, 1.15))
        if rng.random() < 0.5:
            variant = ImageOps.mirror(variant)
        variant.thumbnail(EVERYDAY_SIZE)
        buffer = io.BytesIO()
        variant.save(buffer, "JPEG", quality=88)
        index += 1
        if buffer.getvalue() not in made:
            made.add(buffer.getvalue())
            yield f"photo-{len(made) - 1:05d}.jpg", buffer.getvalue()


class PeakChildRss:
    """Highest resident memory of any worker child (the kernel's high-water mark, sampled each quarter second)."""

    def __init__(self, worker_pid):
        self.worker_pid, self.peak_mb = worker_pid, 0.0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def sample(self):
        children = Path(f"/proc/{self.worker_pid}/task/{self.worker_pid}/children")
        while not self.stopped.wait(0.25):
            for child in children.read_text().split():
                try:
                    status = Path(f"/proc/{child}/status").read_text()
                except OSError:
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM"):
                        self.peak_mb = max(self.peak_mb, int(line.split()[1]) / 1024)

    def stop(self):
        self.stopped.set()
        self.thread.join()
        return self.peak_mb


def searchable_count(version_ids):
    """Versions whose every enrichment job has ended (jobs are queued once the renditions are made)."""
    from django.db.models import Count, Q

    from enrichment.models import EnrichmentJob
    from enrichment.services.capabilities import PIPELINE

    unfinished = (EnrichmentJob.Status.PENDING, EnrichmentJob.Status.RUNNING)
    return (EnrichmentJob.objects.filter(version_id__in=version_ids, capability__in=PIPELINE)
            .values("version_id").annotate(ended=Count("id", filter=~Q(status__in=unfinished)))
            .filter(ended=len(PIPELINE)).count())


def measure(count, layout):
    """This tree's pipeline on ``count`` photos: one JSON line of figures."""
    var_dir = Path(tempfile.mkdtemp(prefix="lumen-bench-pipeline-"))
    try:
        isolate_environment(var_dir, REDIS_URL=private_redis(var_dir), LUMEN_ENCRYPT_AT_REST="false")
        from django.contrib.auth import get_user_model
        from django.db.models import Avg, Count

        from assets.services.ingest import ingest_file
        from enrichment.models import EnrichmentJob

        try:
            from core.audit import Actor
        except ImportError:  # a tree from before #14 kept it in assets
            from assets.services.audit import Actor

        actor = Actor(get_user_model().objects.create_user("bench", password="bench-bench-bench"), "127.0.0.1")
        files = list(photos(count))
        workers = [start_worker(var_dir, queues, concurrency, runstack_niceness(queues))
                   for queues, concurrency in LAYOUTS[layout]]
        memory = [PeakChildRss(worker.pid) for worker in workers]
        try:
            started = time.perf_counter()
            version_ids = [ingest_file(io.BytesIO(data), filename=name, actor=actor).version.pk for name, data in files]
            uploaded = time.perf_counter() - started
            while searchable_count(version_ids) < len(version_ids):
                if time.perf_counter() - started > WAIT_LIMIT:
                    raise RuntimeError(f"not every image was searchable after {WAIT_LIMIT} s")
                time.sleep(1)
            seconds = time.perf_counter() - started
        finally:
            peak = max(sampler.stop() for sampler in memory)
            for worker in workers:
                worker.terminate()
                worker.wait(60)
        per_model = {}
        if any(field.name == "cpu_ms" for field in EnrichmentJob._meta.fields):  # not recorded before #15
            per_model = {row["capability"]: {"cpu_ms": round(row["cpu"] or 0, 1), "ran": row["ran"]} for row in
                         EnrichmentJob.objects.filter(version_id__in=version_ids, cpu_ms__isnull=False)
                         .values("capability").annotate(cpu=Avg("cpu_ms"), ran=Count("id"))}
        statuses = dict(EnrichmentJob.objects.filter(version_id__in=version_ids).values_list("status")
                        .annotate(n=Count("id")))
        print(json.dumps({"images": len(version_ids), "seconds": seconds, "upload_seconds": uploaded,
                          "images_per_s": len(version_ids) / seconds, "peak_worker_rss_mb": round(peak),
                          "per_model": per_model, "jobs": statuses}), flush=True)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def run_in(tree, count, layout):
    """Run :func:`measure` in ``tree`` (this script copied there) and return its figures."""
    script = tree / "bench" / "pipeline.py"
    if tree != REPO:
        for name in ("pipeline.py", "harness.py"):
            shutil.copy(Path(__file__).parent / name, tree / "bench" / name)
    env = dict(os.environ, LUMEN_SHARED_DIR=str(SHARED), LUMEN_MODEL_DIR=str(SHARED / "models"))
    done = subprocess.run([sys.executable, str(script), "--measure", "--images", str(count), "--layout", layout], cwd=tree, env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"the run in {tree} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def before_tree(rev):
    """A temporary worktree of ``rev`` (removed at exit)."""
    commit = subprocess.check_output(["git", "rev-parse", rev], cwd=REPO, text=True).strip()
    tree = Path(tempfile.mkdtemp(prefix="lumen-before-")) / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), commit], cwd=REPO, check=True,
                   capture_output=True)
    return commit, tree


def report(count, commit, before, after):
    capabilities = sorted(set(before["per_model"]) | set(after["per_model"]))

    def cpu(figures, capability):
        model = figures["per_model"].get(capability)
        return f"{model['cpu_ms']:.0f}" if model else "–"

    rows = ["| | before (" + commit[:9] + ") | after (this tree) |", "|---|---:|---:|",
            f"| images/s, upload to searchable | {before['images_per_s']:.3f} | {after['images_per_s']:.3f} |",
            f"| seconds for {count} images | {before['seconds']:.0f} | {after['seconds']:.0f} |",
            f"| peak worker-child RSS, MB | {before['peak_worker_rss_mb']} | {after['peak_worker_rss_mb']} |",
            *[f"| {c}: CPU ms/image (model call) | {cpu(before, c)} | {cpu(after, c)} |" for c in capabilities]]
    info = harness.machine()
    return "\n".join([
        HEADING, "",
        f"Run {info['date']} by `bench/pipeline.py --images {count}`. Machine: {info['cpus']} CPUs ({info['cpu']}), "
        f"{info['ram']} RAM, load average at the end {info['load average']} (shared with other engineers' runs; "
        "before and after ran one after the other in this run).", "",
        f"{count} distinct everyday photos (~500x375 JPEG variants of the shared camera JPEGs and scikit-image's "
        "photos) uploaded through `ingest_file`, the workers as each tree's `runstack` starts them (before: one pool "
        "`-Q default,renditions,enrichment -c 2`; after: renditions `-c 1` and enrichment `-c 2`, the latter at its runstack niceness); the clock runs from the first upload until every asset is ready and every enrichment job has "
        "ended. CPU ms/image is the job rows' `cpu_ms` (the model call, ONNX threads included).", "",
        *rows, "",
        f"Speed-up: {after['images_per_s'] / before['images_per_s']:.2f}×. Job states before: {before['jobs']}; "
        f"after: {after['jobs']}.", "",
    ])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--before", default=DEFAULT_BEFORE, help="the code to compare with")
    parser.add_argument("--layout", choices=LAYOUTS, default="pools", help=argparse.SUPPRESS)  # measure's workers
    parser.add_argument("--before-layout", choices=LAYOUTS, default="single",
                        help="the worker pools of the code compared with: pools for a tree after issue #15's split")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs and results alone")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # one tree, called by main
    args = parser.parse_args()
    if args.measure:
        measure(args.images, args.layout)
        return
    commit, tree = before_tree(args.before)
    try:
        before = run_in(tree, args.images, args.before_layout)
        print("before", before, flush=True)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPO, check=False)
        shutil.rmtree(tree.parent, ignore_errors=True)
    after = run_in(REPO, args.images, "pools")
    print("after", after, flush=True)
    text = report(args.images, commit, before, after)
    print(text)
    if not args.no_docs:
        write_section(HEADING, text)
        harness.record_scale_figures(pipeline_images_per_s=round(after["images_per_s"], 3),
                                     pipeline_images_per_s_before=round(before["images_per_s"], 3),
                                     peak_worker_rss_mb=after["peak_worker_rss_mb"])


if __name__ == "__main__":
    main()
