"""Celery tasks on the ``enrichment`` queue: one small idempotent task per capability, and the
pipeline task that runs them all for a new version in one go.

Transient errors (database, broker, storage) retry with exponential backoff (``core.retries``); an
image the models cannot read is recorded as a failed job with its reason and is not retried, and so
is any error after the last retry: the job never stays pending, and the tasks after it still run.
"""
import logging
from datetime import timedelta
from functools import partial

from celery import Task, chain, group, shared_task
from django.conf import settings
from redis.exceptions import RedisError

from assets.models import AssetVersion
from core.queues import pending_task_args, queue_lost
from core.retries import RETRY_POLICY, TRANSIENT_ERRORS, giving_up, record_retry
from enrichment.models import Capability
from enrichment.services import gathering, jobs
from enrichment.services.capabilities import PIPELINE

logger = logging.getLogger(__name__)


class EnrichmentTask(Task):
    """Retry policy and job bookkeeping shared by the capability tasks (``capability`` set per task)."""

    capability = None
    ignore_result = True  # the job row is the result

    def run_capability(self, version_id):
        version = AssetVersion.objects.select_related("asset").filter(pk=version_id).first()
        if version is None:
            logger.info("version %s vanished before %s; nothing to do", version_id, self.capability)
            return
        with giving_up(self, partial(jobs.note_failure, version_id, self.capability)):
            jobs.run_step(self.capability, [version])

    def on_retry(self, exc, task_id, args, kwargs, einfo):
        record_retry(jobs.note_retry, args[0], self.capability, exc)


def capability_task(capability):
    return shared_task(base=EnrichmentTask, bind=True, capability=capability, **RETRY_POLICY)


@capability_task(Capability.MODERATION)
def moderate(self, version_id):
    """Runs first: cheap, and it decides whether people see the asset before a moderator does."""
    self.run_capability(version_id)


@capability_task(Capability.CLASSIFY)
def classify(self, version_id):
    """ImageNet labels and the similarity vector, from one inference."""
    self.run_capability(version_id)


@capability_task(Capability.DETECT)
def detect(self, version_id):
    self.run_capability(version_id)


@capability_task(Capability.FACES)
def faces(self, version_id):
    self.run_capability(version_id)


@capability_task(Capability.PEOPLE)
def recognise(self, version_id):
    """Face descriptors grouped into people (opt-in collections only), after face detection."""
    self.run_capability(version_id)


@capability_task(Capability.OCR)
def ocr(self, version_id):
    self.run_capability(version_id)


@capability_task(Capability.COLOURS)
def colours(self, version_id):
    self.run_capability(version_id)


@capability_task(Capability.CLIP)
def clip(self, version_id):
    self.run_capability(version_id)


CAPABILITY_TASKS = {
    task.capability: task for task in (moderate, classify, detect, faces, recognise, ocr, colours, clip)
}


@shared_task(bind=True, ignore_result=True, **RETRY_POLICY)
def enrich_version(self, version_id, capabilities=None):
    """Every capability of a version in this one task, moderation first (it decides whether people see
    the asset before a moderator does).

    One message, one fetch of the version and one decode of its working image serve all of them:
    as separate tasks those cost more than the fast models themselves (docs/benchmarks.md). A
    capability that meets a passing error goes on, with the ones after it, as the capability tasks
    with their own backoff; an error no retry fixes fails that job alone and the next one runs. If
    the task itself gives up (the version cannot even be read), every job says why.
    """
    capabilities = in_pipeline_order(capabilities)
    with giving_up(self, partial(jobs.fail_unfinished, version_id, capabilities)):
        run_pipeline([version_id], capabilities)
    send_gathered()


@shared_task(bind=True, ignore_result=True, **RETRY_POLICY)
def enrich_versions(self, items):
    """``enrich_version`` for a batch gathered while the queue was long (``enrichment.services.gathering``):
    ``items`` are ``[version_id, capabilities]``, and versions needing the same capabilities share each model
    call. Re-run whole after a passing error, which stores the same rows again."""
    batches = {}
    for version_id, capabilities in items:
        batches.setdefault(tuple(in_pipeline_order(capabilities)), []).append(version_id)
    for capabilities, version_ids in batches.items():
        with giving_up(self, partial(_fail_unfinished_each, version_ids, capabilities)):
            run_pipeline(version_ids, list(capabilities))
    send_gathered()


def in_pipeline_order(capabilities):
    """The capabilities asked for (``None``: every one), in the pipeline's order: moderation first."""
    return [c for c in PIPELINE if capabilities is None or c in capabilities]


def _fail_unfinished_each(version_ids, capabilities, reason):
    for version_id in version_ids:
        jobs.fail_unfinished(version_id, capabilities, reason)


