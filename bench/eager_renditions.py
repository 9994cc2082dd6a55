"""What the renditions made right after ingest cost, every offered format eager (before) against WebP on request
(after), on the same images in one run, alternating per image so load changes hit both alike.

The pixel work only (one decode per image, then every spec encoded, identical outputs once, as
``assets.renditions.make_renditions`` does): storage and rows cost the same per file either way. Prints CPU ms
and wall ms per image and the files made; writes the "## Eager renditions" section of docs/benchmarks.md.

    python bench/eager_renditions.py [--images 60] [--no-docs]
"""
import argparse
import os
import sys
import time
from pathlib import Path

import harness
from harness import REPO, write_section

HEADING = "## Eager renditions"
SAMPLES = Path(os.environ.get("LUMEN_SHARED_DIR", REPO.parent / "shared")) / "data" / "exif-samples" / "jpg"


def setup():
    sys.path.insert(0, str(REPO))
    # Pixels only: settings must load, but nothing here opens the database or touches a secret.
    os.environ.update(DJANGO_SETTINGS_MODULE="dam.settings", SECRET_KEY="bench-pixels-only",
                      DATABASE_URL="postgres://unused/unused", LUMEN_ENCRYPT_AT_REST="false")
    import django

    django.setup()


def originals(count):
    found = []
    for path in sorted(SAMPLES.rglob("*.jpg")):
        data = path.read_bytes()
        if b"\xff\xd9" in data[-2048:]:  # whole files only: a truncated sample fails both sides alike
            found.append(data)
        if len(found) == count:
            break
    return found


def make(data, specs):
    """Decode once at the largest width needed, encode each distinct output; (CPU s, wall s, files)."""
    from assets.renditions import decode_original, encode

    cpu, wall = time.process_time(), time.perf_counter()
    widest = max(spec.width for spec in specs)
    image = decode_original(data, "jpeg", widest)
    stems = set()
    for spec in specs:
        plan = spec.plan(image.width, image.height)
        stem = spec.file_stem(plan)
        if stem not in stems:
            stems.add(stem)
            encode(image, spec, plan)
    return time.process_time() - cpu, time.perf_counter() - wall, len(stems)


def measure(count):
    from assets.renditions import default_specs, offered_specs

    sides = {"before": offered_specs(), "after": default_specs()}
    totals = {side: [0.0, 0.0, 0] for side in sides}
    images = originals(count)
    for index, data in enumerate(images):
        order = ("before", "after") if index % 2 == 0 else ("after", "before")
        for side in order:
            cpu, wall, files = make(data, sides[side])
            totals[side][0] += cpu
            totals[side][1] += wall
            totals[side][2] += files
    return len(images), {side: {"cpu_ms": 1000 * cpu / len(images), "wall_ms": 1000 * wall / len(images),
                                "files": files / len(images), "specs": [str(s) for s in sides[side]]}
                         for side, (cpu, wall, files) in totals.items()}


def report(count, figures):
    info = harness.machine()
    before, after = figures["before"], figures["after"]
    return "\n".join([
        HEADING, "",
        f"Run {info['date']} by `bench/eager_renditions.py --images {count}`. Machine: {info['cpus']} CPUs "
        f"({info['cpu']}), {info['ram']} RAM, load average at the end {info['load average']}.", "",
        f"{count} whole camera JPEGs from `shared/data/exif-samples`; per image one decode and every default "
        "width encoded in each eager format (identical outputs once), before and after alternating per image.", "",
        "| | eager formats | files per image | CPU ms per image | wall ms per image |", "|---|---|---:|---:|---:|",
        f"| before: every offered format eager | WebP, AVIF, JPEG | {before['files']:.1f} | {before['cpu_ms']:.0f} | "
        f"{before['wall_ms']:.0f} |",
        f"| after: WebP on request (default) | AVIF, JPEG | {after['files']:.1f} | {after['cpu_ms']:.0f} | "
        f"{after['wall_ms']:.0f} |", "",
        f"After / before CPU: {after['cpu_ms'] / before['cpu_ms']:.2f}. A WebP rendition asked for later costs its "
        "decode and one encode then, once (the files lock keeps two requests from encoding it twice).", "",
    ])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs alone")
    args = parser.parse_args()
    setup()
    count, figures = measure(args.images)
    text = report(count, figures)
    print(text)
    if not args.no_docs:
        write_section(HEADING, text)


if __name__ == "__main__":
    main()
