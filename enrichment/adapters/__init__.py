"""Model adapters for AI enrichment: one class per capability, pure Python (no Django).

Pass every image through :func:`to_rgb` first; adapters load their model on
first use, once per process, and report what they ran as ``.info``.

Exports resolve lazily (PEP 562) so that importing, say, ``ModelInfo`` does
not pull in torch/open_clip (seconds and hundreds of MB) or RapidOCR.
"""

from importlib import import_module

_EXPORTS = {
    "ClipEmbedder": "clip",
    "ColourAnalyser": "colours",
    "Detection": "base",
    "FaceDescriber": "face_descriptors",
    "FaceDetector": "faces",
    "ImageClassifier": "classifier",
    "ModelInfo": "base",
    "ModerationClassifier": "moderation",
    "ObjectDetector": "detector",
    "TextLine": "ocr",
    "TextRecognizer": "ocr",
    "UNSAFE_CLASSES": "moderation",
    "to_rgb": "prepare",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)


def __dir__():
    return __all__
