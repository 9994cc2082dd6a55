"""Capability tasks on the real worker: routing, idempotent re-runs, no retry for bad input, retry for I/O, bounded
memory on thin and damaged images."""
import io
import os
import threading
from pathlib import Path

import numpy as np
import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from assets.models import Asset
from assets.services.ingest import ingest_file
from core.models import AuditEntry
from core.refusals import Refused
from core.storage import SourceUnavailable
from dam.celery import app
from enrichment import tasks
from enrichment.models import Capability, Detection, Embedding, EnrichmentJob, MachineLabel, ModerationResult, OcrText
from enrichment.services import gathering, working_image
from enrichment.services.capabilities import PIPELINE, STEPS
from enrichment.services.working_image import working_rendition
from mutations import encoded, mutated_uploads
from support import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("concepts")]

Status = EnrichmentJob.Status


def job(version, capability):
    return EnrichmentJob.objects.get(version=version, capability=capability)


def row_counts(version):
    models = (MachineLabel, Detection, OcrText, ModerationResult, Embedding)
    return {m.__name__: m.objects.filter(version=version).count() for m in models}


def test_every_capability_has_a_task_on_the_enrichment_queue_with_backoff():
    assert set(tasks.CAPABILITY_TASKS) == set(PIPELINE)
    for task in [*tasks.CAPABILITY_TASKS.values(), tasks.enrich_version]:
        assert app.amqp.router.route({}, task.name)["queue"].name == "enrichment"
        assert {OperationalError, SourceUnavailable} <= set(task.autoretry_for)
        assert task.retry_backoff and task.retry_jitter and task.max_retries >= 5
    assert app.conf.task_acks_late


def test_rerunning_every_task_stores_the_same_rows(ingested):
    version = ingested("astronaut")
    first = row_counts(version)
    assert first["Detection"] >= 2 and first["Embedding"] == 1 and first["ModerationResult"] == 1

    for task in tasks.CAPABILITY_TASKS.values():
        task.delay(version.pk)
    wait_for(lambda: all(j.attempts == 2 for j in EnrichmentJob.objects.filter(version=version)) and
             not EnrichmentJob.objects.filter(version=version, status__in=[Status.PENDING, Status.RUNNING]).exists(),
             timeout=120, message="the second run of every task")

    assert row_counts(version) == first


def test_bad_input_fails_once_without_retry_and_the_worker_carries_on(ingested, add_working_rendition):
    broken, fine = ingested("chelsea"), ingested("coffee")
    add_working_rendition(broken, b"this is not a JPEG")

    tasks.classify.delay(broken.pk)
    tasks.detect.delay(fine.pk)
    wait_for(lambda: job(fine, Capability.DETECT).attempts == 2 and job(fine, Capability.DETECT).status == Status.DONE,
             timeout=60, message="the next task to run")

    failed = job(broken, Capability.CLASSIFY)
    assert failed.status == Status.FAILED and failed.attempts == 2  # one run at ingest, one now: no retry
    assert "not a readable image" in failed.detail


def test_a_storage_read_error_is_retried_with_backoff_until_it_succeeds(ingested, add_working_rendition):
    version = ingested("coffee")
    with working_rendition(version).file.open("rb") as readable:
        rendition = add_working_rendition(version, readable.read())
    path = rendition.file.path
    moved = f"{path}.away"
    os.rename(path, moved)
    try:
        tasks.classify.delay(version.pk)
        wait_for(lambda: job(version, Capability.CLASSIFY).detail.startswith("Retrying after a temporary error"),
                 timeout=60, message="the first retry")
    finally:
        os.rename(moved, path)
    wait_for(lambda: job(version, Capability.CLASSIFY).status == Status.DONE, timeout=90, message="the retry to succeed")
    assert job(version, Capability.CLASSIFY).attempts >= 3  # ingest run, the failed read, the retry


