"""Fixtures for enrichment tests: concepts present, and versions with a small working rendition."""
import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from skimage import data

from assets.models import Rendition


def skimage_jpeg(name, quality=92):
    """A skimage sample as JPEG bytes (grey ones converted to RGB)."""
    image = Image.fromarray(getattr(data, name)()).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


@pytest.fixture
def skimage_file(tmp_path):
    """skimage sample -> JPEG file on disk, opened for reading (what an upload looks like)."""
    opened = []

    def make(name):
        path = tmp_path / f"{name}.jpg"
        path.write_bytes(skimage_jpeg(name))
        handle = path.open("rb")
        opened.append(handle)
        return handle

    yield make
    for handle in opened:
        handle.close()


@pytest.fixture
def version_with_rendition(actor, skimage_file):
    """Ingest a skimage sample and give it a JPEG rendition at half size, as the renditions step
    would (outside a committed transaction no worker runs, so tests of services stay in-process).
    """
    from assets.services.ingest import ingest_file

    def make(name, *, width=None, anonymise_faces=False, collections=()):
        """``name``: a skimage sample, or a PIL image (uploaded as a JPEG)."""
        if isinstance(name, Image.Image):
            upload = io.BytesIO()
            name.convert("RGB").save(upload, "JPEG", quality=92)
            upload.seek(0)
            name = "image"
        else:
            upload = skimage_file(name)
        result = ingest_file(upload, filename=f"{name}.jpg", actor=actor, anonymise_faces=anonymise_faces,
                             collections=collections)
        version = result.version
        with version.file.open("rb") as original:
            image = Image.open(original).convert("RGB")
            image.load()
        width = width or max(1, image.width // 2)
        small = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        small.save(buffer, "JPEG", quality=90)
        rendition = Rendition(version=version, spec=f"width-{width}|format-jpeg", format="jpeg",
                              width=small.width, height=small.height, bytes=len(buffer.getvalue()))
        rendition.file.save(f"test-renditions/{version.sha256}-{width}.jpg", ContentFile(buffer.getvalue()), save=False)
        rendition.save()
        return version

    return make


def settled(version, since=None):
    """Processing finished and every enrichment job reached an end state (done, skipped, failed),
    after ``since`` when given (a re-run)."""
    from assets.models import Asset
    from enrichment.models import EnrichmentJob
    from enrichment.services.capabilities import PIPELINE

    asset = Asset.objects.get(pk=version.asset_id)
    if asset.status == Asset.Status.FAILED:
        return True
    if asset.status != Asset.Status.READY:
        return False
    jobs = EnrichmentJob.objects.filter(version=version, capability__in=PIPELINE)
    unfinished = (EnrichmentJob.Status.PENDING, EnrichmentJob.Status.RUNNING)
    if since is not None and jobs.filter(updated_at__lte=since).exists():
        return False
    return jobs.count() == len(PIPELINE) and not jobs.filter(status__in=unfinished).exists()


@pytest.fixture
def settle(celery_worker):
    """Wait until the worker has finished with a version (after ingest or a re-run)."""
    from support import wait_for

    def wait(version, since=None, timeout=300):  # generous: the machine is shared with other test runs
        wait_for(lambda: settled(version, since), timeout=timeout, message=f"enrichment of {version}")
        return version

    return wait


@pytest.fixture
def ingested(actor, skimage_file, settle):
    """Upload through ``ingest_file`` and wait for the real worker: renditions, then the pipeline.

    Takes a skimage sample name or an open file; extra keywords go to ``ingest_file``.
    """
    from assets.services.ingest import ingest_file

    def make(source, **kwargs):
        upload = skimage_file(source) if isinstance(source, str) else source
        return settle(ingest_file(upload, filename=Path(upload.name).name, actor=actor, **kwargs).version)

    return make


@pytest.fixture
def add_working_rendition():
    """Store ``data`` as a new JPEG rendition wider than the others, so it becomes what models read
    (a new row, as when renditions are re-made; a broken one stands for a bad encoder or storage).
    """

    def add(version, data):
        width = max(version.renditions.values_list("width", flat=True), default=0) + 1
        rendition = Rendition(version=version, spec=f"width-{width}|format-jpeg", format="jpeg", width=width,
                              height=width, bytes=len(data))
        rendition.file.save(f"test-renditions/{version.sha256}-{width}.jpg", ContentFile(data), save=False)
        rendition.save()
        return rendition

    return add
