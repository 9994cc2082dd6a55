"""gunicorn's settings, shared by ``runstack`` and docker-compose (``-c python:dam.gunicorn_config``).

Sync workers, one per core this process may run on (at most ``MAX_DEFAULT_WORKERS``; ``WEB_CONCURRENCY``
sets another number): every page here is CPU-bound Python, and threads in one process share one interpreter
lock. On 2-core machines at 1M assets sync × 2 answered 420–633 req/s on the API detail and 176–259 on
``/api/assets/`` (medians of rounds in turns, three machines); gthread (2 × 4 threads) answered less, and 3
processes, asked in turns with 2, gained nothing (``bench/server.py --versus``, docs/benchmarks.md "Server
throughput"). Put a buffering proxy (nginx, a load balancer) in front, as for any sync gunicorn, so slow clients
do not hold a worker; ``WEB_WORKER_CLASS=gthread`` with ``WEB_THREADS`` keeps connections alive where there is
none.
"""
import os

# Each process holds its own copy of Django, DRF and the URL patterns (~240 MB resident): a 64-core host shared
# with workers and a database would otherwise start 64 of them for a library one person uses.
MAX_DEFAULT_WORKERS = 8


def default_workers():
    """One sync process per core this process is allowed on (a container's cpuset counts, not the host's)."""
    return max(1, min(len(os.sched_getaffinity(0)), MAX_DEFAULT_WORKERS))


worker_class = os.environ.get("WEB_WORKER_CLASS", "sync")
workers = int(os.environ.get("WEB_CONCURRENCY") or default_workers())
threads = int(os.environ.get("WEB_THREADS", "1"))
keepalive = int(os.environ.get("WEB_KEEPALIVE", "5"))  # seconds an idle connection stays open (gthread)
timeout = 120