def test_exhausted_retries_fail_the_job_and_a_failed_moderation_check_holds_the_asset(
        ingested, add_working_rendition, admin_user, client):
    version = ingested("coffee")
    with working_rendition(version).file.open("rb") as readable:
        rendition = add_working_rendition(version, readable.read())
    os.remove(rendition.file.path)  # gone for good: every retry fails the same way

    for task in (tasks.moderate, tasks.classify):  # the last retry, as the worker runs it after the others
        task.apply_async((version.pk,), retries=task.max_retries)
    wait_for(lambda: {job(version, c).status for c in (Capability.MODERATION, Capability.CLASSIFY)} == {Status.FAILED},
             timeout=60, message="both jobs to give up")

    for capability in (Capability.MODERATION, Capability.CLASSIFY):
        detail = job(version, capability).detail
        assert detail.startswith(f"Gave up after {tasks.moderate.max_retries + 1} attempts: Could not read"), detail
    asset = version.asset
    asset.refresh_from_db()
    assert asset.moderation_state == asset.Moderation.PENDING  # fail closed: hidden until a moderator looks
    entry = AuditEntry.objects.filter(asset=asset, action="asset.moderation").latest("created_at")
    assert entry.after["reason"].startswith("The automatic check failed: Gave up after")

    client.force_login(admin_user)
    queue = client.get(reverse("governance:moderation")).content.decode()
    assert "Automatic check failed" in queue and "Could not read" in queue
    page = client.get(reverse("assets:detail", kwargs={"uid": asset.uid})).content.decode()
    assert "the automatic check failed, so a moderator will look at it" in page
    assert page.count("Gave up after") == 2  # each failed job shows its error in the panel


def test_the_pipeline_hands_a_capability_meeting_a_passing_error_to_its_retrying_task(ingested, add_working_rendition):
    version = ingested("coffee")
    first = row_counts(version)
    with working_rendition(version).file.open("rb") as readable:
        rendition = add_working_rendition(version, readable.read())
    moved = f"{rendition.file.path}.away"
    os.rename(rendition.file.path, moved)
    try:
        tasks.enrich_version.delay(version.pk)
        wait_for(lambda: job(version, Capability.MODERATION).detail.startswith("Retrying after a temporary error"),
                 timeout=60, message="moderation to be handed to its own task")
    finally:
        os.rename(moved, rendition.file.path)
    wait_for(lambda: all(job(version, c).status in (Status.DONE, Status.SKIPPED) for c in PIPELINE),
             timeout=120, message="the capability tasks to finish after the retry")

    assert job(version, Capability.MODERATION).attempts >= 2  # the pipeline's try, then the retrying task's
    assert all(job(version, c).attempts >= 1 for c in PIPELINE)
    assert row_counts(version) == first


@pytest.mark.django_db  # in-process: the task's body, without the worker or a committed upload
def test_an_error_no_retry_fixes_fails_its_job_alone_and_the_pipeline_goes_on(version_with_rendition, monkeypatch):
    version = version_with_rendition("chelsea")

    def broken_store(*args):
        raise ValueError("a model output this code cannot store")

    monkeypatch.setattr(STEPS[Capability.DETECT], "store", broken_store)
    tasks.enrich_version.apply((version.pk,))

    failed = job(version, Capability.DETECT)
    assert failed.status == Status.FAILED and failed.detail == "ValueError: a model output this code cannot store"
    later = [c for c in PIPELINE if PIPELINE.index(c) > PIPELINE.index(Capability.DETECT)]
    assert later and all(job(version, c).status in (Status.DONE, Status.SKIPPED) for c in later)
    assert job(version, Capability.CLASSIFY).status == Status.DONE


@pytest.mark.django_db
def test_the_pipeline_reads_the_version_and_its_renditions_once_for_every_capability(version_with_rendition):
    version = version_with_rendition("chelsea")
    with CaptureQueriesContext(connection) as queries:
        tasks.enrich_version.apply((version.pk,))

    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert sum('FROM "assets_assetversion"' in sql for sql in reads) == 1
    assert sum('FROM "assets_rendition"' in sql for sql in reads) == 1
    assert {job.status for job in EnrichmentJob.objects.filter(version=version)} <= {Status.DONE, Status.SKIPPED}


