"""Ingest and rendition benchmark on the shared camera samples, in a throwaway var dir.

Times (a) ingest with metadata, (b) the default renditions in-process, (c) the whole path
through a real Celery worker subprocess; then per-format encode throughput, the decoders
we could use, and the AVIF speed/quality sweep behind the settings in ``assets.renditions``.
Everything runs on its own embedded Postgres, Redis database and media folder in a
temporary directory, so it never touches development data. Rewrites the
"## Ingest and renditions" section of docs/benchmarks.md (other sections are left alone).

    python bench/ingest.py [--no-docs]
"""
import argparse
import atexit
import io
import os
import platform
import resource
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import harness
from harness import REPO, isolate_environment, purge_queues, start_worker, write_section

SAMPLES = Path(os.environ.get("LUMEN_SHARED_DIR", REPO.parent / "shared")) / "data" / "exif-samples"
SAMPLE_FOLDERS = ("jpg", "heic", "tiff")
BENCH_REDIS_DB = "14"
SWEEP_IMAGES = 12  # the largest camera JPEGs
AVIF_SPEEDS = (6, 8, 9, 10)
AVIF_QUALITIES = (55, 65, 75)
HEADING = "## Ingest and renditions"


def sample_files():
    return sorted(
        path for folder in SAMPLE_FOLDERS for path in (SAMPLES / folder).rglob("*")
        if path.is_file() and not path.name.startswith("README")
    )


def reset_library(media_root, var_dir):
    from assets.models import Asset

    assert Path(media_root).resolve().is_relative_to(Path(var_dir).resolve())
    Asset.objects.all().delete()
    shutil.rmtree(media_root, ignore_errors=True)
    purge_queues()


