"""Fair turns in the renditions queue: a large import does not starve another person's upload."""
import uuid

import pytest

from assets.models import Asset
from assets.services import processing, waiting
from assets.tasks import process_version
from dam.celery import app

pytestmark = pytest.mark.django_db


def test_a_persons_first_uploads_go_first_and_the_rest_of_an_import_later(make_user, make_asset):
    ann, ben = make_user("ann"), make_user("ben")
    imported = [make_asset(ann) for _ in range(12)]
    ben_upload = make_asset(ben)
    priorities = list(Asset.objects.filter(pk__in=[a.pk for a in imported]).order_by("pk")
                      .values_list("queue_priority", flat=True))
    assert priorities == [0] * 10 + [3] * 2, "each import keeps its order: its priority never goes back"
    ben_upload.refresh_from_db()
    assert ben_upload.queue_priority == 0
    ahead = waiting.waits([ben_upload.uid])[str(ben_upload.uid)].ahead
    assert ahead == 10, "Ben waits behind Ann's first ten uploads, not all twelve"


@pytest.mark.parametrize(("already_waiting", "priority"), [(0, 0), (9, 0), (10, 3), (99, 3), (100, 6), (999, 6),
                                                           (1000, 9), (5000, 9)])
def test_the_turn_steps_down_as_an_owners_queue_grows(make_user, already_waiting, priority):
    """kombu's Redis transport keeps four priority steps (0, 3, 6, 9); the turns use exactly those."""
    ann = make_user("ann")
    Asset.objects.bulk_create(Asset(owner=ann) for _ in range(already_waiting + 1))  # and the new upload
    Asset.objects.bulk_create(Asset(owner=ann, status=Asset.Status.READY) for _ in range(20))  # done: not counted
    assert processing.queue_priority(ann.pk) == priority


def test_without_fair_turns_every_upload_is_first_come_first_served(make_user, settings):
    settings.LUMEN_QUEUE_FAIR_TURNS = False
    ann = make_user("ann")
    Asset.objects.bulk_create(Asset(owner=ann) for _ in range(50))
    assert processing.queue_priority(ann.pk) == 0


def test_the_redis_broker_hands_out_messages_by_priority_then_in_order():
    """What the worker's BRPOP reads, on the real broker: every priority-0 message before any later step's, and
    each step first in, first out. (A queue of its own, so no running worker takes these messages.)"""
    queue = f"fairness-{uuid.uuid4().hex[:8]}"
    sent = [(1, 3), (2, 3), (3, 6), (4, 0), (5, 9), (6, 0), (7, 3)]  # (version id, priority) in upload order
    for version_id, priority in sent:
        process_version.apply_async((version_id,), priority=priority, queue=queue)
    with app.connection_for_read() as connection:
        inbox = connection.SimpleQueue(queue)
        try:
            taken = [inbox.get(timeout=5) for _ in sent]
            for message in taken:
                message.ack()
        finally:
            inbox.queue.delete()
            inbox.close()
    assert [message.payload[0][0] for message in taken] == [4, 6, 1, 2, 7, 3, 5]