@pytest.mark.django_db
def test_a_batch_shares_each_model_call_and_an_unreadable_image_fails_alone(
        version_with_rendition, add_working_rendition, monkeypatch):
    real_decode = working_image.decode
    readable = [version_with_rendition(name) for name in ("chelsea", "coffee", "rocket")]
    broken = version_with_rendition("astronaut")
    unreadable = add_working_rendition(broken, b"this is not a JPEG")
    step = STEPS[Capability.CLASSIFY]
    batch_sizes = []

    def counted(adapter, images):
        batch_sizes.append(len(images))
        return type(step).analyse(step, adapter, images)

    monkeypatch.setattr(step, "analyse", counted)
    decoded = []
    monkeypatch.setattr(working_image, "decode", lambda data, what: decoded.append(what) or real_decode(data, what=what))
    with CaptureQueriesContext(connection) as queries:
        tasks.enrich_versions.apply(([[version.pk, PIPELINE] for version in (*readable, broken)],))

    assert batch_sizes == [3]  # one model call for the readable images
    # Each readable working image decoded once for every capability of the batch.
    assert len([what for what in decoded if what != f"rendition {unreadable.spec}"]) == 3
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert sum('FROM "assets_assetversion"' in sql and '"id" IN (' in sql for sql in reads) == 1  # the batch
    assert not any(f'"assets_assetversion"."id" = {version.pk} ' in sql for sql in reads for version in readable)
    for version in readable:
        assert {job(version, c).status for c in PIPELINE} <= {Status.DONE, Status.SKIPPED}
        assert row_counts(version)["Embedding"] == 1
    failed = job(broken, Capability.CLASSIFY)
    assert failed.status == Status.FAILED and "not a readable image" in failed.detail


@pytest.mark.django_db
def test_in_a_batch_an_error_no_retry_fixes_fails_the_job_of_its_version_alone(version_with_rendition, monkeypatch):
    fine, troubled = version_with_rendition("chelsea"), version_with_rendition("coffee")
    step = STEPS[Capability.DETECT]

    def store_failing_on_one(version, *args):
        if version.pk == troubled.pk:
            raise ValueError("a model output this code cannot store")
        return type(step).store(step, version, *args)

    monkeypatch.setattr(step, "store", store_failing_on_one)
    tasks.enrich_versions.apply(([[fine.pk, PIPELINE], [troubled.pk, PIPELINE]],))

    assert job(troubled, Capability.DETECT).status == Status.FAILED
    assert job(troubled, Capability.DETECT).detail == "ValueError: a model output this code cannot store"
    assert {job(fine, c).status for c in PIPELINE} <= {Status.DONE, Status.SKIPPED}
    assert {job(troubled, c).status for c in PIPELINE if c != Capability.DETECT} <= {Status.DONE, Status.SKIPPED}


def test_the_worker_enriches_versions_sent_as_one_batch(ingested, settle, settings):
    versions = [ingested("chelsea"), ingested("coffee")]
    settings.LUMEN_ENRICH_BATCH_SIZE = 2
    settings.LUMEN_ENRICH_BATCH_FROM_DEPTH = 0  # as if the queue were long: these two leave as one message
    first = [row_counts(version) for version in versions]
    since = timezone.now()

    for version in versions:
        tasks.queue_enrichment(version.pk, PIPELINE)
    for version in versions:
        settle(version, since)

    assert [row_counts(version) for version in versions] == first
    assert {j.status for j in EnrichmentJob.objects.filter(version__in=versions)} <= {Status.DONE, Status.SKIPPED}
    assert not gathering.has_gathered()


