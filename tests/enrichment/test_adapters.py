"""Model adapters on real (offline) models and skimage sample images; no database."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms
from skimage import data

from enrichment.adapters import (
    UNSAFE_CLASSES,
    ClipEmbedder,
    Detection,
    FaceDetector,
    ImageClassifier,
    ModerationClassifier,
    ObjectDetector,
    TextLine,
    TextRecognizer,
    to_rgb,
)
from enrichment.adapters import ocr as ocr_module
from support import MODELS as MODEL_DIR

needs_models = pytest.mark.skipif(
    not (MODEL_DIR / "mobilenetv2-12-int8.onnx").is_file(), reason=f"shared models not found at {MODEL_DIR}"
)

CAT_WNIDS = {"n02123045", "n02123159", "n02123394", "n02123597", "n02124075"}
CUP, ESPRESSO = "n07930864", "n07920052"


def sample(name: str) -> Image.Image:
    return to_rgb(Image.fromarray(getattr(data, name)()))


@pytest.fixture(scope="module")
def chelsea():
    return sample("chelsea")


@pytest.fixture(scope="module")
def coffee():
    return sample("coffee")


@pytest.fixture(scope="module")
def astronaut():
    return sample("astronaut")


def exif_rotated_jpeg(image: Image.Image, orientation: int) -> Image.Image:
    """Store ``image`` sideways with the EXIF tag that tells viewers how to turn it back upright."""
    stored = image.transpose(Image.Transpose.ROTATE_90 if orientation == 6 else Image.Transpose.ROTATE_270)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=95, exif=exif.tobytes())
    return Image.open(io.BytesIO(buffer.getvalue()))


def in_bounds(detection: Detection, image: Image.Image) -> bool:
    x, y, w, h = detection.box
    return 0 <= x and 0 <= y and w > 0 and h > 0 and x + w <= image.width + 1e-3 and y + h <= image.height + 1e-3


# --- prepare.to_rgb -----------------------------------------------------------------


@pytest.mark.parametrize("orientation", [6, 8])
def test_to_rgb_applies_exif_orientation(chelsea, orientation):
    loaded = exif_rotated_jpeg(chelsea, orientation)
    assert loaded.size == (chelsea.height, chelsea.width)
    upright = to_rgb(loaded)
    assert upright.size == chelsea.size
    error = np.abs(np.asarray(upright, np.int16) - np.asarray(chelsea, np.int16)).mean()
    assert error < 4  # JPEG loss only; a wrong turn would be ~50


def test_to_rgb_flattens_alpha_on_white():
    rgba = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    rgba.putpixel((0, 0), (255, 0, 0, 255))
    out = to_rgb(rgba)
    assert out.mode == "RGB"
    assert out.getpixel((0, 0)) == (255, 0, 0)
    assert out.getpixel((1, 1)) == (255, 255, 255)
    grey_alpha = to_rgb(Image.new("LA", (2, 2), (10, 0)))
    assert grey_alpha.getpixel((0, 0)) == (255, 255, 255)


def test_to_rgb_palette_with_transparency():
    palette = Image.new("P", (2, 2), 0)
    palette.putpalette([0, 0, 255, 0, 255, 0])
    palette.putpixel((1, 1), 1)
    palette.info["transparency"] = 0
    out = to_rgb(palette)
    assert out.getpixel((0, 0)) == (255, 255, 255)
    assert out.getpixel((1, 1)) == (0, 255, 0)


def test_to_rgb_colour_key_transparency():
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), (1, 2, 3)).save(buffer, "PNG", transparency=(1, 2, 3))
    assert to_rgb(Image.open(buffer)).getpixel((0, 0)) == (255, 255, 255)


def test_to_rgb_high_bit_depth_and_float():
    ramp16 = np.linspace(0, 65535, 256).astype(np.uint16).reshape(16, 16)
    out = np.asarray(to_rgb(Image.fromarray(ramp16)))
    assert out.shape == (16, 16, 3) and out.dtype == np.uint8
    assert out[0, 0, 0] == 0 and out[-1, -1, 0] == 255
    assert abs(int(out[8, 0, 0]) - 128) <= 2
    unit_float = Image.fromarray(np.full((2, 2), 0.5, dtype=np.float32))
    assert to_rgb(unit_float).getpixel((0, 0)) == (128, 128, 128)
    wide_float = Image.fromarray(np.array([[-3.0, 5.0]], dtype=np.float32))
    assert [to_rgb(wide_float).getpixel((x, 0))[0] for x in (0, 1)] == [0, 255]
    eight_bit_int = Image.new("L", (1, 1), 200).convert("I")
    assert to_rgb(eight_bit_int).getpixel((0, 0)) == (200, 200, 200)


def test_to_rgb_cmyk_and_bilevel():
    assert to_rgb(Image.new("CMYK", (2, 2), (0, 0, 0, 0))).getpixel((0, 0)) == (255, 255, 255)
    assert to_rgb(Image.new("1", (2, 2), 1)).getpixel((0, 0)) == (255, 255, 255)


def test_to_rgb_icc_profiles(chelsea):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    tagged = chelsea.copy()
    tagged.info["icc_profile"] = srgb
    out = to_rgb(tagged)
    assert "icc_profile" not in out.info
    assert np.abs(np.asarray(out, np.int16) - np.asarray(chelsea, np.int16)).max() <= 2

    broken = chelsea.copy()
    broken.info["icc_profile"] = b"not an icc profile"
    assert np.array_equal(np.asarray(to_rgb(broken)), np.asarray(chelsea))

    grey_profile_on_rgb = chelsea.copy()  # colour space mismatch: ignored, not fatal
    grey_profile_on_rgb.info["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    assert to_rgb(grey_profile_on_rgb).mode == "RGB"


@needs_models
def test_adapters_refuse_unprepared_images():
    with pytest.raises(ValueError, match="to_rgb"):
        ImageClassifier(MODEL_DIR).classify([Image.new("L", (8, 8))])


# --- classifier ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def classifier():
    return ImageClassifier(MODEL_DIR)


@needs_models
def test_classifier_labels_samples(classifier, chelsea, coffee):
    cat_top, coffee_top = classifier.classify([chelsea, coffee], top_k=5)
    assert cat_top[0][0] in CAT_WNIDS
    assert {CUP, ESPRESSO} & {wnid for wnid, _ in coffee_top}
    assert len(cat_top) == 5
    scores = [score for _, score in cat_top]
    assert scores == sorted(scores, reverse=True) and 0 < sum(scores) <= 1 + 1e-6


@needs_models
@pytest.mark.parametrize("orientation", [6, 8])
def test_classifier_sees_exif_rotated_photo_upright(classifier, chelsea, orientation):
    rotated = to_rgb(exif_rotated_jpeg(chelsea, orientation))
    assert classifier.classify([rotated], top_k=1)[0][0][0] == classifier.classify([chelsea], top_k=1)[0][0][0]


@needs_models
def test_classifier_features(classifier, chelsea, coffee):
    cropped = chelsea.crop((10, 8, chelsea.width - 12, chelsea.height - 6))
    features = classifier.features([chelsea, cropped, coffee])
    assert features.shape == (3, 1280) and features.dtype == np.float32
    assert np.allclose(np.linalg.norm(features, axis=1), 1.0, atol=1e-5)
    assert features[0] @ features[1] > features[0] @ features[2]


@needs_models
def test_classifier_one_pass_matches_separate_calls_and_batching(classifier, chelsea, coffee, astronaut):
    images = [chelsea, coffee, astronaut]
    labels, features = classifier.classify_and_embed(images, top_k=3)
    assert labels == classifier.classify(images, top_k=3)
    assert np.allclose(features, classifier.features(images))
    one_by_one = np.concatenate([classifier.features([image]) for image in images])
    assert np.allclose(features, one_by_one, atol=1e-5)
    empty_labels, empty_features = classifier.classify_and_embed([])
    assert empty_labels == [] and empty_features.shape == (0, 1280)


@needs_models
def test_classifier_info(classifier):
    expected = {line.split()[1]: line.split()[0] for line in (MODEL_DIR / "SHA256SUMS").read_text().splitlines()}
    assert classifier.info.file_sha256 == expected["mobilenetv2-12-int8.onnx"]
    assert classifier.info.name == "mobilenetv2-12-int8.onnx"
    assert len(classifier.labels) == 1000


# --- object detector ----------------------------------------------------------------


@pytest.fixture(scope="module")
def detector():
    return ObjectDetector(MODEL_DIR)


@needs_models
def test_detector_finds_expected_objects(detector, astronaut, coffee, chelsea):
    images = [astronaut, coffee, chelsea]
    found = detector.detect(images)
    assert any(d.label == "person" and d.score >= 0.5 for d in found[0])
    assert any(d.label == "cup" for d in found[1])
    assert any(d.label == "cat" for d in found[2])
    for image, detections in zip(images, found):
        assert all(in_bounds(d, image) for d in detections)
        assert all(d.score >= 0.3 for d in detections)


@needs_models
def test_detector_boxes_are_in_original_pixels(detector, coffee):
    (small,) = detector.detect([coffee])
    (large,) = detector.detect([coffee.resize((coffee.width * 2, coffee.height * 2), Image.Resampling.BILINEAR)])
    cup_small = next(d for d in small if d.label == "cup")
    cup_large = next(d for d in large if d.label == "cup")
    assert np.allclose(np.array(cup_large.box), 2 * np.array(cup_small.box), atol=12)


@needs_models
def test_detector_threshold_and_empty(detector, coffee):
    assert detector.detect([]) == []
    strict = detector.detect([coffee], score_threshold=0.85)[0]
    assert [d.label for d in strict] == ["cup"]


# --- faces --------------------------------------------------------------------------


@needs_models
def test_faces_yunet(astronaut, chelsea):
    faces = FaceDetector(MODEL_DIR)
    assert faces.info.name == "face_detection_yunet_2023mar.onnx"
    on_astronaut, on_cat = faces.detect([astronaut, chelsea])
    assert len(on_astronaut) == 1 and on_astronaut[0].label == "face" and on_astronaut[0].score >= 0.8
    assert in_bounds(on_astronaut[0], astronaut)
    assert on_cat == []


@needs_models
def test_faces_downscaled_detection_maps_back(astronaut):
    faces = FaceDetector(MODEL_DIR)
    big = astronaut.resize((astronaut.width * 3, astronaut.height * 3), Image.Resampling.BILINEAR)
    ((small_face,), (big_face,)) = faces.detect([astronaut, big])
    assert np.allclose(np.array(big_face.box), 3 * np.array(small_face.box), rtol=0.1, atol=15)


def test_faces_fall_back_to_haar_without_yunet(tmp_path, astronaut, chelsea):
    faces = FaceDetector(tmp_path)
    assert faces.info.name == "haarcascade_frontalface_default.xml"
    on_astronaut, on_cat = faces.detect([astronaut, chelsea])
    assert on_astronaut and all(in_bounds(d, astronaut) for d in on_astronaut)
    assert on_cat == []


# --- OCR ----------------------------------------------------------------------------


real_load = ocr_module._load


@pytest.fixture(scope="module")
def ocr():
    return TextRecognizer()


def test_ocr_reads_printed_page(ocr):
    lines = ocr.read(sample("page"))
    text = "\n".join(line.text for line in lines)
    assert "Region-based segmentation" in text
    assert "markers" in text and "background" in text
    page = sample("page")
    for line in lines:
        assert isinstance(line, TextLine) and 0 <= line.score <= 1 and len(line.points) == 4
        x, y, w, h = line.box
        assert x >= 0 and y >= 0 and x + w <= page.width + 1 and y + h <= page.height + 1


def test_ocr_runs_its_reader_only_where_the_presence_check_finds_text(ocr, chelsea, monkeypatch):
    """The cat photo has no text: the cheap detector pass says so and the full reader is never loaded or run."""
    def bgr(image):
        return np.ascontiguousarray(np.asarray(image)[:, :, ::-1])

    assert ocr.shows_text(bgr(sample("page")))
    assert not ocr.shows_text(bgr(chelsea))
    monkeypatch.setattr(ocr_module, "_load", lambda models_dir, presence_check=False: (
        real_load(models_dir, presence_check) if presence_check else pytest.fail("the full reader ran")))
    assert ocr.read(chelsea) == []


def test_presence_check_ignores_regions_not_shaped_like_text(ocr):
    """On scikit-image's coffee photo the detector's only region is one box around most of the cup (score
    ~0.6): not a line and not a banner, so the reader does not run."""
    coffee = np.ascontiguousarray(np.asarray(sample("coffee"))[:, :, ::-1])
    assert real_load(ocr.models_dir, presence_check=True)(coffee).boxes is not None
    assert not ocr.shows_text(coffee)


@pytest.mark.parametrize(("corners", "score", "image_short_side", "text_shaped"), [
    (((10, 10), (300, 10), (300, 40), (10, 40)), 0.6, 400, True),       # a line 30 px high
    (((0, 0), (170, 0), (170, 38), (0, 38)), 0.8, 38, True),            # a banner filling a logo's height
    (((0, 0), (500, 0), (500, 390), (0, 390)), 0.7, 400, False),        # one box around the whole photo
    (((10, 10), (300, 10), (300, 40), (10, 40)), 0.2, 400, False),      # a faint line
    (((200, 0), (400, 200), (200, 400), (0, 200)), 0.6, 400, False),    # a tilted square over half the height
    (((0, 150), (280, 10), (300, 50), (20, 190)), 0.6, 400, True),      # a tilted line
])
def test_text_shaped_regions(corners, score, image_short_side, text_shaped):
    assert ocr_module.text_shaped(corners, score, image_short_side) is text_shaped


def test_ocr_handwriting_sample_runs(ocr):
    # skimage's text() is handwritten maths on a slanted sheet: the printed-text
    # models find nothing stable there (measured: no line at the default threshold).
    lines = ocr.read_batch([sample("text")])[0]
    assert all(isinstance(line, TextLine) for line in lines)


def test_ocr_never_downloads(monkeypatch):
    from rapidocr.utils import download_file

    from enrichment.adapters import ocr as ocr_module

    def refuse(*args, **kwargs):
        raise AssertionError("RapidOCR tried to download a file")

    monkeypatch.setattr(download_file.DownloadFile, "run", staticmethod(refuse))
    engine = ocr_module._load.__wrapped__(ocr_module.PACKAGE_MODELS)
    assert engine(np.full((64, 256, 3), 255, np.uint8)).txts is None


def test_ocr_info(ocr):
    info = ocr.info
    assert info.name == "rapidocr" and "PP-OCRv6_rec_small" in info.version
    assert [name for name, _ in info.components] == [
        "PP-OCRv6_det_small.onnx",
        "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
        "PP-OCRv6_rec_small.onnx",
    ]
    assert all(len(sha) == 64 for _, sha in info.components) and len(info.file_sha256) == 64


# --- moderation ---------------------------------------------------------------------


def test_moderation_scores_safe_samples_low(chelsea, coffee, astronaut):
    from nudenet import nudenet as nudenet_module

    from enrichment.adapters.moderation import CLASSES

    assert list(CLASSES) == vars(nudenet_module)["__labels"]  # same order as the model's outputs
    results = ModerationClassifier().score([chelsea, coffee, astronaut])
    for scores in results:
        assert set(scores) == set(CLASSES) | {"unsafe"}
        assert all(0.0 <= value <= 1.0 for value in scores.values())
        assert scores["unsafe"] == max(scores[name] for name in UNSAFE_CLASSES)
    assert results[0]["unsafe"] < 0.2 and results[1]["unsafe"] < 0.2
    assert ModerationClassifier().score([]) == []


def test_moderation_decodes_the_regions_nudenet_itself_keeps(chelsea, coffee, astronaut):
    """The adapter decodes the model's output in whole arrays instead of NudeNet's per-anchor loop: every class
    score must equal what NudeNet's own ``detect_batch`` reports, regions and NMS included."""
    from enrichment.adapters import moderation

    images = [chelsea, coffee, astronaut, sample("camera").convert("RGB")]
    detector = moderation._load(moderation.MODEL_FILE)
    expected = []
    for regions in detector.detect_batch([np.ascontiguousarray(np.asarray(image)[:, :, ::-1]) for image in images],
                                         batch_size=len(images)):
        scores = dict.fromkeys(moderation.CLASSES, 0.0)
        for region in regions:
            scores[region["class"]] = max(scores[region["class"]], region["score"])
        expected.append(scores)
    found = ModerationClassifier().score(images)
    assert [{name: scores[name] for name in moderation.CLASSES} for scores in found] == expected
    assert any(value > 0 for value in expected[2].values()), "the astronaut's face is a region"


