"""Celery tasks on the ``enrichment`` queue: one small idempotent task per capability.

Transient errors (database, broker, storage) retry with exponential backoff; an image the
models cannot read is recorded as a failed job with its reason and is not retried.
"""
import logging

from celery import Task, chain, group, shared_task
from django.db import InterfaceError, OperationalError

from assets.models import AssetVersion
from enrichment.models import Capability
from enrichment.services import jobs
from enrichment.services.capabilities import PIPELINE
from enrichment.services.working_image import SourceUnavailable

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError, SourceUnavailable)


class EnrichmentTask(Task):
    """Retry policy and job bookkeeping shared by the capability tasks (``capability`` set per task)."""

    capability = None
    ignore_result = True  # the job row is the result
    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = 2
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 6

    def run_capability(self, version_id):
        version = AssetVersion.objects.select_related("asset").filter(pk=version_id).first()
        if version is None:
            logger.info("version %s vanished before %s; nothing to do", version_id, self.capability)
            return
        jobs.run_step(self.capability, [version])

    def on_retry(self, exc, task_id, args, kwargs, einfo):
        self._record(jobs.note_retry, args, exc)

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        self._record(jobs.note_failure, args, f"{type(exc).__name__}: {exc}")

    def _record(self, note, args, detail):
        try:
            note(args[0], self.capability, detail)
        except Exception:  # noqa: BLE001 - the database may be what failed; the worker log keeps the error
            logger.exception("could not record the state of %s for version %s", self.capability, args[0])


@shared_task(base=EnrichmentTask, bind=True, capability=Capability.MODERATION)
def moderate(self, version_id):
    """Runs first: cheap, and it decides whether people see the asset before a moderator does."""
    self.run_capability(version_id)


@shared_task(base=EnrichmentTask, bind=True, capability=Capability.CLASSIFY)
def classify(self, version_id):
    """ImageNet labels and the similarity vector, from one inference."""
    self.run_capability(version_id)


@shared_task(base=EnrichmentTask, bind=True, capability=Capability.DETECT)
def detect(self, version_id):
    self.run_capability(version_id)


@shared_task(base=EnrichmentTask, bind=True, capability=Capability.FACES)
def faces(self, version_id):
    self.run_capability(version_id)


@shared_task(base=EnrichmentTask, bind=True, capability=Capability.OCR)
def ocr(self, version_id):
    self.run_capability(version_id)


@shared_task(base=EnrichmentTask, bind=True, capability=Capability.CLIP)
def clip(self, version_id):
    self.run_capability(version_id)


CAPABILITY_TASKS = {task.capability: task for task in (moderate, classify, detect, faces, ocr, clip)}


@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=2, retry_backoff_max=300, retry_jitter=True, max_retries=6,
             ignore_result=True)
def enrich_version(version_id, capabilities=None):
    """Mark the jobs pending, then moderation first and the other capabilities in parallel after it."""
    if not AssetVersion.objects.filter(pk=version_id).exists():
        logger.info("version %s vanished before enrichment; nothing to do", version_id)
        return
    capabilities = [c for c in PIPELINE if capabilities is None or c in capabilities]
    jobs.queue_jobs([version_id], capabilities)
    first = [moderate.si(version_id)] if Capability.MODERATION in capabilities else []
    others = [CAPABILITY_TASKS[c].si(version_id) for c in capabilities if c != Capability.MODERATION]
    chain(*first, *([group(others)] if others else [])).apply_async()
