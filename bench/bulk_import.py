"""A bulk import in the queue and another person's uploads: does a new upload still get its thumbnail quickly?

One person's import of N distinct photos (variants of the shared camera JPEGs and scikit-image's photos, as
bench/pipeline.py makes them) is uploaded through the REST API and waits in the queue; then the worker pools
``runstack`` starts (renditions ``-Q default,renditions -c 1``, enrichment ``-Q enrichment -c 2``) begin, and
another person uploads one photo every few seconds until the import's thumbnails are all made. Run twice in one
go, each side in an environment of its own (embedded Postgres, private Redis): strictly first come, first served
(``LUMEN_QUEUE_FAIR_TURNS=false``, the code before fair turns) and with fair turns (the default).

Prints, per side, the other person's p50/p95/max time to thumbnail, time to every thumbnail and to every image
searchable (every enrichment job ended), peak worker-child RSS and images/s; writes the "## Bulk import" section
of docs/benchmarks.md and ``thumbnail_p95_s_during_import`` (with the import size) to bench/results/scale.json.

    python bench/bulk_import.py [--images 10000] [--singles-every 5] [--until thumbnails] [--no-docs]
"""
import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import harness
from harness import REPO, isolate_environment, private_redis, runstack_niceness, start_worker, write_section
from pipeline import PeakChildRss, photos, searchable_count

HEADING = "## Bulk import"
WAIT_LIMIT = 6 * 3600  # seconds


