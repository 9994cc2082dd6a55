"""Search fixtures: real ingested images, and enrichment rows written directly for SQL-level tests."""
import io

import numpy as np
import pytest
from django.db import connection
from PIL import Image
from skimage import data

from assets.models import Asset
from assets.services.ingest import ingest_file
from enrichment.models import Capability, MachineLabel, ModelRun, OcrText
from search.indexing import reindex_asset

TABBY, TIGER_CAT, LABRADOR, MOTORCYCLE = "n02123045", "n02123159", "n02099712", "n03790512"
SCHOOL_BUS, ESPRESSO, CRANE_BIRD, CRANE_MACHINE = "n04146614", "n07920052", "n02012849", "n03126707"


def encoded(image, image_format="PNG", quality=90, size=None):
    """A skimage sample (by name), PIL image or pixel array as an uploaded file in ``image_format``."""
    image = getattr(data, image)() if isinstance(image, str) else image
    image = image if isinstance(image, Image.Image) else Image.fromarray(image)
    image = image.resize(size) if size else image
    buffer = io.BytesIO()
    if image_format == "JPEG":
        image.convert("RGB").save(buffer, "JPEG", quality=quality)
    else:
        image.save(buffer, image_format)
    buffer.seek(0)
    buffer.name = f"upload.{image_format.lower()}"
    return buffer


@pytest.fixture
def jpeg():
    """``jpeg(image, quality=90, size=None)``: the image re-encoded as a JPEG upload."""
    return lambda image, quality=90, size=None: encoded(image, "JPEG", quality, size)


@pytest.fixture
def ingest(actor):
    """Ingest a skimage sample (or a PIL image) as a new asset through the real ingest service."""

    def ingest_image(image, *, title="", filename=None):
        name = image if isinstance(image, str) else "image"
        result = ingest_file(encoded(image), filename=filename or f"{name}.png", actor=actor, title=title)
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


def noise(seed, size=(96, 64)):
    """A distinct small image (ingest refuses identical bytes as the same asset)."""
    pixels = np.random.default_rng(seed).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels)


@pytest.fixture
def detector_run(db):
    return ModelRun.objects.create(capability=Capability.DETECT, name="yolox_nano.onnx", version="test")


@pytest.fixture
def library(ingest, label, detector_run):
    """Eight assets with what the models would have found in them."""
    assets = {
        "cat": ingest("chelsea", title="Chelsea on the sofa"),
        "dog": ingest(noise(1), title="Rex"),
        "motorcycle": ingest(noise(2), title="Red bike"),
        "bus": ingest(noise(3), title="Morning commute"),
        "coffee": ingest("coffee"),
        "page": ingest("page"),
        "crane_bird": ingest(noise(4, size=(64, 96)), title="Wader"),
        "crane_machine": ingest(noise(5, size=(64, 64)), title="Harbour"),
    }
    label(assets["cat"], TABBY, 0.55)
    label(assets["cat"], TIGER_CAT, 0.2)
    label(assets["dog"], LABRADOR, 0.7)
    label(assets["motorcycle"], MOTORCYCLE, 0.8, model=detector_run)
    label(assets["bus"], SCHOOL_BUS, 0.9)
    label(assets["coffee"], ESPRESSO, 0.6)
    label(assets["crane_bird"], CRANE_BIRD, 0.5)
    label(assets["crane_machine"], CRANE_MACHINE, 0.4)
    label(assets["page"], TABBY, 0.003)  # below statement.NARROWER_FLOOR: never a cat, only a faint "tabby"
    Asset.objects.filter(pk=assets["coffee"].pk).update(caption="Espresso in the morning light")
    reindex_asset(assets["coffee"].pk)
    ocr_run = ModelRun.objects.create(capability=Capability.OCR, name="rapidocr", version="test")
    OcrText.objects.create(version_id=assets["page"].current_version_id, model=ocr_run,
                           text="Region-based segmentation\nThe watershed transform floods the image")
    return {name: Asset.objects.get(pk=asset.pk) for name, asset in assets.items()}


@pytest.fixture
def uncounted_browsing(library, monkeypatch):
    """Browsing as in a large library whose sample of documents cannot tell whether the hits pass the cap (1
    here): the page statement leaves the total to be counted after the page."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_searchdocument")
    for module in ("statement", "service"):
        monkeypatch.setattr(f"search.{module}.TOTAL_CAP", 1)
    monkeypatch.setattr("search.statement.BROWSE_FACET_SAMPLE", 10 ** 6)  # the sample: every page of the table
    monkeypatch.setattr("search.statement.SURE_SAMPLE_HITS", 10 ** 6)  # more hits than the sample can hold
