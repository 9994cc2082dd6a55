"""What proving that an upload decodes costs at inspection, before and after it used the renditions' decoder.

Before: Pillow decoded the whole file (JPEGs at 1/8 scale, through ``draft``) to find truncated data, and
renditions later decoded it again with libvips, which could fail on files Pillow had passed. After: Pillow
reads the header only and ``assets.renditions.decode_original`` decodes a 64-pixel thumbnail, the same code
the renditions task runs. Both run on every shared sample in one process, interleaved, CPU seconds counted;
``inspect_image`` (sniff, checks, decode proof, metadata, SHA-256) is timed whole for context. No database:
Django is set up from the environment only. Rewrites the "## Inspection" section of docs/benchmarks.md.

    python bench/inspection.py [--no-docs] [--rounds N]
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

SAMPLES = Path(os.environ.get("LUMEN_SHARED_DIR", REPO.parent / "shared")) / "data" / "exif-samples"
SAMPLE_FOLDERS = ("jpg", "heic", "tiff")
HEADING = "## Inspection"


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dam.settings")
    os.environ.setdefault("SECRET_KEY", "bench-inspect")
    os.environ.setdefault("DATABASE_URL", "postgres://unused@127.0.0.1:9/unused")  # never connected to
    os.environ.setdefault("LUMEN_ENCRYPT_AT_REST", "false")  # nothing is stored
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


def pillow_full_decode(data):
    """The check inspection made before: Pillow decodes the file (JPEG at 1/8 scale)."""
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    if image.format == "JPEG":
        image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
    image.load()


def header_and_proof(fmt):
    """The check inspection makes now: Pillow's header, then the renditions' decoder at thumbnail size."""
    from assets.services import inspect

    def check(data):
        inspect._open_header(data, fmt)
        inspect._prove_decodable(data, fmt)
    return check


def cpu_seconds(function, data):
    start = time.process_time()
    try:
        function(data)
    except Exception:  # noqa: BLE001 - a refused sample costs what it costs
        pass
    return time.process_time() - start


def measure(rounds):
    from assets.services.inspect import inspect_image, sniff_format

    files = sorted(path for folder in SAMPLE_FOLDERS for path in (SAMPLES / folder).rglob("*")
                   if path.is_file() and not path.name.startswith("README"))
    totals = defaultdict(lambda: defaultdict(float))
    counts = defaultdict(int)
    megapixels = defaultdict(float)
    for path in files:
        data = path.read_bytes()
        fmt = sniff_format(data[:64])
        if fmt is None:
            continue
        counts[fmt] += 1
        try:
            facts = inspect_image(data)
            megapixels[fmt] += facts.width * facts.height / 1e6
        except Exception:  # noqa: BLE001 - refused samples (shared/data holds invalid ones) are timed too
            pass
        for _ in range(rounds):  # interleaved, so a change in the machine's load hits every column alike
            totals[fmt]["before"] += cpu_seconds(pillow_full_decode, data)
            totals[fmt]["after"] += cpu_seconds(header_and_proof(fmt), data)
            totals[fmt]["inspect"] += cpu_seconds(inspect_image, data)
    return counts, megapixels, totals


def report(before, after, counts, megapixels, totals, rounds):
    import pyvips
    from PIL import __version__ as pillow_version

    rows = []
    for fmt in sorted(counts):
        per_file = {key: totals[fmt][key] / (counts[fmt] * rounds) * 1000 for key in ("before", "after", "inspect")}
        rows.append(f"| {fmt} | {counts[fmt]} | {megapixels[fmt] / counts[fmt]:.1f} | {per_file['before']:.1f} | "
                    f"{per_file['after']:.1f} | {per_file['after'] / per_file['before']:.2f} | "
                    f"{per_file['inspect']:.1f} |")
    return "\n".join([
        HEADING,
        "",
        f"Run {before['date']} by `bench/inspection.py` ({rounds} rounds, interleaved). Machine: {before['cpus']} CPUs "
        f"({before['cpu']}), {before['ram']} RAM; Pillow {pillow_version}, libvips "
        f"{pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}. Load average {before['load average']} at "
        f"start, {after['load average']} at end (shared machine: compare the columns of this run only).",
        "",
        "CPU milliseconds per file to prove an upload decodes: before, Pillow decoded the file (JPEG at 1/8 "
        "scale); after, Pillow reads the header and `decode_original` (libvips, then Pillow) decodes a 64-pixel "
        "thumbnail, the renditions' own code. `inspect_image` is the whole inspection (sniff, checks, proof, "
        "metadata, SHA-256).",
        "",
        "| format | files | avg Mpx | before ms | after ms | after / before | inspect_image ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *rows,
    ])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-docs", action="store_true", help="print the section, do not write docs/benchmarks.md")
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    setup_django()
    before = harness.machine()
    counts, megapixels, totals = measure(arguments.rounds)
    text = report(before, harness.machine(), counts, megapixels, totals, arguments.rounds)
    print(text)
    if not arguments.no_docs:
        write_section(HEADING, text)


if __name__ == "__main__":
    main()
