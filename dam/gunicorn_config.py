"""gunicorn's settings, shared by ``runstack`` and docker-compose (``-c python:dam.gunicorn_config``).

Threads in each worker process (gthread) and kept-alive connections: a sync worker serves one request at a
time and closes every connection, so a client waits behind one slow request per process, and each request
pays a new TCP connection. Chosen by ``bench/server.py`` (docs/benchmarks.md, "Server throughput").
"""
import os

worker_class = os.environ.get("WEB_WORKER_CLASS", "gthread")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
keepalive = int(os.environ.get("WEB_KEEPALIVE", "5"))  # seconds an idle connection stays open
timeout = 120
