"""What writing the asset's metadata into a download costs, per format: CPU time of ``embedding.embed`` and the
bytes it adds, next to reading the stored file (the floor every download pays).

Every download of a JPEG, PNG, WebP or TIFF original or rendition goes through ``embed`` (docs/metadata.md):
the containers are edited, pixels never re-encoded, but the copy is reopened to prove it is the same image.
Files: the shared camera samples (JPEG, TIFF) and, from each JPEG sample, a PNG and a WebP the size of the
1280-pixel renditions. No database: Django is set up from the environment only. Rewrites the
"## Metadata in downloads" section of docs/benchmarks.md.

    python bench/embedding.py [--no-docs] [--rounds N]
"""
import argparse
import io
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import harness
from harness import REPO, write_section
from PIL import Image
from PIL import __version__ as pillow_version

SAMPLES = Path(os.environ.get("LUMEN_SHARED_DIR", REPO.parent / "shared")) / "data" / "exif-samples"
HEADING = "## Metadata in downloads"
RENDITION_WIDTH = 1280


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dam.settings")
    os.environ.setdefault("SECRET_KEY", "bench-embedding")
    os.environ.setdefault("DATABASE_URL", "postgres://unused@127.0.0.1:9/unused")  # never connected to
    os.environ.setdefault("LUMEN_ENCRYPT_AT_REST", "false")  # nothing is stored
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


def as_rendition(data, fmt):
    """A PNG or WebP like the renditions: the sample scaled to at most 1280 pixels wide."""
    image = Image.open(io.BytesIO(data))
    image.thumbnail((RENDITION_WIDTH, RENDITION_WIDTH))
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, fmt)
    return buffer.getvalue()


def files():
    """(format, bytes) of every sample that opens, and the PNG and WebP made from each JPEG."""
    for path in sorted((SAMPLES / "jpg").rglob("*.jpg")) + sorted((SAMPLES / "tiff").rglob("*.tif*")):
        data = path.read_bytes()
        try:
            Image.open(io.BytesIO(data)).verify()
        except Exception:  # noqa: BLE001 - shared/data holds broken samples on purpose; ingest refuses them
            continue
        if path.suffix.lower() == ".jpg":
            yield "jpeg", data
            yield "png", as_rendition(data, "PNG")
            yield "webp", as_rendition(data, "WEBP")
        else:
            yield "tiff", data


def measure(rounds):
    from assets.services.embedding import EmbeddedFields, embed

    fields = EmbeddedFields(
        title="Harbour at dawn", caption="Two cranes over a ship, seen from the pier.", alt_text="Two cranes",
        keywords=("harbour", "cranes", "dawn"), creator="Ana Lima", credit="Ana Lima / Lumen",
        copyright="© 2026 Ana Lima", usage_terms="Editorial use only; web; until 31 December 2030",
        web_statement="https://example.org/licence", marked=True)
    counts, sizes, added = defaultdict(int), defaultdict(int), defaultdict(int)
    seconds = defaultdict(lambda: defaultdict(float))
    for fmt, data in files():
        counts[fmt] += 1
        sizes[fmt] += len(data)
        added[fmt] += len(embed(data, fields)) - len(data)
        for _ in range(rounds):  # interleaved, so a change in the machine's load hits both columns alike
            start = time.process_time()
            io.BytesIO(data).read()
            seconds[fmt]["read"] += time.process_time() - start
            start = time.process_time()
            embed(data, fields)
            seconds[fmt]["embed"] += time.process_time() - start
    return counts, sizes, added, seconds


def report(before, after, counts, sizes, added, seconds, rounds):
    rows = []
    for fmt in sorted(counts):
        per_file = {key: seconds[fmt][key] / (counts[fmt] * rounds) * 1000 for key in ("read", "embed")}
        rows.append(f"| {fmt} | {counts[fmt]} | {sizes[fmt] / counts[fmt] / 1024:.0f} | {per_file['read']:.2f} | "
                    f"{per_file['embed']:.1f} | {added[fmt] / counts[fmt]:+.0f} |")
    return "\n".join([
        HEADING,
        "",
        f"Run {before['date']} by `bench/embedding.py` ({rounds} rounds, interleaved). Machine: {before['cpus']} CPUs "
        f"({before['cpu']}), {before['ram']} RAM; Pillow {pillow_version}. Load average {before['load average']} "
        f"at start, {after['load average']} at end (shared machine: compare the columns of this run only).",
        "",
        "CPU milliseconds per file to write title, caption, alt text, keywords, creator, credit, copyright and usage "
        "terms (XMP, IPTC-IIM where the format has it, EXIF) into a copy, including the check that the copy reopens "
        "as the same image; \"read\" is copying the stored bytes, the floor of any download. JPEG and TIFF: the "
        "camera samples; PNG and WebP: made from each JPEG at 1280 pixels, like renditions.",
        "",
        "| format | files | avg KB | read ms | embed ms | bytes added |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
    ])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-docs", action="store_true", help="print the section, do not write docs/benchmarks.md")
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    setup_django()
    before = harness.machine()
    counts, sizes, added, seconds = measure(arguments.rounds)
    text = report(before, harness.machine(), counts, sizes, added, seconds, arguments.rounds)
    print(text)
    if not arguments.no_docs:
        write_section(HEADING, text)


if __name__ == "__main__":
    main()
