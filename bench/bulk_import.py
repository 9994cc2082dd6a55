"""A bulk import with another person's uploads in between: does a new upload still get its thumbnail quickly?

One person imports N distinct photos through the REST API (variants of the shared camera JPEGs and scikit-image's
photos, as bench/pipeline.py makes them); while that import is queued, another person uploads one photo every
few seconds. The worker pools are the ones ``runstack`` starts (renditions ``-Q default,renditions -c 1``,
enrichment ``-Q enrichment -c 2``) in an environment of its own (embedded Postgres, private Redis).

Prints time to every thumbnail, time to every asset searchable (every enrichment job ended), the p50/p95 time to
thumbnail of the other person's uploads, peak worker-child RSS and images/s; writes the "## Bulk import" section
of docs/benchmarks.md and ``thumbnail_p95_s_during_import`` (with the import size) to bench/results/scale.json.

    python bench/bulk_import.py [--images 10000] [--singles-every 5] [--no-docs]
"""
import argparse
import io
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import harness
from harness import isolate_environment, private_redis, start_worker, write_section
from pipeline import PeakChildRss, photos, searchable_count

HEADING = "## Bulk import"
WAIT_LIMIT = 6 * 3600  # seconds


def api_client(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def upload(client, name, data):
    """One upload through the API, as an integrator's script sends it; the new version's id."""
    from assets.models import Asset

    file = io.BytesIO(data)
    file.name = name
    response = client.post("/api/assets/", {"file": file}, format="multipart")
    if response.status_code != 201:
        raise RuntimeError(f"upload refused: {response.status_code} {response.content[:300]!r}")
    return Asset.objects.get(uid=response.json()["uid"]).current_version_id


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
                version_id = upload(self.client, name, data)
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


def measure(count, every):
    var_dir = Path(tempfile.mkdtemp(prefix="lumen-bench-import-"))
    try:
        # The upload budget (120/min per person) would pace the import; an importer on a real server sends
        # at that pace or gets a larger budget, and the question here is the queue, not the budget.
        isolate_environment(var_dir, REDIS_URL=private_redis(var_dir), LUMEN_ENCRYPT_AT_REST="false",
                            LUMEN_THROTTLE_UPLOAD="off", LUMEN_THROTTLE_USER="off")
        from django.contrib.auth import get_user_model

        users = get_user_model().objects
        importer = api_client(users.create_user("importer", password="bench-bench-bench"))
        visitor = users.create_user("visitor", password="bench-bench-bench")
        files = list(photos(count + count // 4 + 50))
        imported, others = files[:count], files[count:]
        renditions = start_worker(var_dir, "default,renditions", 1)
        enrichment = start_worker(var_dir, "enrichment", 2)
        memory = [PeakChildRss(renditions.pid), PeakChildRss(enrichment.pid)]
        singles = SingleUploads(visitor, others, every)
        try:
            started = time.perf_counter()
            singles.thread.start()
            version_ids = [upload(importer, name, data) for name, data in imported]
            uploaded = time.perf_counter() - started
            thumbnails = searchable = None
            while searchable is None:
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
        return {"images": count, "upload_seconds": uploaded, "thumbnails_seconds": thumbnails,
                "searchable_seconds": searchable, "images_per_s": count / searchable, "singles": len(waits),
                "thumbnail_p50_s": statistics.median(waits) if waits else float("nan"),
                "thumbnail_p95_s": percentile(waits, 0.95), "thumbnail_max_s": max(waits, default=float("nan")),
                "peak_worker_rss_mb": round(peak)}
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def report(figures, every):
    info = harness.machine()
    f = figures
    return "\n".join([
        HEADING, "",
        f"Run {info['date']} by `bench/bulk_import.py --images {f['images']} --singles-every {every}`. Machine: "
        f"{info['cpus']} CPUs ({info['cpu']}), {info['ram']} RAM, load average at the end {info['load average']}.",
        "",
        f"One person uploads {f['images']} distinct everyday photos (~500x375 JPEG) through `POST /api/assets/` as "
        f"fast as the API answers; meanwhile another person uploads one photo every {every} s until the import's "
        "thumbnails are all made. Worker pools as `runstack` starts them (renditions `-c 1`, enrichment `-c 2`); "
        "uploads are queued by fair turn (docs/ingest.md).", "",
        "| | |", "|---|---:|",
        f"| import uploaded (API answered every file) | {f['upload_seconds']:.0f} s |",
        f"| every thumbnail of the import made | {f['thumbnails_seconds']:.0f} s |",
        f"| every image searchable (every model done) | {f['searchable_seconds']:.0f} s |",
        f"| images/s, upload to searchable | {f['images_per_s']:.2f} |",
        f"| other person's uploads during the import | {f['singles']} |",
        f"| their time to thumbnail, p50 / p95 / max | {f['thumbnail_p50_s']:.1f} / {f['thumbnail_p95_s']:.1f} / "
        f"{f['thumbnail_max_s']:.1f} s |",
        f"| peak worker-child RSS | {f['peak_worker_rss_mb']} MB |", "",
    ])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--singles-every", type=float, default=5.0, help="seconds between the other uploads")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs and results alone")
    args = parser.parse_args()
    figures = measure(args.images, args.singles_every)
    text = report(figures, args.singles_every)
    print(text, flush=True)
    if not args.no_docs:
        write_section(HEADING, text)
        harness.record_scale_figures(thumbnail_p95_s_during_import=round(figures["thumbnail_p95_s"], 2),
                                     thumbnail_p95_import_size=args.images,
                                     peak_worker_rss_mb=figures["peak_worker_rss_mb"])


if __name__ == "__main__":
    main()
