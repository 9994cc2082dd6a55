"""Joint image/text embeddings with open_clip, for text-to-image search and zero-shot tags.

Weights: a tag (e.g. ``laion2b_s34b_b79k``) is fetched by open_clip and needs
internet on first use; a path to a checkpoint file is loaded from disk; and
``None`` builds the architecture with random weights so the plumbing (shapes,
batching, storage) can run where no weights can be had. Random weights are
seeded, so every worker process builds the same "random-init" model and its
vectors stay comparable with each other — but they carry no meaning, which
``is_semantic`` says.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
import open_clip
import torch
from PIL import Image

from .base import ModelInfo, batched, env_threads, file_sha256
from .prepare import require_rgb

THREADS_ENV = "LUMEN_TORCH_THREADS"
RANDOM_INIT = "random-init"
RANDOM_SEED = 0


@dataclass(frozen=True)
class _Model:
    model: torch.nn.Module
    preprocess: Callable[[Image.Image], torch.Tensor]
    tokenizer: Callable[[list[str]], torch.Tensor]


@lru_cache(maxsize=None)
def _load(model_name: str, pretrained: str | None) -> _Model:
    torch.set_num_threads(env_threads(THREADS_ENV))
    with torch.random.fork_rng():
        torch.manual_seed(RANDOM_SEED)
        model, _, preprocess = open_clip.create_model_and_transforms(model_name, pretrained=pretrained)
    model.eval()
    return _Model(model, preprocess, open_clip.get_tokenizer(model_name))


def _unit_rows(tensor: torch.Tensor) -> np.ndarray:
    return torch.nn.functional.normalize(tensor.float(), dim=-1).numpy().astype(np.float32)


class ClipEmbedder:
    def __init__(
        self, model_name: str = "ViT-B-32", pretrained: str | Path | None = "laion2b_s34b_b79k", batch_size: int = 16
    ):
        self.model_name = model_name
        self.checkpoint: Path | None = None
        if pretrained is not None:
            candidate = Path(pretrained)
            # Tags never contain a slash: a path-like value must be an existing file,
            # or open_clip would try to download it as a tag.
            if candidate.is_file() or isinstance(pretrained, Path) or "/" in pretrained:
                if not candidate.is_file():
                    raise FileNotFoundError(f"CLIP checkpoint not found: {candidate}")
                self.checkpoint = candidate.resolve()
        self.pretrained = str(self.checkpoint or pretrained) if pretrained is not None else None
        self.batch_size = batch_size

    @property
    def is_semantic(self) -> bool:
        return self.pretrained is not None

    @property
    def info(self) -> ModelInfo:
        name = f"open_clip {self.model_name}"
        if self.checkpoint is not None:
            return ModelInfo(name, self.checkpoint.name, file_sha256(self.checkpoint))
        return ModelInfo(name, self.pretrained or RANDOM_INIT, None)

    @property
    def dim(self) -> int:
        return int(self._model().model.visual.output_dim)

    def _model(self) -> _Model:
        return _load(self.model_name, self.pretrained)

    def embed_images(self, images: list[Image.Image]) -> np.ndarray:
        """``[n, d]`` unit float32 rows."""
        loaded = self._model()
        rows = []
        with torch.no_grad():
            for chunk in batched(images, self.batch_size):
                pixels = torch.stack([loaded.preprocess(require_rgb(image)) for image in chunk])
                rows.append(_unit_rows(loaded.model.encode_image(pixels)))
        return np.concatenate(rows) if rows else np.zeros((0, self.dim), np.float32)

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """``[n, d]`` unit float32 rows, comparable with :meth:`embed_images` by dot product."""
        loaded = self._model()
        rows = []
        with torch.no_grad():
            for chunk in batched(texts, self.batch_size):
                rows.append(_unit_rows(loaded.model.encode_text(loaded.tokenizer(chunk))))
        return np.concatenate(rows) if rows else np.zeros((0, self.dim), np.float32)

    def zero_shot(
        self, images: list[Image.Image], labels: list[str], template: str = "a photo of a {}."
    ) -> list[list[tuple[str, float]]]:
        """Per image, ``(label, probability)`` over ``labels`` sorted best first (softmax of scaled cosines)."""
        image_rows = self.embed_images(images)
        text_rows = self.embed_texts([template.format(label) for label in labels])
        scale = float(self._model().model.logit_scale.detach().exp())
        logits = scale * image_rows.astype(np.float64) @ text_rows.T.astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        return [sorted(zip(labels, map(float, row)), key=lambda pair: -pair[1]) for row in probs]
