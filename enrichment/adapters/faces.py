"""Face boxes with YuNet (cv2.FaceDetectorYN), or OpenCV's Haar cascade when YuNet is absent.

The Haar fallback exists so a deployment without the model folder still gets
(rougher) face boxes; it has no calibrated confidence, so its detections carry
score 1.0 and ``info.name`` says which detector produced them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from .base import Detection, ModelInfo, file_sha256
from .prepare import rgb_array

MODEL_FILE = "face_detection_yunet_2023mar.onnx"
VERSION = "OpenCV Zoo face_detection_yunet 2023mar"
HAAR_FILE = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"
HAAR_VERSION = f"OpenCV {cv2.__version__} Haar cascade"
MAX_SIDE = 1280
NMS_IOU = 0.3


@dataclass
class _YuNet:
    detector: cv2.FaceDetectorYN
    # setInputSize/setScoreThreshold then detect() is stateful: one caller at a time.
    lock: threading.Lock


@lru_cache(maxsize=None)
def _load_yunet(path: Path) -> _YuNet:
    detector = cv2.FaceDetectorYN.create(str(path), "", (320, 320), 0.8, NMS_IOU, 5000)
    return _YuNet(detector, threading.Lock())


@lru_cache(maxsize=1)
def _load_haar() -> cv2.CascadeClassifier:
    return cv2.CascadeClassifier(str(HAAR_FILE))


def _downscale(bgr: np.ndarray) -> tuple[np.ndarray, float]:
    """Cap the long side at MAX_SIDE: YuNet cost grows with pixels, faces that matter stay big enough."""
    height, width = bgr.shape[:2]
    scale = min(1.0, MAX_SIDE / max(height, width))
    if scale == 1.0:
        return bgr, 1.0
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(bgr, size, interpolation=cv2.INTER_AREA), scale


def _to_detections(rows, scale: float, size: tuple[int, int]) -> list[Detection]:
    width, height = size
    found = []
    for x, y, w, h, score in rows:
        x, y, w, h = float(x), float(y), float(w), float(h)
        x0, y0 = min(max(x / scale, 0.0), width), min(max(y / scale, 0.0), height)
        x1, y1 = min(max((x + w) / scale, 0.0), width), min(max((y + h) / scale, 0.0), height)
        if x1 > x0 and y1 > y0:
            found.append(Detection("face", float(score), (x0, y0, x1 - x0, y1 - y0)))
    return sorted(found, key=lambda d: -d.score)


class FaceDetector:
    def __init__(self, model_dir: Path):
        self.model_path = Path(model_dir) / MODEL_FILE

    @property
    def uses_yunet(self) -> bool:
        return self.model_path.is_file()

    @property
    def info(self) -> ModelInfo:
        if self.uses_yunet:
            return ModelInfo(MODEL_FILE, VERSION, file_sha256(self.model_path))
        return ModelInfo(HAAR_FILE.name, HAAR_VERSION, file_sha256(HAAR_FILE))

    def detect(self, images: list[Image.Image], score_threshold: float = 0.8) -> list[list[Detection]]:
        return [self._detect_one(image, score_threshold) for image in images]

    def _detect_one(self, image: Image.Image, score_threshold: float) -> list[Detection]:
        bgr, scale = _downscale(np.ascontiguousarray(rgb_array(image)[:, :, ::-1]))
        if not self.uses_yunet:
            grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
            boxes = _load_haar().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(24, 24))
            return _to_detections([(*box, 1.0) for box in boxes], scale, image.size)
        yunet = _load_yunet(self.model_path)
        with yunet.lock:
            yunet.detector.setInputSize((bgr.shape[1], bgr.shape[0]))
            yunet.detector.setScoreThreshold(score_threshold)
            _, faces = yunet.detector.detect(bgr)
        rows = [] if faces is None else [(*face[:4], face[14]) for face in faces]
        return _to_detections(rows, scale, image.size)
