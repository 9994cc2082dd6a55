"""What the metrics know about Celery: task runs, failures and retries (from Celery's signals, in the process
that ran the task), queue depth and worker heartbeats (read from the broker when /metrics is scraped), and the
worker-side metrics endpoint for a worker on a machine of its own (``LUMEN_WORKER_METRICS_PORT``).

Heartbeats: every worker writes "last seen now" into one Redis hash each time Celery sends its heartbeat
(every 2 s), so the web's scrape sees every worker on every machine, and a dead one by its age.
"""
import logging
import threading
import time
from functools import cache
from wsgiref.simple_server import WSGIRequestHandler, make_server

import redis
from celery import signals
from django.conf import settings
from kombu.transport.redis import PRIORITY_STEPS
from kombu.transport.redis import Channel as RedisChannel
from prometheus_client.core import GaugeMetricFamily

from core import metrics

logger = logging.getLogger(__name__)

HEARTBEATS_KEY = "lumen:worker-heartbeats"
FORGET_WORKER_AFTER = 24 * 3600  # seconds without a heartbeat before a worker leaves the metrics
BROKER_TIMEOUT = 1.0  # seconds: a scrape or a heartbeat never waits longer on the broker

_started = {}


@cache
def broker(url):
    return redis.Redis.from_url(url, socket_timeout=BROKER_TIMEOUT, socket_connect_timeout=BROKER_TIMEOUT)


@signals.task_prerun.connect
def _task_started(task_id=None, **kwargs):
    _started[task_id] = time.perf_counter()


@signals.task_postrun.connect
def _task_finished(task=None, task_id=None, state=None, **kwargs):
    started = _started.pop(task_id, None)
    metrics.TASKS.labels(task.name, state or "UNKNOWN").inc()
    if started is not None:
        metrics.TASK_LATENCY.labels(task.name).observe(time.perf_counter() - started)


@signals.task_failure.connect
def _task_failed(sender=None, **kwargs):
    metrics.TASK_FAILURES.labels(sender.name).inc()


@signals.task_retry.connect
def _task_retried(sender=None, **kwargs):
    metrics.TASK_RETRIES.labels(sender.name).inc()


@signals.heartbeat_sent.connect
def _heartbeat(sender=None, **kwargs):
    note_alive(sender.eventer.hostname)


def note_alive(worker):
    """Last seen now; a broker that does not answer only costs this heartbeat (the next one tries again)."""
    try:
        broker(settings.CELERY_BROKER_URL).hset(HEARTBEATS_KEY, worker, time.time())
    except redis.RedisError as exc:
        logger.warning("could not record the heartbeat of %s: %s", worker, exc)


def queue_names():
    """The default queue and every queue a route sends tasks to."""
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values() if "queue" in route}
    return sorted({settings.CELERY_TASK_DEFAULT_QUEUE} | routed)


def queue_depths(names):
    """Messages waiting (not yet taken by a worker) in each of the queues ``names``, in one round trip. Redis
    keeps a queue as one list per priority step (kombu's naming)."""
    pipe = broker(settings.CELERY_BROKER_URL).pipeline()
    for queue in names:
        for step in PRIORITY_STEPS:
            pipe.llen(f"{queue}{RedisChannel.sep}{step}" if step else queue)
    lengths = pipe.execute()
    per_queue = len(PRIORITY_STEPS)
    return {queue: sum(lengths[i * per_queue:(i + 1) * per_queue]) for i, queue in enumerate(names)}


class BrokerCollector:
    """Queue depth per queue and each worker's last heartbeat, read from the broker (Redis) at scrape time."""

    def collect(self):
        up = GaugeMetricFamily("lumen_broker_up", "1 when the broker answered this scrape.")
        depth = GaugeMetricFamily("lumen_queue_depth", "Tasks waiting in a queue (not yet taken by a worker).",
                                  labels=["queue"])
        seen = GaugeMetricFamily("lumen_worker_last_seen_timestamp_seconds",
                                 "When a worker last sent its heartbeat (Unix time).", labels=["worker"])
        try:
            for queue, waiting in queue_depths(queue_names()).items():
                depth.add_metric([queue], waiting)
            for worker, when in self._heartbeats().items():
                seen.add_metric([worker], when)
        except redis.RedisError as exc:
            logger.warning("metrics could not read the broker: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield from (up, depth, seen)

    def _heartbeats(self):
        client = broker(settings.CELERY_BROKER_URL)
        now = time.time()
        seen = {worker.decode(): float(when) for worker, when in client.hgetall(HEARTBEATS_KEY).items()}
        gone = [worker for worker, when in seen.items() if now - when > FORGET_WORKER_AFTER]
        if gone:
            client.hdel(HEARTBEATS_KEY, *gone)
        return {worker: when for worker, when in seen.items() if worker not in gone}


metrics.register_scrape_collector(BrokerCollector())


@signals.worker_ready.connect
def _worker_ready(sender=None, **kwargs):
    note_alive(sender.hostname)
    if settings.LUMEN_WORKER_METRICS_PORT:
        serve_worker_metrics(settings.LUMEN_WORKER_METRICS_PORT)


def worker_metrics_app(environ, start_response):
    """WSGI app of the worker-side endpoint: the processes of this machine's metrics directory, under the same
    rule as the web's /metrics (token or allowed network)."""
    proxied = bool(environ.get("HTTP_X_FORWARDED_FOR") or environ.get("HTTP_FORWARDED"))
    if not metrics.may_scrape(environ.get("HTTP_AUTHORIZATION"), environ.get("REMOTE_ADDR"), proxied):
        start_response("401 Unauthorized", [("Content-Type", "text/plain; charset=utf-8"),
                                            ("WWW-Authenticate", 'Bearer realm="metrics"')])
        return [metrics.REFUSAL.encode()]
    body, content_type = metrics.exposition(scrape_time=False)
    start_response("200 OK", [("Content-Type", content_type)])
    return [body]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        """Scrapes every 15 s would fill the worker's log."""


def serve_worker_metrics(port):
    """Serve ``/metrics`` of this machine's worker processes on ``port`` (all interfaces) from a thread of the
    worker's main process. A second worker on the same machine finds the port taken and says so: the first
    one already serves the shared directory."""
    try:
        server = make_server("", port, worker_metrics_app, handler_class=_QuietHandler)
    except OSError as exc:
        logger.warning("worker metrics not served on port %s: %s", port, exc)
        return None
    threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True).start()
    logger.info("worker metrics served on port %s", port)
    return server
