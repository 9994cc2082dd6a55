"""What the broker holds, read from a real Redis of the test's own (the suite's worker consumes the shared one)."""
import pytest
from celery import Celery
from django.conf import settings
from stacks import RedisServer

from assets.tasks import process_version
from core.queues import pending_task_args, queue_lost


@pytest.fixture
def broker(tmp_path):
    """A Celery app on a Redis of this test's own, current for the test, routed as the project's."""
    from celery import current_app

    redis = RedisServer(tmp_path).start()
    previous = current_app._get_current_object()
    app = Celery("probe", broker=redis.url, set_as_current=True)
    app.conf.task_routes = settings.CELERY_TASK_ROUTES
    yield app
    previous.set_current()
    redis.stop()


def test_only_versions_with_no_message_are_queued_again_and_a_second_sweep_queues_nothing(broker):
    process_version.delay(7)
    assert pending_task_args(process_version) == [[7]]
    assert queue_lost(process_version, [7, 8, 9], "stalled") == [8, 9]
    assert sorted(pending_task_args(process_version)) == [[7], [8], [9]]
    assert queue_lost(process_version, [7, 8, 9], "stalled") == []
    with broker.connection_for_read() as connection:
        assert connection.default_channel.client.llen("renditions") == 3
