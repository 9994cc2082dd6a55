"""ImageNet-1k labels and a 1,280-d similarity vector from MobileNetV2 (int8, ONNX).

Labels and embedding come from the same forward pass: the global-average-pool
activations are exposed as an extra graph output at load time, so enriching
an image costs one inference, not two.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

from .base import ModelInfo, batched, file_sha256, onnx_session, read_lines, require_file
from .onnx_edit import Node, add_float_output, graph_nodes
from .prepare import rgb_array

MODEL_FILE = "mobilenetv2-12-int8.onnx"
LABELS_FILE = "imagenet1k_wnids.txt"
VERSION = "onnx-model-zoo validated/vision/classification/mobilenet (int8)"
FEATURES_OUTPUT = "lumen_gap_features"
FEATURE_DIM = 1280
RESIZE, CROP = 256, 224
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


@dataclass(frozen=True)
class _Model:
    session: ort.InferenceSession
    input_name: str
    labels: tuple[str, ...]


@lru_cache(maxsize=None)
def _load(model_dir: Path) -> _Model:
    model = require_file(model_dir / MODEL_FILE).read_bytes()
    pool = next((n for n in graph_nodes(model) if n.op_type == "QLinearGlobalAveragePool"), None)
    if pool is None:
        raise ValueError(f"{MODEL_FILE}: no QLinearGlobalAveragePool node to read features from")
    # QLinearGlobalAveragePool(X, x_scale, x_zero_point, y_scale, y_zero_point) -> uint8 Y;
    # dequantising Y with its own scale/zero point gives the float activations.
    dequantize = Node(
        name="lumen_gap_dequantize",
        op_type="DequantizeLinear",
        inputs=(pool.outputs[0], pool.inputs[3], pool.inputs[4]),
        outputs=(FEATURES_OUTPUT,),
    )
    session = onnx_session(add_float_output(model, dequantize, FEATURES_OUTPUT))
    labels = read_lines(model_dir / LABELS_FILE)
    return _Model(session, session.get_inputs()[0].name, labels)


def preprocess(image: Image.Image) -> np.ndarray:
    """The model's training recipe: short side to 256 (bilinear, antialiased), centre 224 crop, mean/std; CHW."""
    width, height = image.size
    if width <= height:
        size = (RESIZE, max(RESIZE, int(RESIZE * height / width)))
    else:
        size = (max(RESIZE, int(RESIZE * width / height)), RESIZE)
    resized = image.resize(size, Image.Resampling.BILINEAR)
    left = int(round((size[0] - CROP) / 2.0))
    top = int(round((size[1] - CROP) / 2.0))
    crop = rgb_array(resized.crop((left, top, left + CROP, top + CROP)))
    normalised = (crop.astype(np.float32) / 255.0 - MEAN) / STD
    return normalised.transpose(2, 0, 1)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class ImageClassifier:
    """MobileNetV2 ImageNet classifier; see ``../shared/models/README.md`` for the model."""

    def __init__(self, model_dir: Path, batch_size: int = 16):
        self.model_dir = Path(model_dir)
        self.batch_size = batch_size

    @property
    def info(self) -> ModelInfo:
        return ModelInfo(MODEL_FILE, VERSION, file_sha256(self.model_dir / MODEL_FILE))

    @property
    def labels(self) -> tuple[str, ...]:
        """WordNet ids; class i is ``labels[i]``."""
        return _load(self.model_dir).labels

    def classify_and_embed(
        self, images: list[Image.Image], top_k: int = 5
    ) -> tuple[list[list[tuple[str, float]]], np.ndarray]:
        """Top-k ``(wnid, softmax score)`` per image and the ``[n, 1280]`` unit feature rows, from one pass."""
        model = _load(self.model_dir)
        top: list[list[tuple[str, float]]] = []
        features = []
        for chunk in batched(images, self.batch_size):
            batch = np.stack([preprocess(image) for image in chunk])
            logits, pooled = model.session.run(["output", FEATURES_OUTPUT], {model.input_name: batch})
            probs = _softmax(logits.astype(np.float64))
            for row in probs:
                best = np.argsort(-row)[:top_k]
                top.append([(model.labels[i], float(row[i])) for i in best])
            features.append(pooled.reshape(len(chunk), -1))
        matrix = l2_normalise(np.concatenate(features)) if features else np.zeros((0, FEATURE_DIM), np.float32)
        return top, matrix

    def classify(self, images: list[Image.Image], top_k: int = 5) -> list[list[tuple[str, float]]]:
        return self.classify_and_embed(images, top_k)[0]

    def features(self, images: list[Image.Image]) -> np.ndarray:
        return self.classify_and_embed(images, top_k=0)[1]