# --- CLIP ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def random_clip():
    return ClipEmbedder("ViT-B-32", pretrained=None, batch_size=4)


def test_clip_random_init_plumbing(random_clip, chelsea, coffee, astronaut):
    assert random_clip.info.version == "random-init" and random_clip.info.file_sha256 is None
    assert random_clip.is_semantic is False
    images = [chelsea, coffee, astronaut, chelsea.resize((200, 150)), coffee.crop((0, 0, 300, 300))]
    batch = random_clip.embed_images(images)  # batch_size 4: spans two batches
    assert batch.shape == (5, 512) and batch.dtype == np.float32
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    one_by_one = np.concatenate([random_clip.embed_images([image]) for image in images])
    assert np.allclose(batch, one_by_one, atol=1e-4)
    texts = random_clip.embed_texts(["a cat", "a car", "a cup of coffee"])
    assert texts.shape == (3, 512) and np.allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
    assert random_clip.embed_images([]).shape == (0, 512)


def test_clip_zero_shot_probabilities(random_clip, chelsea, coffee):
    labels = ["cat", "car", "cup"]
    ranked = random_clip.zero_shot([chelsea, coffee], labels)
    for row in ranked:
        assert sorted(label for label, _ in row) == sorted(labels)
        assert sum(prob for _, prob in row) == pytest.approx(1.0)
        assert [p for _, p in row] == sorted((p for _, p in row), reverse=True)


