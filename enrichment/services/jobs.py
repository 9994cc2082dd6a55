"""Run a capability over versions and keep each version's job row (status, reason, latency) true.

Celery tasks call :func:`run_step` with one version; ``manage.py enrich --sync`` calls it
with batches, so both paths share the model call, the storage and the job bookkeeping.
"""
import logging
import time

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from assets.models import Asset, AssetVersion
from core import metrics
from enrichment.adapters.base import runs_on_gpu
from enrichment.models import Capability, EnrichmentJob
from enrichment.services.capabilities import STEPS, hold_unchecked
from enrichment.services.working_image import BadInput, TooThin, fit_for_models

logger = logging.getLogger(__name__)
Status = EnrichmentJob.Status


def set_jobs(version_ids, capability, **fields):
    """Upsert the job rows of ``capability`` for these versions (one statement)."""
    _upsert_jobs([(pk, capability) for pk in version_ids], fields)


def queue_jobs(version_ids, capabilities):
    """Pending, no attempt yet: every job row of these versions and capabilities in one statement."""
    _upsert_jobs([(pk, capability) for capability in capabilities for pk in version_ids],
                 dict(status=Status.PENDING, detail="", attempts=0, latency_ms=None, cpu_ms=None, cost=None, model=None))


def _upsert_jobs(keys, fields):
    EnrichmentJob.objects.bulk_create(
        [EnrichmentJob(version_id=pk, capability=capability, **fields) for pk, capability in keys],
        update_conflicts=True,
        unique_fields=["version", "capability"],
        update_fields=[*fields, "updated_at"],
    )


def never_enriched(older_than):
    """Current versions of assets ready ``older_than`` (a timedelta) ago that have no job at all: enrichment waits
    in a long queue, or its message never reached the broker; the sweep tells which."""
    return list(AssetVersion.objects.filter(
        pk__in=Asset.objects.filter(status=Asset.Status.READY, updated_at__lt=timezone.now() - older_than)
        .values("current_version_id"),
    ).exclude(pk__in=EnrichmentJob.objects.values("version_id")).values_list("pk", flat=True))


def start_jobs(version_ids, capability):
    """Running, one more attempt: a single UPDATE, as ``queue_jobs`` made the rows; a task run on
    its own (``enrich --sync``, a direct call) creates the missing ones.
    """
    started = EnrichmentJob.objects.filter(version_id__in=version_ids, capability=capability).update(
        status=Status.RUNNING, detail="", attempts=F("attempts") + 1, updated_at=timezone.now()
    )
    if started < len(version_ids):
        EnrichmentJob.objects.bulk_create(
            [EnrichmentJob(version_id=pk, capability=capability, status=Status.RUNNING, attempts=1) for pk in version_ids],
            ignore_conflicts=True,
        )


def note_retry(version_id, capability, exc):
    set_jobs([version_id], capability, status=Status.PENDING, detail=f"Retrying after a temporary error: {exc}")


def note_failure(version_id, capability, reason):
    """Failed, with the reason people see; a failed moderation check holds the asset for a moderator."""
    with transaction.atomic():
        set_jobs([version_id], capability, status=Status.FAILED, detail=reason)
        if capability == Capability.MODERATION:
            hold_unchecked(version_id, reason)
    metrics.ENRICHMENT_JOBS.labels(capability, Status.FAILED).inc()


def fail_unfinished(version_id, capabilities, reason):
    """The pipeline task gave up: its jobs not yet finished say why (finished ones keep their results)."""
    finished = set(EnrichmentJob.objects.filter(version_id=version_id, capability__in=capabilities)
                   .exclude(status__in=(Status.PENDING, Status.RUNNING)).values_list("capability", flat=True))
    for capability in capabilities:
        if capability not in finished:
            note_failure(version_id, capability, reason)


def run_step(capability, versions, *, images=None):
    """Enrich ``versions`` with one capability: one model call for the batch, then per version
    its results and its job row in one transaction. ``images`` ({version pk: WorkingImage})
    replaces loading when the caller already holds the pixels.
    """
    step = STEPS[capability]
    version_ids = [version.pk for version in versions]
    start_jobs(version_ids, capability)
    runnable = []
    for version in versions:
        reason = step.skip_reason(version)
        if reason:
            _skip(version, capability, reason)
        else:
            runnable.append(version)
    loaded = []
    for version in runnable:
        try:
            loaded.append((version, fit_for_models(images[version.pk] if images else step.load(version))))
        except BadInput as exc:
            note_failure(version.pk, capability, str(exc))
        except TooThin as exc:
            _skip(version, capability, str(exc))
    if not loaded:
        return
    adapter = step.adapter()
    runs = step.runs(adapter)
    for (version, working), (result, latency_ms, cpu_ms) in zip(loaded, _analyse(step, adapter, loaded)):
        cost = metrics.inference_cost(cpu_ms / 1000, latency_ms / 1000 if runs_on_gpu() else 0.0)
        if isinstance(result, BadInput):
            note_failure(version.pk, capability, str(result))
            _inference_event(runs[capability], version, Status.FAILED, str(result), latency_ms, cpu_ms, cost)
            continue
        with transaction.atomic():
            outcome = step.store(version, working, result, runs)
            set_jobs([version.pk], capability, status=outcome.status, detail=outcome.detail,
                     model=runs[capability], latency_ms=latency_ms, cpu_ms=cpu_ms, cost=cost)
        metrics.ENRICHMENT_JOBS.labels(capability, outcome.status).inc()
        _inference_event(runs[capability], version, outcome.status, outcome.detail, latency_ms, cpu_ms, cost)


def _skip(version, capability, reason):
    set_jobs([version.pk], capability, status=Status.SKIPPED, detail=reason)
    metrics.ENRICHMENT_JOBS.labels(capability, Status.SKIPPED).inc()


def _analyse(step, adapter, loaded):
    """Results with per-item model wall and CPU milliseconds (a batch's time shared out); a batch that fails
    is retried item by item, so one unreadable image fails alone, as :class:`BadInput`. CPU time is the
    process's, ONNX Runtime's threads included: a worker child runs one task at a time.
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        results = step.analyse(adapter, [step.model_input(working) for _, working in loaded])
    except Exception as exc:  # noqa: BLE001 - models raise assorted types on pixels they cannot take
        if len(loaded) > 1:
            return [item for pair in loaded for item in _analyse(step, adapter, [pair])]
        logger.warning("%s failed on version %s", step.capability, loaded[0][0].pk, exc_info=True)
        results = [BadInput(f"The model could not process this image: {exc}")]
    latency_ms = (time.perf_counter() - started) * 1000 / len(loaded)
    cpu_ms = (time.process_time() - cpu_started) * 1000 / len(loaded)
    return [(result, latency_ms, cpu_ms) for result in results]


def _inference_event(run, version, outcome, detail, latency_ms, cpu_ms, cost):
    """The audit trail of inference: one structured log line per image a model ran on, and its metrics."""
    metrics.record_inference(run.capability, run.name, outcome, seconds=latency_ms / 1000,
                             cpu_seconds=cpu_ms / 1000, cost=cost)
    logger.info("%s by %s on version %s: %s in %.0f ms", run.capability, run.name, version.pk, outcome, latency_ms,
                extra={"event": "inference", "capability": run.capability, "model": run.name,
                       "model_version": run.version, "model_run": run.pk, "asset_id": version.asset_id,
                       "version_id": version.pk, "version_number": version.number, "outcome": outcome,
                       "detail": detail, "ms": round(latency_ms, 2), "cpu_ms": round(cpu_ms, 2), "cost": cost})
