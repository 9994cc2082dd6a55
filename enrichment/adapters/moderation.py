"""Nudity scores from NudeNet's detector (320n ONNX model shipped inside the ``nudenet`` wheel).

NudeNet finds body-part regions; an image's score for a class is the highest
score of any region of that class after NudeNet's own filtering (region
score >= 0.2, NMS), 0.0 when there is none. ``unsafe`` is the maximum over
:data:`UNSAFE_CLASSES`: exposed genitalia, anus, female breasts and buttocks.
Exposed male chests, bellies, armpits and feet, covered parts and faces are
reported but do not count as unsafe: they are common in ordinary photos
(beach, sport, fashion).
"""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import cv2
import nudenet
import numpy as np
from nudenet import NudeDetector
from nudenet.nudenet import _read_image
from PIL import Image

from .base import ModelInfo, batched, file_sha256, onnx_session
from .prepare import rgb_array

MODEL_FILE = Path(nudenet.__file__).resolve().parent / "320n.onnx"
VERSION = f"nudenet {version('nudenet')} 320n"
CLASSES = (
    "FEMALE_GENITALIA_COVERED",
    "FACE_FEMALE",
    "BUTTOCKS_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_BREAST_EXPOSED",
    "ANUS_EXPOSED",
    "FEET_EXPOSED",
    "BELLY_COVERED",
    "FEET_COVERED",
    "ARMPITS_COVERED",
    "ARMPITS_EXPOSED",
    "FACE_MALE",
    "BELLY_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "ANUS_COVERED",
    "FEMALE_BREAST_COVERED",
    "BUTTOCKS_COVERED",
)
UNSAFE_CLASSES = (
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "ANUS_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "BUTTOCKS_EXPOSED",
)


@lru_cache(maxsize=None)
def _load(path: Path) -> NudeDetector:
    detector = NudeDetector(model_path=str(path))
    # NudeDetector builds its session with ONNX Runtime defaults (all cores);
    # replace it with one that follows LUMEN_ONNX_THREADS like the other adapters.
    detector.onnx_session = onnx_session(path)
    return detector


class ModerationClassifier:
    """``score(images)`` -> per image ``{class: max score for each of CLASSES, "unsafe": float}``."""

    def __init__(self, batch_size: int = 8):
        self.batch_size = batch_size

    @property
    def info(self) -> ModelInfo:
        return ModelInfo(MODEL_FILE.name, VERSION, file_sha256(MODEL_FILE))

    def score(self, images: list[Image.Image]) -> list[dict[str, float]]:
        detector = _load(MODEL_FILE)
        results = []
        for chunk in batched(images, self.batch_size):
            # NudeNet expects what cv2.imread returns: BGR uint8.
            prepared = [_read_image(np.ascontiguousarray(rgb_array(image)[:, :, ::-1]), detector.input_width)
                        for image in chunk]
            outputs = detector.onnx_session.run(None, {detector.input_name: np.vstack([p[0] for p in prepared])})[0]
            for output, (_, _, _, x_pad, y_pad, width, height) in zip(outputs, prepared):
                scores = dict.fromkeys(CLASSES, 0.0)
                for class_id, score in _regions(output, x_pad, y_pad, width, height, detector.input_width):
                    scores[CLASSES[class_id]] = max(scores[CLASSES[class_id]], score)
                scores["unsafe"] = max(scores[name] for name in UNSAFE_CLASSES)
                results.append(scores)
        return results


def _regions(output, x_pad, y_pad, width, height, side):
    """``(class index, score)`` of the regions NudeNet's own decoding keeps (``nudenet._postprocess``: a score of at
    least 0.2, boxes scaled back and clipped, then NMS across classes), in whole-array steps: its loop over all
    2,100 anchors in Python cost ~9 ms an image. Same float32 arithmetic in the same order, so the same regions."""
    rows = output.T
    class_scores = rows[:, 4:]
    best = class_scores.max(axis=1)
    kept = best >= 0.2
    rows, best, class_ids = rows[kept], best[kept], class_scores[kept].argmax(axis=1)
    w, h = rows[:, 2], rows[:, 3]
    x = (rows[:, 0] - w / 2) * (width + x_pad) / side
    y = (rows[:, 1] - h / 2) * (height + y_pad) / side
    w = w * (width + x_pad) / side
    h = h * (height + y_pad) / side
    x = np.maximum(0, np.minimum(x, width))
    y = np.maximum(0, np.minimum(y, height))
    w = np.minimum(w, width - x)
    h = np.minimum(h, height - y)
    boxes = np.stack([x, y, w, h], axis=1).tolist()
    return [(int(class_ids[i]), float(best[i])) for i in cv2.dnn.NMSBoxes(boxes, best.tolist(), 0.25, 0.45)]
