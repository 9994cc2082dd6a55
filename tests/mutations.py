"""Seeded mutations of real and built image files, for tests that feed damaged uploads through ingest and renditions.

Each mutation is what damaged files in the wild look like: flipped bytes, cut or inserted runs, a file cut short,
or a header claiming another size (which makes very tall or very wide images). The seed makes a run repeatable.
"""
import io
import random

import numpy as np
import pillow_heif
from PIL import Image

from support import SAMPLES

pillow_heif.register_heif_opener()

# Small real files (camera EXIF, orientation, HEIF, TIFF), read in place from the shared samples.
SAMPLE_SEEDS = (
    "jpg/WWL_(Polaroid)_ION230.jpg",
    "jpg/Sony_HDR-HC3.jpg",
    "jpg/orientation/portrait_6.jpg",
    "heic/samplefilehub.heif",
    "tiff/Tless0.tiff",
)
# (marker, offset of the height after it, its bytes): JPEG SOF0/SOF2 (length and precision first), PNG IHDR.
# A reader that believes a height of 65,000 must still make previews or refuse in words.
SIZE_FIELDS = ((b"\xff\xc0", 5, 2), (b"\xff\xc2", 5, 2), (b"IHDR", 8, 4))


def encoded(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def built_seeds():
    """Formats the shared samples lack, and degenerate shapes, made here."""
    pixels = np.random.default_rng(7).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    photo = Image.fromarray(pixels, "RGB")
    frames = [Image.new("P", (20, 300), index) for index in range(3)]
    return {
        "noise.png": encoded(photo.convert("RGBA"), "PNG"),
        "noise.webp": encoded(photo, "WEBP"),
        "noise.avif": encoded(photo, "AVIF"),
        "noise.heic": encoded(photo, "HEIF"),
        "tall.gif": encoded(frames[0], "GIF", save_all=True, append_images=frames[1:]),
        "tall.jpg": encoded(Image.new("RGB", (200, 20000), "teal"), "JPEG"),
    }


def seed_files():
    """name -> bytes of every seed: the shared samples present here, and the built ones."""
    seeds = {path: (SAMPLES / path).read_bytes() for path in SAMPLE_SEEDS if (SAMPLES / path).is_file()}
    return seeds | built_seeds()


def mutate(data, rng):
    """One damaged copy of ``data``: one to six edits, chosen by ``rng``."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        if len(data) < 16:
            break
        position = rng.randrange(len(data))
        edit = rng.random()
        if edit < 0.4:
            data[position] = rng.randrange(256)
        elif edit < 0.55:
            del data[position:position + rng.randint(1, 64)]
        elif edit < 0.7:
            data[position:position] = rng.randbytes(rng.randint(1, 32))
        elif edit < 0.8:
            del data[max(16, position):]
        else:
            _claim_another_size(data, rng)
    return bytes(data)


def _claim_another_size(data, rng):
    """Rewrite the height of the first size field found (JPEG SOF, PNG IHDR) with a random, often extreme, one."""
    for marker, offset, width in SIZE_FIELDS:
        at = data.find(marker)
        if at >= 0:
            height = rng.choice((1, 2, 9000, 20000, 65000, rng.randrange(1, 65536)))
            data[at + offset:at + offset + width] = height.to_bytes(width, "big")
            return


def mutated_uploads(count, seed):
    """``count`` (name, bytes) pairs, the same ones for the same ``seed``."""
    rng = random.Random(seed)
    seeds = seed_files()
    names = sorted(seeds)
    for index in range(count):
        name = names[index % len(names)]
        yield f"{index:03d}-{name.rsplit('/', 1)[-1]}", mutate(seeds[name], rng)


def assert_readable(refused, name=""):
    """A refusal a person can read: a 4xx and a sentence, no Python reprs, addresses or error numbers."""
    assert 400 <= refused.status < 500, name
    for technical in ("<", "0x", "object at", "Errno", "Traceback"):
        assert technical not in refused.message, f"{name}: {refused.message}"
    assert refused.message.endswith("."), f"{name}: {refused.message}"
