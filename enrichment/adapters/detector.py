"""COCO-80 object detection with YOLOX-nano (ONNX), boxes in original image pixels."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
from PIL import Image

from .base import Detection, ModelInfo, file_sha256, onnx_session, read_lines, require_file
from .prepare import rgb_array

MODEL_FILE = "yolox_nano.onnx"
LABELS_FILE = "coco80_names.txt"
VERSION = "YOLOX 0.1.1rc0 nano (416x416)"
INPUT_SIZE = 416
STRIDES = (8, 16, 32)
PAD_VALUE = 114
NMS_IOU = 0.45


@dataclass(frozen=True)
class _Model:
    session: ort.InferenceSession
    input_name: str
    labels: tuple[str, ...]


@lru_cache(maxsize=None)
def _load(model_dir: Path) -> _Model:
    session = onnx_session(require_file(model_dir / MODEL_FILE))
    return _Model(session, session.get_inputs()[0].name, read_lines(model_dir / LABELS_FILE))


@lru_cache(maxsize=1)
def _grid() -> tuple[np.ndarray, np.ndarray]:
    """Cell offsets ``[3549, 2]`` (x, y) and strides ``[3549, 1]`` in the output's row order."""
    cells, strides = [], []
    for stride in STRIDES:
        side = INPUT_SIZE // stride
        ys, xs = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
        cells.append(np.stack([xs, ys], axis=-1).reshape(-1, 2))
        strides.append(np.full((side * side, 1), stride))
    return np.concatenate(cells).astype(np.float32), np.concatenate(strides).astype(np.float32)


def letterbox(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """BGR 0-255 NCHW float input, image scaled by ``r`` and pasted top-left on a grey canvas."""
    height, width = rgb.shape[:2]
    ratio = min(INPUT_SIZE / height, INPUT_SIZE / width)
    new_w, new_h = max(1, int(width * ratio)), max(1, int(height * ratio))
    resized = cv2.resize(rgb[:, :, ::-1], (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    canvas = np.full((INPUT_SIZE, INPUT_SIZE, 3), PAD_VALUE, dtype=np.uint8)
    canvas[:new_h, :new_w] = resized
    return canvas.transpose(2, 0, 1)[None].astype(np.float32), ratio


def decode(
    output: np.ndarray, ratio: float, size: tuple[int, int], labels: tuple[str, ...], score_threshold: float
) -> list[Detection]:
    """Grid decode, score = objectness x class score, class-aware NMS, clip to the image."""
    cells, strides = _grid()
    centres = (output[:, :2] + cells) * strides / ratio
    extents = np.exp(output[:, 2:4]) * strides / ratio
    scores = output[:, 4:5] * output[:, 5:]
    rows, classes = np.nonzero(scores >= score_threshold)
    if rows.size == 0:
        return []
    width, height = size
    top_left = np.clip(centres[rows] - extents[rows] / 2, 0, [width, height])
    bottom_right = np.clip(centres[rows] + extents[rows] / 2, 0, [width, height])
    boxes = np.concatenate([top_left, bottom_right - top_left], axis=1)
    candidate_scores = scores[rows, classes]
    keep = cv2.dnn.NMSBoxesBatched(
        boxes.tolist(), candidate_scores.tolist(), classes.tolist(), score_threshold, NMS_IOU
    )
    found = [
        Detection(labels[classes[i]], float(candidate_scores[i]), tuple(float(v) for v in boxes[i]))
        for i in np.asarray(keep, dtype=int).reshape(-1)
    ]
    return sorted(found, key=lambda d: -d.score)


class ObjectDetector:
    """YOLOX-nano; the model takes one image per run, so a batch is a loop."""

    def __init__(self, model_dir: Path):
        self.model_dir = Path(model_dir)

    @property
    def info(self) -> ModelInfo:
        return ModelInfo(MODEL_FILE, VERSION, file_sha256(self.model_dir / MODEL_FILE))

    def detect(self, images: list[Image.Image], score_threshold: float = 0.3) -> list[list[Detection]]:
        model = _load(self.model_dir)
        results = []
        for image in images:
            blob, ratio = letterbox(rgb_array(image))
            output = model.session.run(None, {model.input_name: blob})[0][0]
            results.append(decode(output, ratio, image.size, model.labels, score_threshold))
        return results
