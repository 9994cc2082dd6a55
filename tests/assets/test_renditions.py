"""Renditions from the shared samples on the real database and storage: specs, sizes, formats, orientation,
colour, idempotency and the losing side of a race."""
import hashlib
import io
import os

import numpy as np
import pytest
import pyvips
from django.core.files.storage import default_storage
from PIL import Image, ImageOps

from assets.models import AssetVersion, Rendition
from assets.renditions import (
    RenditionError,
    RenditionSpec,
    default_specs,
    ensure_default_renditions,
    get_rendition,
    make_renditions,
    on_request_specs,
)
from assets.services.ingest import ingest_file

pytestmark = pytest.mark.django_db

PILLOW_FORMATS = {"jpeg": "JPEG", "webp": "WEBP", "avif": "AVIF", "png": "PNG"}


def ingest_path(path, actor):
    with path.open("rb") as handle:
        return ingest_file(handle, filename=path.name, actor=actor).version


def ingest_bytes(data, name, actor):
    return ingest_file(io.BytesIO(data), filename=name, actor=actor).version


def encoded(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def noise(size, mode="RGB", seed=0):
    """Random pixels: every call with a new seed is a new file (and a new content address)."""
    bands = len(mode)
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], bands), dtype=np.uint8)
    return Image.fromarray(pixels.squeeze(), mode)


