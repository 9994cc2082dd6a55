"""Printed-text recognition with RapidOCR (PP-OCR models shipped inside the ``rapidocr`` wheel).

Every model path is passed explicitly, so RapidOCR never falls back to its
downloader (it fetches models from the internet when a path is left unset).
The recognition model carries its own character table, so no dictionary
file is fetched either.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import rapidocr
from PIL import Image
from rapidocr import RapidOCR
from rapidocr._version import __version__ as RAPIDOCR_VERSION

from .base import ModelInfo, combined_sha256, file_sha256, onnx_session
from .prepare import rgb_array

PACKAGE_MODELS = Path(rapidocr.__file__).resolve().parent / "models"
MODEL_FILES = {
    "Det": "PP-OCRv6_det_small.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    "Rec": "PP-OCRv6_rec_small.onnx",
}

Point = tuple[float, float]
# The text-presence check: the detector alone, on the image as it is (never enlarged, at most this long), with
# thresholds low enough to keep faint or small text. On photos it costs ~30 ms of CPU where the full reader
# (detector on the image enlarged to 736 px on its short side, then recognition) costs ~350 ms. It misses words
# the enlarged reader would find on 3 of 22 such images, two of them 100 px thumbnails (docs/benchmarks.md,
# "Text presence").
PRESENCE_CHECK = {"Det.limit_type": "max", "Det.limit_side_len": 960, "Det.thresh": 0.15, "Det.box_thresh": 0.2,
                  "Global.use_cls": False, "Global.use_rec": False}
# A region the check finds counts as text only when the detector is fairly sure of it and it is shaped like
# text: a line (its short side at most half the image's) or a banner (at least 2.5 times as long as high). The
# regions it rejects are mostly one box around a whole smooth photo or wallpaper. On 242 judged and benchmark
# images this rule sent the reader 64 images instead of 114 and kept every one it finds words on.
TEXT_REGION_MIN_SCORE = 0.3
TEXT_LINE_MAX_SHARE = 0.5
BANNER_MIN_ASPECT = 2.5


@dataclass(frozen=True)
class TextLine:
    """One recognised line; ``points`` are its 4 corners (clockwise from top-left), possibly rotated."""

    text: str
    score: float
    points: tuple[Point, Point, Point, Point]

    @property
    def box(self) -> tuple[float, float, float, float]:
        """Axis-aligned ``(x, y, w, h)`` around the corners."""
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


@lru_cache(maxsize=None)
def _load(models_dir: Path, presence_check: bool = False) -> RapidOCR:
    params = {f"{stage}.model_path": str(models_dir / name) for stage, name in MODEL_FILES.items()}
    params["Global.log_level"] = "error"  # it warns on every image without text
    engine = RapidOCR(params=params | (PRESENCE_CHECK if presence_check else {}))
    # RapidOCR's config cannot carry session options, so its engines are loaded now and their
    # sessions replaced by ones with the adapters' options (threads, no spinning between runs).
    stages = (("Det", engine._load_det_model),) if presence_check else (
        ("Det", engine._load_det_model), ("Cls", engine._load_cls_model), ("Rec", engine._load_rec_model))
    for stage, load in stages:
        load().session.session = onnx_session(models_dir / MODEL_FILES[stage])
    return engine


class TextRecognizer:
    def __init__(self, models_dir: Path = PACKAGE_MODELS):
        self.models_dir = Path(models_dir)

    @property
    def info(self) -> ModelInfo:
        components = tuple((name, file_sha256(self.models_dir / name)) for name in MODEL_FILES.values())
        stages = ", ".join(f"{stage.lower()} {Path(name).stem}" for stage, name in MODEL_FILES.items())
        return ModelInfo("rapidocr", f"rapidocr {RAPIDOCR_VERSION}: {stages}", combined_sha256(components), components)

    def read(self, image: Image.Image) -> list[TextLine]:
        bgr = np.ascontiguousarray(rgb_array(image)[:, :, ::-1])
        if not self.shows_text(bgr):
            return []
        result = _load(self.models_dir)(bgr)
        if result.txts is None:
            return []
        return [
            TextLine(text, float(score), tuple((float(x), float(y)) for x, y in corners))
            for text, score, corners in zip(result.txts, result.scores, result.boxes)
        ]

    def shows_text(self, bgr: np.ndarray) -> bool:
        """Whether the cheap detector-only pass finds a text-shaped region: most photos have none, and then
        the full reader does not run."""
        found = _load(self.models_dir, presence_check=True)(bgr)
        if found.boxes is None:
            return False
        image_short_side = min(bgr.shape[:2])
        return any(text_shaped(corners, score, image_short_side) for corners, score in zip(found.boxes, found.scores))

    def read_batch(self, images: list[Image.Image]) -> list[list[TextLine]]:
        """RapidOCR works image by image (detected lines are batched inside it)."""
        return [self.read(image) for image in images]


def text_shaped(corners, score: float, image_short_side: int) -> bool:
    """``corners`` clockwise from top-left, possibly rotated: a confident region shaped like a line or a banner."""
    top_left, top_right, _, bottom_left = np.asarray(corners, dtype=np.float64)
    width = max(float(np.linalg.norm(top_right - top_left)), 1.0)
    height = max(float(np.linalg.norm(bottom_left - top_left)), 1.0)
    short, long = min(width, height), max(width, height)
    return score >= TEXT_REGION_MIN_SCORE and (
        short <= TEXT_LINE_MAX_SHARE * image_short_side or long >= BANNER_MIN_ASPECT * short)
