"""128-d face descriptors with dlib's ResNet face recognition model, for the face boxes YuNet found.

The weights and the 5-point landmark model come from the ``face-recognition-models`` package (installed
from PyPI, nothing downloaded at run time). Its ``__init__`` imports ``pkg_resources``, which current
setuptools no longer ships, so the files are located through the package's import spec without running it.

Two descriptors of one person lie close in Euclidean distance: skimage's astronaut against herself
mirrored, at half size and both measured 0.19-0.23; different people in the shared samples 0.54-0.90
(dlib's own threshold is 0.6; ``enrichment.services.people.MATCH_DISTANCE`` says which one we use).
"""

from __future__ import annotations

import importlib.util
import threading
from functools import lru_cache
from pathlib import Path

import dlib
import numpy as np
from PIL import Image

from .base import ModelInfo, combined_sha256, file_sha256
from .prepare import rgb_array

MODEL_FILE = "dlib_face_recognition_resnet_model_v1.dat"
LANDMARKS_FILE = "shape_predictor_5_face_landmarks.dat"
DIMENSIONS = 128


def models_folder() -> Path:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the face-recognition-models package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


class _Dlib:
    """The two dlib models; dlib's objects are not documented as thread-safe, so one caller at a time."""

    def __init__(self, folder: Path):
        self.landmarks = dlib.shape_predictor(str(folder / LANDMARKS_FILE))
        self.encoder = dlib.face_recognition_model_v1(str(folder / MODEL_FILE))
        self.lock = threading.Lock()


@lru_cache(maxsize=None)
def _load(folder: Path) -> _Dlib:
    return _Dlib(folder)


class FaceDescriber:
    """``describe([(image, boxes)])``: per image, one descriptor per ``(x, y, w, h)`` box in its pixels."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder

    @property
    def models(self) -> Path:
        return self.folder or models_folder()

    @property
    def info(self) -> ModelInfo:
        components = tuple((name, file_sha256(self.models / name)) for name in (MODEL_FILE, LANDMARKS_FILE))
        return ModelInfo(MODEL_FILE, f"dlib {dlib.__version__} ResNet v1, 5-point landmarks",
                         combined_sha256(components), components)

    def describe(self, items: list[tuple[Image.Image, list[tuple[float, float, float, float]]]]) -> list[list[np.ndarray]]:
        model = _load(self.models)
        described = []
        for image, boxes in items:
            pixels = np.ascontiguousarray(rgb_array(image))
            vectors = []
            with model.lock:
                for x, y, w, h in boxes:
                    box = dlib.rectangle(int(round(x)), int(round(y)), int(round(x + w)), int(round(y + h)))
                    shape = model.landmarks(pixels, box)
                    vectors.append(np.asarray(model.encoder.compute_face_descriptor(pixels, shape, 1), dtype=np.float32))
            described.append(vectors)
        return described
