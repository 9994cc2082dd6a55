"""Enrichment one version at a time or in batches, in one process on the same photos, alternating.

What a worker does with a single ``enrich_version`` message (one version, every capability) against what it does
with an ``enrich_versions`` batch (``LUMEN_ENRICH_BATCH_SIZE`` versions, each capability once over the batch),
both through the tasks' own code (``enrichment.tasks.run_pipeline``), so reads, model calls, job rows and
results are all counted. Everyday photos as bench/pipeline.py makes them, renditions made first; each round enriches every
photo both ways, the order alternating between rounds. Postgres runs beside it on the same cores, so wall time
is what a worker would see; CPU time is this process's (ONNX Runtime's threads included).

Writes the "## Enrichment batches" section of docs/benchmarks.md.

    python bench/enrich_batches.py [--images 64] [--batch 8] [--rounds 4] [--no-docs]
"""
import argparse
import atexit
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import harness
from harness import isolate_environment, private_redis, write_section
from pipeline import photos

HEADING = "## Enrichment batches"


def prepared_versions(count):
    """``count`` photos ingested with their renditions made; enrichment messages are left unread."""
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from assets.models import AssetVersion
    from assets.services import ingest, processing
    from core.audit import Actor

    actor = Actor(user=get_user_model().objects.create_user("bench", password="bench-bench-bench"))
    ids = [ingest.ingest_file(SimpleUploadedFile(name, data), filename=name, actor=actor).version.pk
           for name, data in photos(count)]
    for version in AssetVersion.objects.select_related("asset").filter(pk__in=ids):
        processing.process_version(version)
    return ids


def measure(count, batch, rounds):
    from enrichment.services.capabilities import PIPELINE
    from enrichment.tasks import run_pipeline

    ids = prepared_versions(count)
    ways = {"one at a time": lambda: [run_pipeline([pk], PIPELINE) for pk in ids],
            f"batches of {batch}": lambda: [run_pipeline(ids[start:start + batch], PIPELINE)
                                            for start in range(0, len(ids), batch)]}
    run_pipeline(ids[:batch], PIPELINE)  # models loaded, caches warm
    figures = {way: {"wall": [], "cpu": []} for way in ways}
    for number in range(rounds):
        for way in (list(ways) if number % 2 == 0 else list(ways)[::-1]):
            started, cpu_started = time.perf_counter(), time.process_time()
            ways[way]()
            figures[way]["wall"].append((time.perf_counter() - started) * 1000 / len(ids))
            figures[way]["cpu"].append((time.process_time() - cpu_started) * 1000 / len(ids))
            print(f"round {number + 1} {way:16s} wall {figures[way]['wall'][-1]:.1f} ms/image, "
                  f"cpu {figures[way]['cpu'][-1]:.1f}", flush=True)
    return figures


def report(figures, count, batch, rounds):
    info = harness.machine()
    single, batched = (figures[way] for way in figures)
    lines = [HEADING, "",
             f"Run {info['date']} by `bench/enrich_batches.py --images {count} --batch {batch} --rounds {rounds}`. "
             f"Machine: {info['cpus']} CPUs ({info['cpu']}), {info['ram']} RAM, load average at the end "
             f"{info['load average']}.", "",
             f"{count} everyday photos (~500x375 JPEG, as bench/pipeline.py makes them), every capability through "
             "the enrichment task's own code, one version at a time (an `enrich_version` message each) or in "
             "batches (`enrich_versions`); each round does both, the order alternating. Mean of the rounds, "
             "ms per image (each round's figures in brackets).", "",
             "| | wall ms/image | CPU ms/image |", "|---|---:|---:|"]
    for way, values in figures.items():
        lines.append(f"| {way} | {statistics.mean(values['wall']):.1f} "
                     f"({', '.join(f'{v:.0f}' for v in values['wall'])}) | {statistics.mean(values['cpu']):.1f} "
                     f"({', '.join(f'{v:.0f}' for v in values['cpu'])}) |")
    ratio = statistics.mean(batched["wall"]) / statistics.mean(single["wall"])
    lines += ["", f"Batches / one at a time, wall: {ratio:.2f}.", ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs alone")
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="lumen-bench-batches-"))
    atexit.register(shutil.rmtree, var_dir, ignore_errors=True)  # registered first, so run after the servers stop
    isolate_environment(var_dir, REDIS_URL=private_redis(var_dir), LUMEN_ENCRYPT_AT_REST="false",
                        LUMEN_ENRICH_BATCH_SIZE=str(args.batch))
    text = report(measure(args.images, args.batch, args.rounds), args.images, args.batch, args.rounds)
    print(text, flush=True)
    if not args.no_docs:
        write_section(HEADING, text)


if __name__ == "__main__":
    main()