def test_clip_checkpoint_file_loads_and_random_init_is_reproducible(tmp_path, chelsea):
    import torch

    from enrichment.adapters import clip as clip_module

    # A fresh build of the seeded random model, saved as a checkpoint file, must
    # give exactly the vectors of the cached random model: the file path is
    # honoured and every worker's "random-init" model is the same model.
    fresh = clip_module._load.__wrapped__("ViT-S-32", None)
    checkpoint = tmp_path / "vit-s-32-random.pt"
    torch.save(fresh.model.state_dict(), checkpoint)
    from_file = ClipEmbedder("ViT-S-32", pretrained=str(checkpoint))
    assert from_file.is_semantic and from_file.info.version == checkpoint.name
    assert len(from_file.info.file_sha256) == 64
    random_init = ClipEmbedder("ViT-S-32", pretrained=None)
    assert np.allclose(from_file.embed_images([chelsea]), random_init.embed_images([chelsea]), atol=1e-5)
    with pytest.raises(FileNotFoundError):
        ClipEmbedder("ViT-S-32", pretrained=str(tmp_path / "missing.pt"))


CLIP_CHECKPOINT = os.environ.get("LUMEN_CLIP_CHECKPOINT", "")


@pytest.mark.skipif(
    not (CLIP_CHECKPOINT and Path(CLIP_CHECKPOINT).is_file()),
    reason="no pretrained CLIP weights available offline; set LUMEN_CLIP_CHECKPOINT to run",
)
def test_clip_pretrained_zero_shot_prefers_cat(chelsea):
    embedder = ClipEmbedder(os.environ.get("LUMEN_CLIP_MODEL", "ViT-B-32"), pretrained=CLIP_CHECKPOINT)
    ranked = dict(embedder.zero_shot([chelsea], ["cat", "car"])[0])
    assert ranked["cat"] > ranked["car"]
