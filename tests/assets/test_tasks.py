"""Ingest -> Celery -> renditions through a real worker process on the real broker and test database."""
import hashlib
import io
import os

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image

from assets.models import Asset
from assets.renditions import default_specs
from assets.services.ingest import ingest_file
from assets.tasks import process_version
from support import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def settled(asset, timeout=180):
    """Wait until the worker has finished with the asset one way or the other."""
    return wait_for(
        lambda: Asset.objects.exclude(status=Asset.Status.PROCESSING).filter(pk=asset.pk).first(),
        timeout=timeout, message=f"processing of {asset}",
    )


def settled_as(asset, status, timeout=60):
    """Wait until the asset reaches ``status`` (a task run on an asset already settled)."""
    return wait_for(lambda: Asset.objects.filter(pk=asset.pk, status=status).first(), timeout=timeout,
                    message=f"{asset} to be {status}")


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


def test_an_original_missing_for_a_while_is_retried_and_one_that_stays_missing_fails_with_the_reason(
        celery_worker, actor):
    data = noise_png(seed=21)
    with transaction.atomic():  # the task is queued on commit: move the original away before that
        asset = ingest_file(io.BytesIO(data), filename="late.png", actor=actor).asset
        path = default_storage.path(asset.current_version.file.name)
        os.rename(path, f"{path}.away")
    try:
        wait_for(lambda: Asset.objects.get(pk=asset.pk).status_detail.startswith("Retrying after a temporary error"),
                 timeout=60, message="the first retry")
        assert Asset.objects.get(pk=asset.pk).status == Asset.Status.PROCESSING
    finally:
        os.rename(f"{path}.away", path)
    assert settled(asset).status == Asset.Status.READY

    version = asset.current_version
    version.renditions.all().delete()
    os.remove(path)
    process_version.apply_async((version.pk,), retries=process_version.max_retries)  # the last retry
    failed = settled_as(asset, Asset.Status.FAILED)
    assert failed.status_detail.startswith(
        f"Could not make previews: Gave up after {process_version.max_retries + 1} attempts: Could not read originals/")