def api_client(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def upload(client, name, data):
    """One upload through the API, as an integrator's script sends it: the version's id, and whether it is new
    (a variant can come out byte-identical to an earlier one; the API then answers 200 with that asset)."""
    from assets.models import Asset

    file = io.BytesIO(data)
    file.name = name
    response = client.post("/api/assets/", {"file": file}, format="multipart")
    if response.status_code not in (200, 201):
        raise RuntimeError(f"upload refused: {response.status_code} {response.content[:300]!r}")
    return Asset.objects.get(uid=response.json()["uid"]).current_version_id, response.status_code == 201


def thumbnails_ready(version_ids):
    from assets.models import Asset

    return Asset.objects.filter(current_version_id__in=version_ids, status=Asset.Status.READY).count()


class SingleUploads:
    """Another person's uploads, one ``every`` seconds after the previous one's thumbnail while the import is
    queued: for each, the seconds from the upload's answer to its thumbnail (the asset ready)."""

    def __init__(self, user, files, every):
        self.client, self.files, self.every = api_client(user), iter(files), every
        self.waits, self.stopped = [], threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        from django.db import connection

        try:
            while not self.stopped.wait(self.every):
                name, data = next(self.files)
                version_id, new = upload(self.client, name, data)
                if not new:
                    continue  # already made: no wait to measure
                answered = time.perf_counter()
                while not thumbnails_ready([version_id]):  # an upload made is measured, even after stop()
                    time.sleep(0.05)
                self.waits.append(time.perf_counter() - answered)
        finally:
            connection.close()

    def stop(self):
        self.stopped.set()
        self.thread.join()
        return self.waits


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else float("nan")


def measure(count, every, fair, until):
    """One side: the import queued, then the pools started and the other person's uploads timed; JSON figures.
    With ``until="thumbnails"`` the side ends once the import's thumbnails are made, without waiting for every
    model (at 10,000 images that wait is most of an hour a side, and bench/pipeline.py measures it)."""
    var_dir = Path(tempfile.mkdtemp(prefix="lumen-bench-import-"))
    try:
        # The upload budget (120/min per person) would pace the import; an importer on a real server sends
        # at that pace or gets a larger budget, and the question here is the queue, not the budget.
        isolate_environment(var_dir, REDIS_URL=private_redis(var_dir), LUMEN_ENCRYPT_AT_REST="false",
                            LUMEN_THROTTLE_UPLOAD="off", LUMEN_THROTTLE_USER="off",
                            LUMEN_QUEUE_FAIR_TURNS="true" if fair else "false")
        from django.contrib.auth import get_user_model

        from dam.celery import app

        users = get_user_model().objects
        importer = api_client(users.create_user("importer", password="bench-bench-bench"))
        visitor = users.create_user("visitor", password="bench-bench-bench")
        files = list(photos(count + count // 4 + 50))
        imported, others = files[:count], files[count:]
        renditions = start_worker(var_dir, "default,renditions", 1)
        enrichment = start_worker(var_dir, "enrichment", 2, runstack_niceness("enrichment"))
        memory = [PeakChildRss(renditions.pid), PeakChildRss(enrichment.pid)]
        singles = SingleUploads(visitor, others, every)
        try:
            # The pools run (warm), but take nothing from the renditions queue until the whole import waits there.
            app.control.cancel_consumer("renditions", reply=True)
            version_ids = sorted({upload(importer, name, data)[0] for name, data in imported})
            app.control.add_consumer("renditions", reply=True)
            started = time.perf_counter()
            singles.thread.start()
            thumbnails = searchable = None
            while searchable is None and not (until == "thumbnails" and thumbnails is not None):
                if time.perf_counter() - started > WAIT_LIMIT:
                    raise RuntimeError(f"the import was not searchable after {WAIT_LIMIT} s")
                if thumbnails is None and thumbnails_ready(version_ids) == len(version_ids):
                    thumbnails = time.perf_counter() - started
                    waits = singles.stop()  # "during the import": while its thumbnails were being made
                if thumbnails is not None and searchable_count(version_ids) == len(version_ids):
                    searchable = time.perf_counter() - started
                time.sleep(0.5)
        finally:
            singles.stopped.set()
            peak = max(sample.stop() for sample in memory)
            for worker in (renditions, enrichment):
                worker.terminate()
                worker.wait(60)
        return {"images": len(version_ids), "thumbnails_seconds": thumbnails, "searchable_seconds": searchable,
                "images_per_s": len(version_ids) / searchable if searchable else None, "singles": len(waits),
                "thumbnail_p50_s": statistics.median(waits) if waits else float("nan"),
                "thumbnail_p95_s": percentile(waits, 0.95), "thumbnail_max_s": max(waits, default=float("nan")),
                "peak_worker_rss_mb": round(peak)}
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def run_side(count, every, fair, until):
    """``measure`` in a process of its own (settings are read once per process)."""
    done = subprocess.run([sys.executable, str(Path(__file__)), "--measure", "--fair" if fair else "--no-fair",
                           "--images", str(count), "--singles-every", str(every), "--until", until],
                          cwd=REPO, env=dict(os.environ),
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"the {'fair' if fair else 'first-come'} side failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(sides, every, count, until):
    info = harness.machine()
    before, after = sides["before"], sides["after"]

    def row(label, key, unit="s", digits=0):
        suffix = f" {unit}" if unit else ""
        cells = ("not waited for" if side[key] is None else f"{side[key]:.{digits}f}{suffix}" for side in (before, after))
        return f"| {label} | {' | '.join(cells)} |"

    return "\n".join([
        HEADING, "",
        f"Run {info['date']} by `bench/bulk_import.py --images {count} --singles-every {every}"
        f"{' --until thumbnails' if until == 'thumbnails' else ''}`. Machine: "
        f"{info['cpus']} CPUs ({info['cpu']}), {info['ram']} RAM, load average at the end {info['load average']}.",
        "",
        f"One person's {count} everyday photos (~500x375 JPEG; {after['images']} distinct: a variant that comes out "
        "byte-identical is answered with the existing asset) are uploaded through "
        "`POST /api/assets/` and wait in the queue; then the worker pools start as `runstack` starts them "
        f"(renditions `-c 1`, enrichment `-c 2` at its runstack niceness), and another person uploads one photo every {every} s (after "
        "the previous one's thumbnail) until the import's thumbnails are all made. Before: first come, first "
        "served (`LUMEN_QUEUE_FAIR_TURNS=false`); after: fair turns (docs/ingest.md). Both sides in this run.", "",
        "| | before: first come, first served | after: fair turns |", "|---|---:|---:|",
        f"| other person's uploads during the import | {before['singles']} | {after['singles']} |",
        row("their time to thumbnail, p50", "thumbnail_p50_s", digits=1),
        row("their time to thumbnail, p95", "thumbnail_p95_s", digits=1),
        row("their time to thumbnail, max", "thumbnail_max_s", digits=1),
        row("every thumbnail of the import made", "thumbnails_seconds"),
        row("every image searchable (every model done)", "searchable_seconds"),
        row("images/s, queue to searchable", "images_per_s", unit="", digits=2),
        row("peak worker-child RSS", "peak_worker_rss_mb", unit="MB"), "",
    ])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--singles-every", type=float, default=5.0, help="seconds between the other uploads")
    parser.add_argument("--until", choices=("searchable", "thumbnails"), default="searchable",
                        help="end each side when every image is searchable, or when the import's thumbnails are made")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs and results alone")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # one side, called by main
    parser.add_argument("--fair", action=argparse.BooleanOptionalAction, default=True, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.images, args.singles_every, args.fair, args.until)), flush=True)
        return
    sides = {"before": run_side(args.images, args.singles_every, False, args.until),
             "after": run_side(args.images, args.singles_every, True, args.until)}
    text = report(sides, args.singles_every, args.images, args.until)
    print(text, flush=True)
    if not args.no_docs:
        write_section(HEADING, text)
        after = sides["after"]
        harness.record_scale_figures(thumbnail_p95_s_during_import=round(after["thumbnail_p95_s"], 2),
                                     thumbnail_p95_s_during_import_before=round(sides["before"]["thumbnail_p95_s"], 2),
                                     thumbnail_p95_import_size=args.images,
                                     peak_worker_rss_mb=after["peak_worker_rss_mb"])


if __name__ == "__main__":
    main()
