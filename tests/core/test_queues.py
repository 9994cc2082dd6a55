"""What the broker holds, read from a real Redis of the test's own (the suite's worker consumes the shared one)."""
from assets.tasks import process_version
from core.queues import pending_task_args, queue_lost


def test_only_versions_with_no_message_are_queued_again_and_a_second_sweep_queues_nothing(private_broker):
    process_version.delay(7)
    assert pending_task_args(process_version) == {process_version.name: [[7]]}
    assert queue_lost(process_version, [7, 8, 9], "stalled") == [8, 9]
    assert sorted(pending_task_args(process_version)[process_version.name]) == [[7], [8], [9]]
    assert queue_lost(process_version, [7, 8, 9], "stalled") == []
    with private_broker.connection_for_read() as connection:
        assert connection.default_channel.client.llen("renditions") == 3
