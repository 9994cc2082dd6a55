"""Ingest -> Celery -> renditions through a real worker process on the real broker and test database."""
import hashlib
import io

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image
from support import wait_for

from assets.models import Asset
from assets.renditions import default_specs
from assets.services.ingest import ingest_file

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def settled(asset, timeout=180):
    """Wait until the worker has finished with the asset one way or the other."""
    return wait_for(
        lambda: Asset.objects.exclude(status=Asset.Status.PROCESSING).filter(pk=asset.pk).first(),
        timeout=timeout, message=f"processing of {asset}",
    )


def noise_png(seed):
    pixels = np.random.default_rng(seed).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def test_an_ingested_file_becomes_ready_with_its_renditions(celery_worker, samples, actor):
    path = samples / "jpg/gps/DSCN0021.jpg"
    with path.open("rb") as handle:
        asset = ingest_file(handle, filename=path.name, actor=actor).asset
    done = settled(asset)
    assert (done.status, done.status_detail) == (Asset.Status.READY, "")
    specs = set(done.current_version.renditions.values_list("spec", flat=True))
    assert specs == {str(spec) for spec in default_specs()}


def test_an_undecodable_original_fails_the_asset_and_the_worker_carries_on(celery_worker, actor):
    """The bytes in storage rot after ingest checked them: the asset says why, the next one is processed."""
    data = noise_png(seed=11)
    sha256 = hashlib.sha256(data).hexdigest()
    stored_name = f"originals/{sha256[:2]}/{sha256}.png"
    default_storage.delete(stored_name)
    default_storage.save(stored_name, ContentFile(data[:100]))  # ingest keeps an existing content address
    try:
        broken = ingest_file(io.BytesIO(data), filename="rotten.png", actor=actor).asset
        failed = settled(broken)
        assert failed.status == Asset.Status.FAILED
        assert failed.status_detail.startswith("Could not make previews: the PNG original cannot be decoded")
        assert not failed.current_version.renditions.exists()
    finally:
        default_storage.delete(stored_name)

    assert celery_worker.poll() is None, "the worker process survived"
    healthy = ingest_file(io.BytesIO(noise_png(seed=12)), filename="fine.png", actor=actor).asset
    assert settled(healthy).status == Asset.Status.READY
