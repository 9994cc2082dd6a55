"""Which images the OCR reader runs on: the text-presence check's regions taken as they come (before) against
only confident, text-shaped ones (after, ``enrichment.adapters.ocr.text_shaped``), on the same images in one run.

The images: search's judged set (camera photos, scans, wallpapers, scikit-image's photos; tests/search/judged/)
and the everyday photos of bench/pipeline.py, each at the working size the worker's models read. The reader
runs on every image, so what either rule loses is seen: images where the reader finds words (a line of at least
two letters or digits, read with confidence >= 0.8) that the rule does not send it. Prints the reader's CPU ms
per image over all images, counted where the rule sends it; writes the "## Text presence" section of
docs/benchmarks.md.

    python bench/text_presence.py [--photos 60] [--no-docs]
"""
import argparse
import io
import re
import time

import harness
from eager_renditions import setup
from harness import write_section

HEADING = "## Text presence"
WORKING_SIZE = 1280  # the largest rendition, which the worker's models read
WORD = re.compile(r"\w")


def images(photo_count):
    """(name, RGB image at working size) of every judged image on this machine and ``photo_count`` bench photos."""
    import pillow_heif
    from PIL import Image, ImageOps

    from search import evaluation

    pillow_heif.register_heif_opener()
    from pipeline import photos

    for judged in evaluation.judged_images():
        try:
            path = evaluation.locate(judged)
        except evaluation.ImageMissing:
            continue
        with Image.open(path) as opened:
            yield judged.key, ImageOps.exif_transpose(opened).convert("RGB")
    for name, data in photos(photo_count):
        yield f"pipeline {name}", Image.open(io.BytesIO(data)).convert("RGB")


def read_words(engine, bgr):
    result = engine(bgr)
    return [text for text, score in zip(result.txts or (), result.scores or ())
            if score >= 0.8 and len(WORD.findall(text)) >= 2]


def measure(photo_count):
    import numpy as np

    from enrichment.adapters.ocr import PACKAGE_MODELS, _load, text_shaped
    from enrichment.adapters.prepare import rgb_array

    check, reader = _load(PACKAGE_MODELS, presence_check=True), _load(PACKAGE_MODELS)
    rows = []
    for name, image in images(photo_count):
        image.thumbnail((WORKING_SIZE, WORKING_SIZE))
        bgr = np.ascontiguousarray(rgb_array(image)[:, :, ::-1])
        started = time.process_time()
        found = check(bgr)
        check_s = time.process_time() - started
        regions = list(zip(found.boxes, found.scores)) if found.boxes is not None else []
        row = {"name": name, "check_s": check_s, "before": bool(regions),
               "after": any(text_shaped(corners, score, min(bgr.shape[:2])) for corners, score in regions),
               "read_s": 0.0, "words": []}
        started = time.process_time()
        row["words"] = read_words(reader, bgr)
        row["read_s"] = time.process_time() - started
        rows.append(row)
    return rows


def report(rows):
    count = len(rows)
    with_words = [row for row in rows if row["words"]]

    def kept(side):
        return f"{sum(row[side] for row in with_words)} of {len(with_words)}"

    def per_image_ms(side):
        return 1000 * sum(row["read_s"] for row in rows if row[side]) / count

    about = harness.machine()
    check_ms = 1000 * sum(row["check_s"] for row in rows) / count
    lines = [
        HEADING, "",
        f"Run {about['date']} by `bench/text_presence.py`. Machine: {about['cpus']} CPUs ({about['cpu']}), "
        f"{about['ram']} RAM, load average {about['load average']}.", "",
        f"{count} images at working size (search's judged set found on this machine and bench/pipeline.py's "
        f"photos). The presence check (detector alone) costs {check_ms:.0f} ms of CPU per image either way; the "
        "reader's CPU is counted on the images the rule sends it, averaged over all images.", "",
        "| presence rule | images sent to the reader | reader CPU ms per image | images with words the reader "
        "would find, kept |",
        "|---|---:|---:|---:|",
        f"| any region (before) | {sum(row['before'] for row in rows)} | {per_image_ms('before'):.0f} | "
        f"{kept('before')} |",
        f"| confident, text-shaped region (after) | {sum(row['after'] for row in rows)} | "
        f"{per_image_ms('after'):.0f} | {kept('after')} |", "",
    ]
    for side, rule in (("before", "any region"), ("after", "text-shaped regions")):
        lost = [f"{row['name']} ({', '.join(row['words'][:3])})" for row in with_words if not row[side]]
        if lost:
            lines.append(f"Words on images the reader skips with {rule}: {'; '.join(lost)}.")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=60, help="bench/pipeline.py photos besides the judged set")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    setup()
    text = report(measure(args.photos))
    print(text)
    if not args.no_docs:
        write_section(HEADING, text)


if __name__ == "__main__":
    main()
