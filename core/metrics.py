"""Prometheus metrics of every process — gunicorn workers, Celery workers and their children — read in one scrape.

Each process writes its values to files in one directory (prometheus-client's multiprocess mode,
``LUMEN_METRICS_DIR``, by default ``$LUMEN_VAR_DIR/metrics``; ``runstack`` empties it at start), and ``/metrics``
adds them up. Figures that belong to no process — queue depth, worker heartbeats, storage bytes — are read when
``/metrics`` is scraped, by the collectors registered with :func:`register_scrape_collector`. docs/operations.md
lists every metric.
"""
import hmac
import ipaddress
import logging
import os
import re
import time
from pathlib import Path

from django.conf import settings

# prometheus-client chooses how values are kept when it is first imported: files in the shared directory.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(settings.LUMEN_METRICS_DIR))
Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

from prometheus_client import (  # noqa: E402
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

logger = logging.getLogger(__name__)

_REGEX_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")

INFERENCE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

HTTP_LATENCY = Histogram("lumen_http_request_duration_seconds", "Time to answer a request, by URL pattern.",
                         ["method", "route"])
HTTP_REQUESTS = Counter("lumen_http_requests_total", "Requests answered, by URL pattern and status.",
                        ["method", "route", "status"])
HTTP_IN_PROGRESS = Gauge("lumen_http_requests_in_progress", "Requests being answered now.", multiprocess_mode="livesum")
INGESTS = Counter("lumen_ingest_total", "Uploads: accepted (a new version), duplicate (the library had the bytes) "
                  "or refused, with the refusal's code.", ["outcome", "code"])
INGEST_BYTES = Counter("lumen_ingest_bytes_total", "Bytes of accepted uploads.", ["outcome"])
ENRICHMENT_JOBS = Counter("lumen_enrichment_jobs_total", "Enrichment jobs finished, by capability and status.",
                          ["capability", "status"])
INFERENCES = Counter("lumen_inferences_total", "Images a model ran on, by outcome.", ["capability", "model", "outcome"])
INFERENCE_LATENCY = Histogram("lumen_inference_duration_seconds", "Model time per image (a batch's time shared out).",
                              ["capability", "model"], buckets=INFERENCE_BUCKETS)
INFERENCE_CPU = Counter("lumen_inference_cpu_seconds_total", "CPU time of the process while models ran.",
                        ["capability", "model"])
INFERENCE_COST = Counter("lumen_inference_cost_total", "What inference cost: CPU seconds at LUMEN_CPU_HOUR_PRICE, "
                         "plus GPU time at LUMEN_GPU_HOUR_PRICE where a GPU ran the model.", ["capability", "model"])
TASKS = Counter("lumen_tasks_total", "Celery task runs, by task and final state.", ["task", "state"])
TASK_LATENCY = Histogram("lumen_task_duration_seconds", "Time a Celery task ran.", ["task"],
                         buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300))
TASK_FAILURES = Counter("lumen_task_failures_total", "Tasks that raised, or gave up after retries and recorded why.",
                        ["task"])
TASK_RETRIES = Counter("lumen_task_retries_total", "Retries scheduled after passing errors.", ["task"])

REFUSAL = "Metrics need the bearer token (LUMEN_METRICS_TOKEN) or a request from an allowed network."

_scrape_collectors = []


def register_scrape_collector(collector):
    """A prometheus collector whose ``collect()`` reads its figures when /metrics is scraped (and must not raise)."""
    _scrape_collectors.append(collector)


def record_ingest(outcome, *, code="", size=0):
    INGESTS.labels(outcome=outcome, code=code).inc()
    if size:
        INGEST_BYTES.labels(outcome=outcome).inc(size)


def inference_cost(cpu_seconds, gpu_seconds=0.0):
    """Price of one inference: CPU-hours and GPU-hours at the configured prices (any currency)."""
    return (cpu_seconds * settings.LUMEN_CPU_HOUR_PRICE + gpu_seconds * settings.LUMEN_GPU_HOUR_PRICE) / 3600


def record_inference(capability, model, outcome, *, seconds, cpu_seconds, cost):
    """One image through a model: its outcome, time, CPU time and cost."""
    INFERENCES.labels(capability, model, outcome).inc()
    INFERENCE_LATENCY.labels(capability, model).observe(seconds)
    INFERENCE_CPU.labels(capability, model).inc(cpu_seconds)
    INFERENCE_COST.labels(capability, model).inc(cost)


def route_of(request):
    """The URL pattern that answered (``assets/<uuid:uid>/``), never the raw path: a bounded label. The API
    router's regular expressions read the same way (``api/assets/<uid>/``)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return _REGEX_GROUP.sub(r"<\1>", match.route).replace("^", "").replace("$", "") or match.view_name


class RequestTimingMiddleware:
    """Times every request into the latency histogram by route, and writes its access line (the route, not the
    path: signed links carry their token in it). After WhiteNoise: static files are not counted."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        with HTTP_IN_PROGRESS.track_inprogress():
            response = self.get_response(request)
        seconds = time.perf_counter() - started
        route = route_of(request)
        HTTP_LATENCY.labels(request.method, route).observe(seconds)
        HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        logger.info("%s %s %s in %.0f ms", request.method, route, response.status_code, seconds * 1000,
                    extra={"event": "request", "method": request.method, "route": route,
                           "status": response.status_code, "ms": round(seconds * 1000, 2)})
        return response


def may_scrape(authorization, remote_addr, proxied):
    """Whether a scraper may read the metrics: the bearer token ``LUMEN_METRICS_TOKEN``, or an address in
    ``LUMEN_METRICS_ALLOWED_NETWORKS`` (loopback by default). A request that came through a proxy
    (``proxied``: it carries X-Forwarded-For or Forwarded) is not trusted by its address, which is the proxy's."""
    token = settings.LUMEN_METRICS_TOKEN
    if token and hmac.compare_digest((authorization or "").encode(), f"Bearer {token}".encode()):
        return True
    if proxied:
        return False
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False)
               for network in settings.LUMEN_METRICS_ALLOWED_NETWORKS)


def exposition(*, scrape_time=True):
    """The text a scraper reads (and its content type): every process's values from the shared directory, and,
    with ``scrape_time``, the collectors that read the broker and the database now."""
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    _forget_dead_processes(Path(directory))
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    for collector in _scrape_collectors if scrape_time else ():
        registry.register(collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST


def _forget_dead_processes(directory):
    """Gauges of processes that ended (a recycled gunicorn worker, a killed Celery child) leave the sums;
    their counters and histograms stay, as counters never go back. Done at scrape time, because a killed
    process runs no exit hook."""
    for path in directory.glob("gauge_live*_*.db"):
        pid = int(path.stem.rpartition("_")[2])
        if not _running(pid):
            multiprocess.mark_process_dead(pid, str(directory))


def _running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, under another user
        pass
    return True


def clear_directory(directory=None):
    """Empty the shared directory before the processes that write to it start (``runstack``): files of
    processes from an earlier run would otherwise be added to this run's figures."""
    directory = Path(directory or os.environ["PROMETHEUS_MULTIPROC_DIR"])
    for path in directory.glob("*.db"):
        path.unlink(missing_ok=True)