class Clock:
    """Wall and CPU seconds of this process over a ``with`` block."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def ingest_all(files, actor):
    """Ingest every file; returns (created versions, accepted bytes, refusals)."""
    from assets.services.ingest import ingest_file
    from core.refusals import Refused

    versions, accepted_bytes, refused = [], 0, []
    for path in files:
        try:
            with path.open("rb") as handle:
                result = ingest_file(handle, filename=path.name, actor=actor)
        except Refused as exc:
            refused.append(f"{path.relative_to(SAMPLES)} ({exc.code})")
            continue
        accepted_bytes += path.stat().st_size
        if result.created:
            versions.append(result.version)
    return versions, accepted_bytes, refused


def stage_row(name, images, megabytes, clock, cpu_seconds=None):
    cpu_seconds = clock.cpu if cpu_seconds is None else cpu_seconds
    return {"stage": name, "images": images, "seconds": clock.wall, "images/s": images / clock.wall,
            "MB/s": megabytes / clock.wall, "CPU s": cpu_seconds, "images per CPU s": images / cpu_seconds}


def per_format(versions):
    """Decode once per image, then encode every default width per format, timed separately."""
    from assets.renditions import decode, decode_width, default_specs, encode

    specs = default_specs()
    totals = {}  # step -> [wall seconds, CPU seconds, images, renditions, bytes]

    def add(step, clock, images, renditions=0, size=0):
        total = totals.setdefault(step, [0.0, 0.0, 0, 0, 0])
        for index, value in enumerate((clock.wall, clock.cpu, images, renditions, size)):
            total[index] += value

    widths = len({spec.width for spec in specs})
    for version in versions:
        with Clock() as clock:
            image = decode(version, decode_width(version, specs))
        add("decode (shrink-on-load to the largest width)", clock, 1)
        for spec in specs:
            with Clock() as clock:
                data = encode(image, spec, spec.plan(image.width, image.height))
            add(f"encode {spec.format} ({describe_format(spec.format)})", clock, 1 / widths, 1, len(data))
    return [
        {"step": step, "images/s (wall)": images / wall, "images/s (CPU)": images / cpu,
         "renditions/s (CPU)": renditions / cpu if renditions else None,
         "avg KB": size / renditions / 1024 if renditions else None}
        for step, (wall, cpu, images, renditions, size) in totals.items()
    ]


def describe_format(name):
    from assets.renditions import OUTPUT_FORMATS

    output = OUTPUT_FORMATS[name]
    options = ", ".join(f"{k} {v}" for k, v in output.options.items())
    return f"quality {output.default_quality}, {options}" if options else f"quality {output.default_quality}"


def largest_jpegs(versions, count):
    """The largest camera JPEGs that every decoder compared reads (libvips refuses corrupted.jpg)."""
    import pyvips

    def readable(version):
        with version.file.open("rb") as handle:
            data = handle.read()
        try:
            pyvips.Image.thumbnail_buffer(data, 64).write_to_memory()
        except pyvips.Error:
            return False
        return True

    jpegs = sorted((v for v in versions if v.format == "jpeg"), key=lambda v: v.width * v.height, reverse=True)
    return [v for v in jpegs if readable(v)][:count]


def decoder_rows(versions):
    """The decoders we could use for the 1280-pixel source image of a camera JPEG."""
    import pyvips
    from PIL import Image, ImageOps

    originals = []
    for version in versions:
        with version.file.open("rb") as handle:
            originals.append(handle.read())

    def vips(data, **options):
        image = pyvips.Image.thumbnail_buffer(data, 1280, height=100_000, size="down", **options)
        return image.write_to_memory()

    def pillow(data, draft):
        image = Image.open(io.BytesIO(data))
        if draft:
            image.draft("RGB", (1280, 1280))
        image = ImageOps.exif_transpose(image).convert("RGB")
        image.thumbnail((1280, 100_000), Image.Resampling.LANCZOS)
        return image

    candidates = {
        "libvips thumbnail (shrink-on-load; used)": lambda d: vips(d),
        "libvips thumbnail + convert to sRGB (used only for non-sRGB profiles)": lambda d: vips(d, output_profile="srgb"),
        "Pillow draft + LANCZOS (fallback; HEIC without draft)": lambda d: pillow(d, draft=True),
        "Pillow full decode + LANCZOS": lambda d: pillow(d, draft=False),
    }
    rows = []
    for name, decode in candidates.items():
        with Clock() as clock:
            for data in originals:
                decode(data)
        rows.append({"decoder": name, "images/s (wall)": len(originals) / clock.wall,
                     "images/s (CPU)": len(originals) / clock.cpu})
    return rows


def avif_sweep(versions):
    """AVIF speed × quality on the default widths, with WebP and JPEG at their defaults for scale."""
    import numpy as np
    from PIL import Image
    from skimage.metrics import structural_similarity

    from assets.renditions import OUTPUT_FORMATS, RenditionSpec, decode, decode_width, default_specs

    widths = sorted({spec.width for spec in default_specs()})
    sources = []
    for version in versions:
        image = decode(version, decode_width(version, default_specs())).convert("RGB")
        for width in widths:
            size = RenditionSpec.parse(f"width-{width}").plan(image.width, image.height).size
            sources.append(image.resize(size, Image.Resampling.LANCZOS))
    luma = [np.asarray(source.convert("L")) for source in sources]

    def measure(label, fmt, **options):
        outputs = []
        with Clock() as clock:
            for source in sources:
                buffer = io.BytesIO()
                source.save(buffer, fmt, **options)
                outputs.append(buffer.getvalue())
        similarity = np.mean([
            structural_similarity(reference, np.asarray(Image.open(io.BytesIO(data)).convert("L")), data_range=255)
            for reference, data in zip(luma, outputs)
        ])
        return {"setting": label, "images/s (wall)": len(versions) / clock.wall,
                "images/s (CPU)": len(versions) / clock.cpu,
                "avg KB": sum(map(len, outputs)) / len(outputs) / 1024, "SSIM": similarity}

    jpeg, webp = OUTPUT_FORMATS["jpeg"], OUTPUT_FORMATS["webp"]
    rows = [
        measure(f"JPEG quality {jpeg.default_quality} (default)", "JPEG", quality=jpeg.default_quality, **jpeg.options),
        measure(f"WebP quality {webp.default_quality} (default)", "WEBP", quality=webp.default_quality, **webp.options),
    ]
    for speed in AVIF_SPEEDS:
        for quality in AVIF_QUALITIES:
            rows.append(measure(f"AVIF speed {speed} quality {quality}", "AVIF", quality=quality, speed=speed))
    return rows


def through_worker(files, actor, var_dir):
    """Start a worker like tests/conftest.py does, then ingest everything and wait for the last asset."""
    from assets.models import Asset

    workers = os.cpu_count() or 1
    worker = start_worker(var_dir, "renditions", workers)
    try:
        with Clock() as clock:
            versions, accepted_bytes, _ = ingest_all(files, actor)
            while Asset.objects.filter(status=Asset.Status.PROCESSING).exists():
                if worker.poll() is not None:
                    raise RuntimeError(f"the Celery worker died:\n{worker.log_path.read_text()[-3000:]}")
                time.sleep(0.1)
        failed = list(Asset.objects.filter(status=Asset.Status.FAILED).values_list("title", "status_detail"))
        return versions, accepted_bytes, clock, workers, failed
    finally:
        worker.terminate()
        worker.wait(timeout=60)


def children_cpu():
    """CPU seconds of finished child processes (the worker and its pool, once it has been waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine():
    import PIL
    import pillow_heif
    import pyvips
    from PIL import features

    return harness.machine(software=(
        f"Python {platform.python_version()}, Pillow {PIL.__version__} (libjpeg-turbo "
        f"{features.version('libjpeg_turbo')}, libwebp {features.version('webp')}, libavif "
        f"{features.version('avif')}), pillow-heif {pillow_heif.__version__}, libvips "
        f"{pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)} (pyvips {pyvips.__version__})"
    ))


def table(rows):
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" if c == columns[0] else "---:" for c in columns) + "|"]
    for row in rows:
        cells = []
        for column in columns:
            value = row[column]
            cells.append("–" if value is None else f"{value:.1f}" if isinstance(value, float) and column != "SSIM"
                         else f"{value:.4f}" if isinstance(value, float) else str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def avif_choice(sweep):
    """The paragraph that explains the AVIF settings from this run's numbers."""
    from assets.renditions import OUTPUT_FORMATS

    avif = OUTPUT_FORMATS["avif"]
    rows = {row["setting"]: row for row in sweep}
    label = f"AVIF speed {avif.options['speed']} quality {avif.default_quality}"
    chosen, slowest = rows.get(label), rows.get(f"AVIF speed {AVIF_SPEEDS[0]} quality {avif.default_quality}")
    jpeg, webp = (next(row for row in sweep if row["setting"].startswith(name)) for name in ("JPEG", "WebP"))
    if chosen is None or slowest is None:
        return f"`assets.renditions` uses {label}, which this sweep does not cover."
    return (
        f"Chosen in `assets.renditions`: **{chosen['setting']}**: {chosen['images/s (CPU)']:.1f} images/s of CPU "
        f"for the default widths, {chosen['avg KB']:.1f} KB per rendition, SSIM {chosen['SSIM']:.4f}; that is "
        f"{100 * chosen['avg KB'] / jpeg['avg KB']:.0f}% of JPEG's bytes (SSIM {jpeg['SSIM']:.4f}) and "
        f"{100 * chosen['avg KB'] / webp['avg KB']:.0f}% of WebP's (SSIM {webp['SSIM']:.4f}), encoded "
        f"{chosen['images/s (CPU)'] / webp['images/s (CPU)']:.1f}× as fast as WebP. Speed {AVIF_SPEEDS[0]} at the "
        f"same quality takes {chosen['images/s (CPU)'] / slowest['images/s (CPU)']:.0f}× the CPU for "
        f"{100 * (1 - slowest['avg KB'] / chosen['avg KB']):.0f}% fewer bytes. Since AVIF at this speed costs no "
        "more than WebP, AVIF renditions are made eagerly with the others, not on first request."
    )


def report(info_before, info_after, inputs, stages, formats, decoders, sweep, sweep_images, failed):
    lines = [
        HEADING,
        "",
        f"Run {info_before['date']} by `bench/ingest.py`. Machine: {info_before['cpus']} CPUs ({info_before['cpu']}), "
        f"{info_before['ram']} RAM; {info_before['software']}. Load average {info_before['load average']} at start, "
        f"{info_after['load average']} at end (the machine is shared with other engineers' test runs, so wall "
        "times are pessimistic; CPU-time columns are steadier).",
        "",
        inputs,
        "",
        table(stages),
        "",
        "(a) is `ingest_file` per file: sniff, Pillow validation, metadata, content-addressed store, audit row. "
        "(b) is `ensure_default_renditions` per version in this process (decode once, "
        f"{len(formats) - 1} formats × the default widths). (c) starts the clock after the worker answers a ping "
        "and stops it when no asset is still processing; its CPU seconds are this process's plus the whole "
        "worker's (start-up included). Postgres's own CPU is not counted anywhere.",
    ]
    if failed:
        lines += ["", "Failed in (c): " + "; ".join(f"{title}: {detail}" for title, detail in failed)]
    lines += [
        "", "### Per format", "",
        "One decode per image, then every default width encoded per format; an image counts once for all its widths.",
        "", table(formats),
        "", "### Decoders", "",
        f"Source image of the {sweep_images} largest camera JPEGs, 1280 pixels wide, upright.", "", table(decoders),
        "", "### AVIF settings", "",
        f"The same {sweep_images} JPEGs at the default widths; SSIM on luma against the resized source.", "",
        table(sweep), "", avif_choice(sweep), "",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="lumen-bench-"))
    atexit.register(shutil.rmtree, var_dir, True)  # registered first, so it runs after the database stops
    isolate_environment(var_dir, LUMEN_REDIS_DB=BENCH_REDIS_DB)

    from django.conf import settings
    from django.contrib.auth import get_user_model

    from assets.renditions import ensure_default_renditions
    from core.audit import Actor

    files = sample_files()
    actor = Actor(get_user_model().objects.create_user("bench", password=uuid.uuid4().hex), "127.0.0.1")
    before = machine()
    purge_queues()

    with Clock() as clock:
        versions, accepted_bytes, refused = ingest_all(files, actor)
    megabytes = accepted_bytes / 1e6
    purge_queues()
    megapixels = sum(v.width * v.height for v in versions) / len(versions) / 1e6
    by_format = {fmt: sum(v.format == fmt for v in versions) for fmt in sorted({v.format for v in versions})}
    inputs = (
        f"Input: {len(versions)} files from `shared/data/exif-samples` ({', '.join(f'{n} {f}' for f, n in by_format.items())}), "
        f"{megabytes:.1f} MB, {megapixels:.1f} megapixels on average"
        + (f"; refused at ingest: {', '.join(refused)}." if refused else ".")
    )
    stages = [stage_row("(a) ingest + metadata", len(versions), megabytes, clock)]
    print(stages[-1], flush=True)

    with Clock() as clock:
        for version in versions:
            ensure_default_renditions(version)
    stages.append(stage_row("(b) renditions in-process", len(versions), megabytes, clock))
    print(stages[-1], flush=True)

    formats = per_format(versions)
    sweep_versions = largest_jpegs(versions, SWEEP_IMAGES)
    decoders = decoder_rows(sweep_versions)
    sweep = avif_sweep(sweep_versions)
    print("per format, decoders and AVIF sweep done", flush=True)

    reset_library(settings.MEDIA_ROOT, var_dir)
    worker_cpu = children_cpu()
    worker_versions, worker_bytes, clock, workers, failed = through_worker(files, actor, var_dir)
    stages.append(stage_row(f"(c) ingest → Celery worker (-c {workers}) → ready", len(worker_versions),
                            worker_bytes / 1e6, clock, cpu_seconds=clock.cpu + children_cpu() - worker_cpu))
    purge_queues()

    text = report(before, machine(), inputs, stages, formats, decoders, sweep, len(sweep_versions), failed)
    print(text)
    if not args.no_docs:
        write_section(HEADING, text)


if __name__ == "__main__":
    main()
