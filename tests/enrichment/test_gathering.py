"""Batches while the enrichment queue is long: versions gathered in the broker's Redis, sent a batch to a message,
the rest sent once the queue is short, and none queued twice by the sweep. On a Redis of the test's own, whose
messages stay there to be read."""
from datetime import timedelta

import pytest
from django.utils import timezone

from assets.models import Asset
from core.queues import pending_task_args
from enrichment import tasks
from enrichment.services import gathering
from enrichment.services.capabilities import PIPELINE


def queued():
    """``(single messages' version ids, each batch message's version ids)`` waiting in the broker, sorted."""
    found = pending_task_args(tasks.enrich_version, tasks.enrich_versions)
    return (sorted(args[0] for args in found[tasks.enrich_version.name]),
            sorted([version_id for version_id, _ in args[0]] for args in found[tasks.enrich_versions.name]))


def drain(broker):
    """The workers took every waiting message."""
    with broker.connection_for_write() as connection:
        connection.default_channel.client.delete(gathering.QUEUE)


def test_while_the_queue_is_short_each_version_gets_its_own_message(private_broker):
    tasks.queue_enrichment(7, PIPELINE)
    tasks.queue_enrichment(8, PIPELINE[:2])

    assert queued() == ([7, 8], [])
    assert [8, list(PIPELINE[:2])] in pending_task_args(tasks.enrich_version)[tasks.enrich_version.name]
    assert not gathering.has_gathered()


def test_a_long_queue_sends_full_batches_and_the_rest_once_it_is_short(private_broker, settings):
    settings.LUMEN_ENRICH_BATCH_SIZE = 3
    settings.LUMEN_ENRICH_BATCH_FROM_DEPTH = 2
    for version_id in range(1, 10):
        tasks.queue_enrichment(version_id, PIPELINE)

    # Two single messages make the queue long; then batches of three, and one version waits for its batch.
    assert queued() == ([1, 2], [[3, 4, 5], [6, 7, 8]])
    assert gathering.gathered_version_ids() == {9}
    tasks.send_gathered()  # still long: the batch may yet fill
    assert gathering.gathered_version_ids() == {9}

    drain(private_broker)
    tasks.send_gathered()
    assert queued() == ([], [[9]])
    assert not gathering.has_gathered()


def test_a_batch_size_of_one_never_gathers(private_broker, settings):
    settings.LUMEN_ENRICH_BATCH_SIZE = 1
    settings.LUMEN_ENRICH_BATCH_FROM_DEPTH = 0
    for version_id in (1, 2, 3):
        tasks.queue_enrichment(version_id, PIPELINE)

    assert queued() == ([1, 2, 3], [])


@pytest.mark.django_db
def test_the_sweep_sends_what_was_gathered_and_queues_no_batched_version_again(
        private_broker, settings, version_with_rendition):
    settings.LUMEN_ENRICH_BATCH_SIZE = 2
    settings.LUMEN_ENRICH_BATCH_FROM_DEPTH = 0
    versions = [version_with_rendition(name) for name in ("chelsea", "coffee", "astronaut")]
    ids = sorted(version.pk for version in versions)
    # Ready long ago with no job row: what the sweep looks for.
    Asset.objects.filter(current_version__in=ids).update(status=Asset.Status.READY,
                                                         updated_at=timezone.now() - timedelta(days=1))
    for version_id in ids:
        tasks.queue_enrichment(version_id, PIPELINE)
    assert queued() == ([], [ids[:2]])

    for _ in range(2):  # a second sweep finds everything on its way
        tasks.requeue_unqueued_enrichment()
        assert queued() == ([], [ids[:2], ids[2:]])
    assert not gathering.has_gathered()
