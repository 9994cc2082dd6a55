"""gunicorn's settings, shared by ``runstack`` and docker-compose (``-c python:dam.gunicorn_config``).

Sync workers, one per core (2 by default: set ``WEB_CONCURRENCY`` to the machine's cores): every page here is
CPU-bound Python, and threads in one process share one interpreter lock. On 2-core machines at 1M assets sync × 2
answered 420–525 req/s on the API detail and 176–207 on ``/api/assets/`` (medians of rounds in turns, two
machines); gthread (2 × 4 threads) answered less, and 3 processes, asked in turns with 2, gained nothing
(``bench/server.py --versus``, docs/benchmarks.md "Server throughput"). Put a buffering proxy (nginx, a load
balancer) in front, as for any sync gunicorn, so slow clients do not hold a worker; ``WEB_WORKER_CLASS=gthread``
with ``WEB_THREADS`` keeps connections alive where there is none.
"""
import os

worker_class = os.environ.get("WEB_WORKER_CLASS", "sync")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "1"))
keepalive = int(os.environ.get("WEB_KEEPALIVE", "5"))  # seconds an idle connection stays open (gthread)
timeout = 120
