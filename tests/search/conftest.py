"""Search fixtures: real ingested images, and enrichment rows written directly for SQL-level tests."""
import io

import pytest
from PIL import Image
from skimage import data

from assets.services.ingest import ingest_file
from enrichment.models import Capability, MachineLabel, ModelRun


def png_bytes(name_or_image):
    image = name_or_image if isinstance(name_or_image, Image.Image) else Image.fromarray(getattr(data, name_or_image)())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    return buffer


@pytest.fixture
def ingest(actor):
    """Ingest a skimage sample (or a PIL image) as a new asset through the real ingest service."""

    def ingest_image(image, *, title="", filename=None):
        name = image if isinstance(image, str) else "image"
        result = ingest_file(png_bytes(image), filename=filename or f"{name}.png", actor=actor, title=title)
        return result.asset

    return ingest_image


@pytest.fixture
def classifier_run(db):
    return ModelRun.objects.create(capability=Capability.CLASSIFY, name="mobilenetv2-12-int8.onnx", version="test")


@pytest.fixture
def label(classifier_run):
    """Write a machine label on an asset's current version, as the enrichment pipeline would."""

    def add_label(asset, concept_id, confidence, model=classifier_run):
        return MachineLabel.objects.create(version_id=asset.current_version_id, concept_id=concept_id,
                                           confidence=confidence, model=model)

    return add_label
