"""What the broker holds for a task: the messages waiting in its queue and those a worker has taken and not yet
acknowledged. The sweeps use it to tell work that is only waiting its turn from work whose message was never
published (the broker was away when the upload committed) or was lost with the broker's memory."""
import base64
import json
import logging

from celery import current_app

logger = logging.getLogger(__name__)


def queue_lost(task, stalled, reason, *, waiting=None):
    """Queue ``task`` again for each version of ``stalled`` (ids) with no ``task`` message in the broker, saying
    ``reason`` in the log; returns those ids. ``waiting()`` names the ids whose work is on its way where more than
    ``task``'s own messages carry it (e.g. batches). The broker is read only when the database found stalled work."""
    if not stalled:
        return []
    pending = waiting() if waiting else {args[0] for args in pending_task_args(task)[task.name] if args}
    lost = sorted(set(stalled) - pending)
    for version_id in lost:
        logger.warning("version %s %s; queueing %s again", version_id, reason, task.name)
        task.delay(version_id)
    return lost


def pending_task_args(*tasks):
    """``{task name: [positional arguments of each message]}`` for every message of ``tasks`` waiting in their
    queues or held by a worker.

    Reads Redis as kombu lays it out (a list per queue and priority, the ``unacked`` hash); a scan of the
    whole queue, so callers look only when the database says something may be stalled."""
    queues = {current_app.amqp.router.route({}, task.name)["queue"].name for task in tasks}
    with current_app.connection_for_read() as connection:
        channel = connection.default_channel
        with channel.conn_or_acquire() as client:
            pipe = client.pipeline()
            for queue in sorted(queues):
                for priority in channel.priority_steps:
                    pipe.lrange(channel._q_for_pri(queue, priority), 0, -1)
            pipe.hvals(channel.unacked_key)
            *waiting, held = pipe.execute()
    messages = [json.loads(raw) for raws in waiting for raw in raws]
    messages += [json.loads(raw)[0] for raw in held]  # each entry: [message, exchange, routing key]
    found = {task.name: [] for task in tasks}
    for message in messages:
        name = message.get("headers", {}).get("task")
        if name in found:
            found[name].append(_args(message))
    return found


def _args(message):
    body = message["body"]
    if message.get("properties", {}).get("body_encoding") == "base64":
        body = base64.b64decode(body)
    args, _kwargs, _embed = json.loads(body)
    return args