def run_pipeline(version_ids, capabilities):
    """The capabilities over these versions in this process, each once for all of them: what both enrichment
    tasks run (and bench/enrich_batches.py measures). Versions deleted meanwhile are left out."""
    versions = list(AssetVersion.objects.select_related("asset").prefetch_related("renditions")
                    .filter(pk__in=version_ids).order_by("pk"))
    if len(versions) < len(version_ids):
        logger.info("versions %s vanished before enrichment; nothing to do for them",
                    sorted(set(version_ids) - {version.pk for version in versions}))
    if versions:
        jobs.queue_jobs([version.pk for version in versions], capabilities)
        _run_steps(versions, capabilities)


def _run_steps(versions, capabilities):
    for position, capability in enumerate(capabilities):
        handed_on = _run_step(capability, versions, capabilities[position:])
        versions = [version for version in versions if version.pk not in handed_on]
        if not versions:
            return


def _run_step(capability, versions, rest):
    """One capability over ``versions``; returns the ids handed to the capability tasks (``rest`` of their
    pipeline, each retrying on its own) after a passing error. An error no retry fixes fails the job of the
    version it belongs to, found by running a batch's versions one at a time."""
    try:
        jobs.run_step(capability, versions)
    except TRANSIENT_ERRORS as exc:
        for version in versions:
            logger.warning("%s of version %s met %r; the rest goes on as capability tasks", capability, version.pk, exc)
            record_retry(jobs.note_retry, version.pk, capability, exc)
            capability_tasks(version.pk, rest).apply_async()
        return {version.pk for version in versions}
    except Exception as exc:  # noqa: BLE001 - e.g. a model file that does not load: no retry will fix it
        if len(versions) > 1:
            return set().union(*(_run_step(capability, [version], rest) for version in versions))
        logger.exception("%s failed on version %s", capability, versions[0].pk)
        jobs.note_failure(versions[0].pk, capability, f"{type(exc).__name__}: {exc}")
    return set()


def queue_enrichment(version_id, capabilities):
    """A message for this version's enrichment while the queue is short; while it is long, the version joins
    the gathered batch and a full batch is sent as one message (``enrichment.services.gathering``)."""
    if gathering.batching_on() and gathering.queue_is_long():
        batch = gathering.gather(version_id, capabilities)
        if batch:
            enrich_versions.delay(batch)
    else:
        enrich_version.delay(version_id, capabilities)


def send_gathered(*, even_if_long=False):
    """Send what was gathered, once the queue is short again (or now, for the sweep): the last versions of an
    import would otherwise wait for a batch that never fills."""
    try:
        if gathering.has_gathered() and (even_if_long or not gathering.queue_is_long()):
            for batch in gathering.take_gathered():
                enrich_versions.delay(batch)
    except RedisError as exc:  # the task's own work is done; the next task or the sweep sends them
        logger.warning("gathered versions not sent for enrichment now: %s", exc)


def capability_tasks(version_id, capabilities):
    """Moderation first, then the others in parallel, each task retrying on its own; recognition after the
    face detection it reads."""
    first = [moderate.si(version_id)] if Capability.MODERATION in capabilities else []
    recognising = Capability.PEOPLE in capabilities
    sequenced = (Capability.MODERATION, Capability.PEOPLE, *([Capability.FACES] if recognising else []))
    others = [CAPABILITY_TASKS[c].si(version_id) for c in capabilities if c not in sequenced]
    if recognising:
        detecting = [faces.si(version_id)] if Capability.FACES in capabilities else []
        others.append(chain(*detecting, recognise.si(version_id)))
    return chain(*first, *([group(others)] if others else []))


@shared_task(ignore_result=True)
def requeue_unqueued_enrichment():
    """Beat, every ``LUMEN_SWEEP_INTERVAL_SECONDS``: queue the enrichment of versions ready for
    ``LUMEN_STALLED_AFTER_SECONDS`` with no job and no message in the broker (renditions were made while Redis was
    away). Enriching twice is harmless: each capability replaces its own results."""
    send_gathered(even_if_long=True)
    queue_lost(enrich_version, jobs.never_enriched(timedelta(seconds=settings.LUMEN_STALLED_AFTER_SECONDS)),
               "is ready but was never queued for enrichment", waiting=_waiting_for_enrichment)


def _waiting_for_enrichment():
    """Versions whose enrichment is on its way: in a single or a batch message, or gathered for a batch."""
    found = pending_task_args(enrich_version, enrich_versions)
    singles = {args[0] for args in found[enrich_version.name] if args}
    batched = {item[0] for args in found[enrich_versions.name] if args for item in args[0]}
    return singles | batched | gathering.gathered_version_ids()