@pytest.mark.django_db
def test_when_the_pipeline_task_gives_up_its_unfinished_jobs_say_why_and_the_asset_is_held(
        version_with_rendition, monkeypatch):
    version = version_with_rendition("chelsea")

    def database_gone(*args):
        raise OperationalError("the database went away")

    monkeypatch.setattr(tasks.jobs, "queue_jobs", database_gone)
    tasks.enrich_version.apply((version.pk,), retries=tasks.enrich_version.max_retries)

    reasons = {job.capability: (job.status, job.detail) for job in EnrichmentJob.objects.filter(version=version)}
    assert set(reasons) == set(PIPELINE)
    assert all(status == Status.FAILED and detail.startswith("Gave up after") and "went away" in detail
               for status, detail in reasons.values())
    version.asset.refresh_from_db()
    assert version.asset.moderation_state == version.asset.Moderation.PENDING  # fail closed


# Every worker child, at its highest, stays under this: with all models loaded a child holds ~1.0-1.3 GB; a 450x1 JPEG
# took one to 10.5 GB in OCR before shapes were bounded (issue 15).
PEAK_CHILD_RSS_MB = 2500


def thin_images():
    """The shapes that blew up OCR: strips 1-2 px thin, one turned upright by its EXIF orientation, and a 32:1 banner."""
    rng = np.random.default_rng(15)

    def noise(width, height):
        return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype="uint8"), "RGB")

    sideways = Image.Exif()
    sideways[0x0112] = 6
    return {
        "sideways-450x1.jpg": encoded(noise(450, 1), "JPEG", exif=sideways.tobytes()),
        "1x450.png": encoded(noise(1, 450), "PNG"),
        "2x450.jpg": encoded(noise(2, 450), "JPEG"),
        "450x2.jpg": encoded(noise(450, 2), "JPEG"),
        "banner-1280x40.jpg": encoded(noise(1280, 40), "JPEG"),
    }


class PeakRss:
    """The highest resident memory any child of the worker reached (the kernel's high-water mark, sampled)."""

    def __init__(self, worker_pid):
        self.worker_pid, self.peak_mb, self.children = worker_pid, 0.0, set()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self):
        while not self.stopped.wait(0.25):
            for child in Path(f"/proc/{self.worker_pid}/task/{self.worker_pid}/children").read_text().split():
                self.children.add(child)
                try:
                    status = Path(f"/proc/{child}/status").read_text()
                except OSError:
                    continue  # recycled meanwhile
                for line in status.splitlines():  # a child that exited but is not yet reaped has no VmHWM
                    if line.startswith("VmHWM"):
                        self.peak_mb = max(self.peak_mb, int(line.split()[1]) / 1024)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join()


def test_thin_and_damaged_images_keep_worker_memory_bounded_and_the_worker_serving(
        actor, celery_worker, settle, skimage_file):
    uploads = list(thin_images().items()) + list(mutated_uploads(count=25, seed=15))
    with PeakRss(celery_worker.pid) as memory:
        versions = {}
        for name, data in uploads:
            try:
                versions[name] = ingest_file(io.BytesIO(data), filename=name, actor=actor).version
            except Refused:
                continue  # refused in words at upload: covered by tests/assets/test_ingest.py
        for version in versions.values():
            settle(version, timeout=900)
        page = settle(ingest_file(skimage_file("page"), filename="page.jpg", actor=actor).version)

    assert memory.peak_mb < PEAK_CHILD_RSS_MB, f"a worker child reached {memory.peak_mb:.0f} MB"
    assert len(versions) >= 15  # most damaged files are accepted, so their pixels reach the models
    strip = versions["sideways-450x1.jpg"]
    assert Asset.objects.get(pk=strip.asset_id).status == Asset.Status.READY
    assert job(strip, Capability.OCR).status == Status.SKIPPED
    assert "too thin" in job(strip, Capability.OCR).detail
    assert job(versions["banner-1280x40.jpg"], Capability.OCR).status in (Status.DONE, Status.SKIPPED)
    assert job(page, Capability.OCR).status == Status.DONE  # the worker still serves, and reads text
    assert "segmentation" in OcrText.objects.get(version=page).text.lower()