def opened(rendition):
    with rendition.file.open("rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def files_of(version):
    folder = f"renditions/{version.sha256[:2]}/{version.sha256}"
    return {name: os.path.getmtime(default_storage.path(f"{folder}/{name}")) for name in default_storage.listdir(folder)[1]}


@pytest.mark.parametrize("text, canonical", [
    ("width-640|format-webp", "width-640|format-webp"),
    ("max-800x600|format-jpeg|jpegquality-82", "max-800x600|format-jpeg"),
    ("max-800x600|format-jpeg|jpegquality-90", "max-800x600|format-jpeg|jpegquality-90"),
    ("fill-400x300|format-avif", "fill-400x300|format-avif"),
    ("original|format-jpeg", "original|format-jpeg"),
    (" Format-WebP | width-320 ", "width-320|format-webp"),
    ("width-320", "width-320|format-jpeg"),
    ("format-png", "original|format-png"),
    ("width-4096|format-avif|avifquality-50", "width-4096|format-avif|avifquality-50"),
])
def test_specs_have_one_canonical_form(text, canonical):
    spec = RenditionSpec.parse(text)
    assert str(spec) == canonical
    assert RenditionSpec.parse(canonical) == spec


@pytest.mark.parametrize("text", [
    "", "   ", "blur-3", "width-4097", "max-800x5000", "fill-0x10", "width-640px", "width-",
    "max-800", "width-640|width-320", "width-640|max-10x10", "format-gif", "format-webp|format-jpeg",
    "width-640|format-jpeg|webpquality-70", "jpegquality-0", "jpegquality-101", "format-png|pngquality-5",
    "original-1", "width-640||format-jpeg",
])
def test_invalid_specs_are_refused(text):
    with pytest.raises(ValueError):
        RenditionSpec.parse(text)


def test_default_specs_come_from_settings(settings):
    settings.LUMEN_RENDITION_WIDTHS = [200, 800]
    settings.LUMEN_RENDITION_FORMATS = ["avif", "jpeg"]
    assert [str(spec) for spec in default_specs()] == [
        "width-800|format-avif", "width-800|format-jpeg", "width-200|format-avif", "width-200|format-jpeg",
    ]


def test_on_request_formats_are_offered_but_not_made_after_ingest(settings):
    settings.LUMEN_RENDITION_WIDTHS = [200, 800]
    settings.LUMEN_RENDITION_FORMATS = ["webp", "avif", "jpeg"]
    settings.LUMEN_RENDITION_ON_REQUEST_FORMATS = ["webp"]
    assert [str(spec) for spec in default_specs()] == [
        "width-800|format-avif", "width-800|format-jpeg", "width-200|format-avif", "width-200|format-jpeg",
    ]
    assert [str(spec) for spec in on_request_specs()] == ["width-800|format-webp", "width-200|format-webp"]


@pytest.mark.parametrize("relative", [
    "jpg/mobile/jolla.jpg",
    "jpg/Canon_40D.jpg",
    "jpg/corrupted.jpg",
    "tiff/BSG1.tiff",
    "tiff/Arbitro.tiff",
    "heic/IMG_5195.HEIC",
    "heic/mobile/HMD_Nokia_8.3_5G.heif",
])
def test_samples_get_every_default_rendition_at_the_right_size(samples, actor, relative):
    version = ingest_path(samples / relative, actor)
    ensure_default_renditions(version)
    renditions = list(version.renditions.all())
    assert sorted(r.spec for r in renditions) == sorted(str(spec) for spec in default_specs())
    for rendition in renditions:
        spec = RenditionSpec.parse(rendition.spec)
        image = opened(rendition)
        assert image.format == PILLOW_FORMATS[rendition.format] and rendition.format == spec.format
        assert image.size == (rendition.width, rendition.height)
        assert rendition.width == min(spec.width, version.width), "never upscaled"
        assert rendition.height == pytest.approx(version.height * rendition.width / version.width, abs=1)
        assert rendition.bytes == rendition.file.size
        assert not image.getexif() and "icc_profile" not in image.info, "metadata is stripped"


def test_png_with_alpha_keeps_it_except_in_jpeg(actor):
    image = Image.new("RGBA", (700, 500), (200, 0, 0, 255))
    image.paste((0, 0, 0, 0), (0, 0, 100, 100))
    version = ingest_bytes(encoded(image, "PNG"), "alpha.png", actor)
    ensure_default_renditions(version)
    jpeg = opened(version.renditions.get(spec="width-320|format-jpeg"))
    assert jpeg.mode == "RGB" and min(jpeg.getpixel((2, 2))) >= 250, "transparent flattens to white"
    avif = opened(version.renditions.get(spec="width-320|format-avif"))
    assert avif.mode == "RGBA" and avif.getpixel((2, 2))[3] == 0
    webp = opened(get_rendition(version, "width-320|format-webp"))  # made on request
    assert webp.mode == "RGBA" and webp.getpixel((2, 2))[3] == 0


def test_sixteen_bit_tiff_keeps_its_tones(actor, tmp_path):
    ramp = np.tile(np.linspace(0, 65535, 600, dtype=np.uint16), (200, 1))
    path = tmp_path / "ramp16.tif"
    pyvips.Image.new_from_array(np.dstack([ramp] * 3)).copy(interpretation="rgb16").tiffsave(str(path))
    version = ingest_path(path, actor)
    make_renditions(version, [RenditionSpec.parse("width-300|format-png")])
    rendered = np.asarray(opened(version.renditions.get()).convert("L"), dtype=float)
    assert rendered[:, :20].mean() < 10 and rendered[:, -20:].mean() > 245
    assert rendered[:, 140:160].mean() == pytest.approx(128, abs=8)


def test_animated_gif_renders_its_first_frame(actor):
    frames = [Image.new("RGB", (60, 40), color) for color in ("red", "blue", "green")]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    version = ingest_bytes(data, "blink.gif", actor)
    rendition = get_rendition(version, "width-60|format-png")
    red, green, blue = opened(rendition).convert("RGB").getpixel((30, 20))
    assert red > 200 and green < 40 and blue < 40


def _grey(rendition):
    return np.asarray(opened(rendition).convert("L").resize((160, 120)), dtype=float)


def _similarity(a, b):
    return np.corrcoef(a.ravel(), b.ravel())[0, 1]


@pytest.mark.parametrize("shape", ["landscape", "portrait"])
def test_every_exif_orientation_renders_upright_in_srgb(samples, actor, settings, shape):
    """The samples are one photo stored eight ways (2-8 tagged Generic RGB); all must look like number 1."""
    settings.LUMEN_RENDITION_WIDTHS, settings.LUMEN_RENDITION_FORMATS = [320], ["jpeg"]
    renditions = {}
    for n in range(1, 9):
        version = ingest_path(samples / f"jpg/orientation/{shape}_{n}.jpg", actor)
        (renditions[n],) = ensure_default_renditions(version)
    reference = _grey(renditions[1])
    assert _similarity(reference, np.fliplr(reference)) < 0.8, "the check can tell a mirrored picture"
    for n, rendition in renditions.items():
        wide = rendition.width > rendition.height
        assert wide == (shape == "landscape"), n
        assert _similarity(_grey(rendition), reference) > 0.95, n
        assert abs(_grey(rendition).mean() - reference.mean()) < 4, f"{n}: Generic RGB converted to sRGB"


def test_rerunning_creates_no_rows_and_rewrites_no_files(samples, actor):
    version = ingest_path(samples / "jpg/gps/DSCN0010.jpg", actor)
    first = ensure_default_renditions(version)
    rows, files = set(version.renditions.values_list("pk", flat=True)), files_of(version)
    assert len(first) == len(default_specs()) == len(rows)
    assert ensure_default_renditions(version) == []
    assert set(version.renditions.values_list("pk", flat=True)) == rows
    assert files_of(version) == files


def test_a_missing_row_is_remade_under_the_same_file_name(samples, actor):
    version = ingest_path(samples / "jpg/gps/DSCN0012.jpg", actor)
    ensure_default_renditions(version)
    lost = version.renditions.get(spec="width-640|format-avif")
    name = lost.file.name
    lost.delete()
    (remade,) = ensure_default_renditions(version)
    assert remade.spec == "width-640|format-avif" and remade.file.name == name
    assert set(files_of(version)) == {n.rsplit("/", 1)[1] for n in version.renditions.values_list("file", flat=True)}


def test_losing_a_race_keeps_the_winners_rows_and_leaves_no_files(actor):
    version = ingest_bytes(encoded(noise((500, 400), seed=1), "PNG"), "race.png", actor)
    winners = ensure_default_renditions(version)
    files = files_of(version)
    late = make_renditions(version, default_specs())
    assert [r.pk for r in late] == [r.pk for r in winners]
    assert Rendition.objects.filter(version=version).count() == len(winners)
    assert set(files_of(version)) == set(files)


def test_identical_outputs_share_one_file(actor):
    version = ingest_bytes(encoded(noise((600, 300), seed=2), "PNG"), "small.png", actor)
    ensure_default_renditions(version)
    big, middle = (version.renditions.get(spec=f"width-{w}|format-avif") for w in (1280, 640))
    assert big.file.name == middle.file.name and (big.width, big.height) == (600, 300)
    assert len(files_of(version)) == 2 * len(default_specs()) // 3, "320 and one file for 640 and 1280, per format"


def test_on_demand_specs_are_made_once(actor):
    version = ingest_bytes(encoded(noise((900, 500), seed=3), "PNG"), "wide.png", actor)
    filled = get_rendition(version, "fill-200x200|format-webp")
    assert (filled.width, filled.height) == opened(filled).size == (200, 200)
    assert get_rendition(version, "fill-200x200|format-webp|webpquality-80").pk == filled.pk
    boxed = get_rendition(version, "max-300x300|format-avif")
    assert opened(boxed).size == (300, 167)
    with pytest.raises(ValueError):
        get_rendition(version, "width-9000|format-webp")


def test_a_transform_applies_to_its_version_only(actor):
    """Blurred faces must never land in the file an untransformed twin of the same bytes serves."""
    plain = ingest_bytes(encoded(noise((400, 300), seed=4), "PNG"), "twin.png", actor)
    make_renditions(plain, [RenditionSpec.parse("width-100|format-png")])
    twin = AssetVersion.objects.create(
        asset=plain.asset, number=2, file=plain.file.name, sha256=plain.sha256, format=plain.format,
        mime_type=plain.mime_type, width=plain.width, height=plain.height, bytes=plain.bytes,
    )
    (inverted,) = make_renditions(twin, [RenditionSpec.parse("width-100|format-png")], transform=ImageOps.invert)
    original = plain.renditions.get()
    assert inverted.file.name != original.file.name and f"/version-{twin.pk}/" in inverted.file.name
    total = np.asarray(opened(inverted), dtype=int) + np.asarray(opened(original), dtype=int)
    assert np.abs(total - 255).mean() < 3


def test_an_undecodable_original_raises_a_clear_error(actor):
    data = encoded(noise((64, 64), seed=5), "PNG")
    sha256 = hashlib.sha256(data).hexdigest()
    name = f"originals/{sha256[:2]}/{sha256}.png"
    default_storage.delete(name)
    version = ingest_bytes(data, "rot.png", actor)
    with default_storage.open(version.file.name, "wb") as stored:
        stored.write(data[:80])
    try:
        with pytest.raises(RenditionError, match="PNG original cannot be decoded"):
            ensure_default_renditions(version)
        assert not version.renditions.exists()
    finally:
        default_storage.delete(name)


@pytest.mark.parametrize("fmt, size", [("JPEG", (200, 20000)), ("GIF", (30, 40000)), ("PNG", (90, 20000))])
def test_very_long_images_get_every_preview_within_each_formats_limits(actor, fmt, size):
    """WebP stops at 16,383 pixels a side: a 200×20000 strip was once accepted and left without previews."""
    version = ingest_bytes(encoded(Image.new("RGB", size, "teal"), fmt), f"strip.{fmt.lower()}", actor)
    renditions = ensure_default_renditions(version)
    assert sorted(r.spec for r in renditions) == sorted(str(spec) for spec in default_specs())
    for rendition in renditions:
        image = opened(rendition)
        assert image.size == (rendition.width, rendition.height)
        assert max(image.size) <= 4096, "a width-… preview is at most 4096 pixels tall"
        assert image.width / image.height == pytest.approx(size[0] / size[1], rel=0.05)


@pytest.mark.parametrize("spec, size", [
    ("width-320|format-webp", (41, 4096)),
    ("width-1280|format-jpeg", (41, 4096)),
    ("original|format-webp", (164, 16383)),
    ("original|format-jpeg", (200, 20000)),
    ("max-800x600|format-avif", (6, 600)),
])
def test_plans_fit_the_format_and_cap_the_height_of_width_renditions(spec, size):
    assert RenditionSpec.parse(spec).plan(200, 20000).size == size


def test_a_heif_whose_exif_block_is_broken_still_renders(actor):
    """Its EXIF cannot be parsed ("not a TIFF file"): the picture is still shown, upright as libheif decodes it."""
    exif = b"Exif\x00\x00" + b"garbage, not a TIFF header" * 4
    data = encoded(noise((120, 80), seed=11), "HEIF", exif=exif)
    version = ingest_bytes(data, "broken-exif.heic", actor)
    renditions = ensure_default_renditions(version)
    assert {(r.width, r.height) for r in renditions} == {(120, 80)}
