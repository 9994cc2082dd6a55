"""Versions gathered into batches while the enrichment queue is long ("batching similar workloads increases
throughput", issue #15).

While the queue is short each version gets its own ``enrich_version`` message, so a lone upload is enriched at
once. Once ``LUMEN_ENRICH_BATCH_FROM_DEPTH`` messages wait, a version ready for enrichment joins a list in the
broker's Redis instead, and each ``LUMEN_ENRICH_BATCH_SIZE`` of them leave together as one ``enrich_versions``
message: one read of the versions, one model call per capability for the batch and one job-row statement per
capability, where single messages paid each per image (docs/benchmarks.md, "Pipeline"). Waiting in the list
costs a version nothing, since the queue ahead of it is long anyway.

The list is sent on when the queue is short again (after every enrichment task) and by the sweep. A version
taken off the list by a process that died before sending it has no job row yet, so the sweep's
``never_enriched`` finds it and queues it again.
"""
import json

from django.conf import settings

from core.workers import broker, queue_depths

GATHERED_KEY = "lumen:enrichment:gathered"
QUEUE = "enrichment"


def _client():
    return broker(settings.CELERY_BROKER_URL)


def batching_on():
    return settings.LUMEN_ENRICH_BATCH_SIZE > 1


def queue_is_long():
    return queue_depths([QUEUE])[QUEUE] >= settings.LUMEN_ENRICH_BATCH_FROM_DEPTH


def gather(version_id, capabilities):
    """Add a version (and the capabilities it needs) to the list; returns the batch this one completed, taken off
    the list, or ``[]``."""
    size = settings.LUMEN_ENRICH_BATCH_SIZE
    if _client().rpush(GATHERED_KEY, json.dumps([version_id, list(capabilities)])) < size:
        return []
    return _take(size)


def take_gathered():
    """Everything gathered, taken off the list, in batches of at most the batch size."""
    items, size = _take(), settings.LUMEN_ENRICH_BATCH_SIZE
    return [items[start:start + size] for start in range(0, len(items), size)]


def has_gathered():
    return _client().llen(GATHERED_KEY) > 0


def gathered_version_ids():
    return {json.loads(raw)[0] for raw in _client().lrange(GATHERED_KEY, 0, -1)}


def _take(count=None):
    """The first ``count`` items (``None``: all) off the list in one transaction, so no two takers share one."""
    pipe = _client().pipeline(transaction=True)
    if count is None:
        pipe.lrange(GATHERED_KEY, 0, -1)
        pipe.delete(GATHERED_KEY)
    else:
        pipe.lrange(GATHERED_KEY, 0, count - 1)
        pipe.ltrim(GATHERED_KEY, count, -1)
    raws, _ = pipe.execute()
    return [json.loads(raw) for raw in raws]
