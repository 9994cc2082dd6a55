"""Celery application; configuration comes from Django settings (``CELERY_*``)."""
import logging
import os
import resource
import time

from celery import Celery, bootsteps, signals
from django.conf import settings
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dam.settings")

logger = logging.getLogger(__name__)

app = Celery("dam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def keep_django_logging(**kwargs):
    """Celery would replace the root logger's handlers with its own format (and ignore ``LOG_FORMAT``); with a
    receiver here it leaves logging to Django's ``LOGGING``, so worker lines carry request ids like the web's."""


@signals.task_prerun.connect
@signals.task_postrun.connect
def recycle_database_connections(task=None, **kwargs):
    """Around a task, what Django does around a request: drop connections that are broken or older than
    ``DB_CONN_MAX_AGE`` and keep the others (``CELERY_DB_REUSE_MAX`` stops Celery closing them all).
    Eager tasks run inside the caller's transaction, which must stay open."""
    if task is None or not task.request.is_eager:
        close_old_connections()


@signals.worker_process_init.connect
def bound_child_memory(**kwargs):
    """Cap what a worker child may allocate (``LUMEN_WORKER_MEMORY_LIMIT_MB``): past it an allocation fails inside the
    task, which records why, rather than the machine running out and the kernel killing the child mid-task."""
    limit_mb = settings.LUMEN_WORKER_MEMORY_LIMIT_MB
    if limit_mb:
        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
        soft = limit_mb * 2**20
        resource.setrlimit(resource.RLIMIT_DATA, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


class RenewDeliveryLeases(bootsteps.StartStopStep):
    """Renew, every third of the visibility timeout, the broker's lease on each message this worker holds
    and has not acknowledged: running, prefetched, or a retry waiting for its countdown.

    Tasks are acknowledged late, so Redis hands a message to another worker once it has gone unacknowledged
    for ``visibility_timeout``. Without renewal that timeout must outlast the longest task *and* the longest
    retry countdown (300 s), and a dead worker's tasks then wait that long; with it, the timeout only has to
    outlast a few missed renewals (30 s), and a worker that dies stops renewing, so its tasks run elsewhere
    within about half a minute (docs/reliability.md).
    """

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, consumer, **kwargs):
        super().__init__(consumer, **kwargs)
        self.timer_entry = None

    def start(self, consumer):
        timeout = consumer.app.conf.broker_transport_options.get("visibility_timeout")
        channel = consumer.task_consumer.channel
        if timeout and hasattr(channel, "unacked_index_key"):  # the Redis transport's ack emulation
            self.timer_entry = consumer.timer.call_repeatedly(timeout / 3, self.renew, (channel,))

    def stop(self, consumer):
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None

    def renew(self, channel):
        # QoS._delivered: kombu's own record of the tags this channel took; _dirty: acknowledged, not yet flushed.
        held = set(channel.qos._delivered) - channel.qos._dirty
        if not held:
            return
        try:
            with channel.conn_or_acquire() as client:
                # XX: only tags still waiting; one acknowledged or restored meanwhile is not brought back.
                client.zadd(channel.unacked_index_key, dict.fromkeys(held, time.time()), xx=True)
        except Exception:  # noqa: BLE001 - the broker may be away; the next renewal tries again
            logger.warning("could not renew the lease of %d message(s)", len(held), exc_info=True)


app.steps["consumer"].add(RenewDeliveryLeases)
