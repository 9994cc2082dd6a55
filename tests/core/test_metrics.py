"""/metrics through the test client after real requests and uploads: the series, their labels and values, the
queue depth read from the real Redis, storage totals from the database, and who may scrape."""
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from kombu.transport.redis import Channel as RedisChannel
from prometheus_client.parser import text_string_to_metric_families

from core import metrics
from support import REPO, free_port

pytestmark = pytest.mark.django_db


def scrape(client, **extra):
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return [sample for family in text_string_to_metric_families(response.content.decode()) for sample in family.samples]


def value(samples, name, **labels):
    """Sum of the samples of ``name`` whose labels include ``labels`` (0 when there is none)."""
    return sum(s.value for s in samples if s.name == name and labels.items() <= s.labels.items())


def test_requests_are_timed_by_url_pattern_never_by_raw_path(client, user, make_asset):
    client.force_login(user)
    assets = [make_asset(user), make_asset(user)]
    before = scrape(client)
    for asset in assets:
        assert client.get(f"/assets/{asset.uid}/").status_code == 200
        assert client.get(f"/api/assets/{asset.uid}/").status_code == 200
    assert client.get("/no/such/page/").status_code == 404
    samples = scrape(client)

    route = "assets/<uuid:uid>/"
    assert value(samples, "lumen_http_request_duration_seconds_count", method="GET", route=route) == \
        value(before, "lumen_http_request_duration_seconds_count", method="GET", route=route) + 2
    assert value(samples, "lumen_http_request_duration_seconds_sum", method="GET", route=route) > 0
    assert value(samples, "lumen_http_requests_total", method="GET", route=route, status="200") >= 2
    assert value(samples, "lumen_http_requests_total", method="GET", route="api/assets/<uid>/", status="200") >= 2
    assert value(samples, "lumen_http_requests_total", method="GET", route="unmatched", status="404") >= 1
    assert not [s for s in samples if any(str(asset.uid) in v for asset in assets for v in s.labels.values())]


def test_uploads_are_counted_accepted_duplicate_and_refused_by_code(client, user, new_image):
    client.force_login(user)
    before = scrape(client)
    data = new_image("PNG")
    assert client.post("/api/assets/", {"file": io.BytesIO(data)}, format="multipart").status_code == 201
    assert client.post("/api/assets/", {"file": io.BytesIO(data)}, format="multipart").status_code == 200
    refused = client.post("/api/assets/", {"file": io.BytesIO(b"just some text, not an image")}, format="multipart")
    assert refused.status_code == 415
    samples = scrape(client)

    def delta(name, **labels):
        return value(samples, name, **labels) - value(before, name, **labels)

    assert delta("lumen_ingest_total", outcome="accepted", code="") == 1
    assert delta("lumen_ingest_total", outcome="duplicate", code="") == 1
    assert delta("lumen_ingest_total", outcome="refused", code=refused.json()["error"]) == 1
    assert delta("lumen_ingest_bytes_total", outcome="accepted") == len(data)
    assert delta("lumen_http_requests_total", method="POST", route="api/assets/", status="201") == 1


def test_storage_totals_come_from_the_database(client, user, make_asset):
    asset = make_asset(user)
    samples = scrape(client)
    assert value(samples, "lumen_storage_bytes", kind="originals") >= asset.current_version.bytes > 0
    assert value(samples, "lumen_storage_files", kind="originals") >= 1
    assert value(samples, "lumen_storage_files", kind="renditions") >= 0


def test_queue_depth_is_read_from_the_broker_per_queue(client, settings):
    """Three messages waiting in a queue of their own (one at a higher priority): the scrape counts all three."""
    queue = "metrics-test"
    settings.CELERY_TASK_ROUTES = {**settings.CELERY_TASK_ROUTES, "tests.*": {"queue": queue}}
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    keys = [queue, f"{queue}{RedisChannel.sep}3"]
    try:
        broker.lpush(keys[0], "m1", "m2")
        broker.lpush(keys[1], "m3")
        samples = scrape(client)
    finally:
        broker.delete(*keys)
    assert value(samples, "lumen_broker_up") == 1
    assert value(samples, "lumen_queue_depth", queue=queue) == 3
    assert {s.labels["queue"] for s in samples if s.name == "lumen_queue_depth"} >= {"default", "renditions",
                                                                                    "enrichment", queue}


def test_a_broker_that_does_not_answer_is_reported_and_the_scrape_still_answers(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    samples = scrape(client)
    assert value(samples, "lumen_broker_up") == 0
    assert value(samples, "lumen_storage_files", kind="originals") >= 0


def test_gauges_of_processes_that_ended_leave_the_sums():
    """A process that set a live gauge and ended (a recycled gunicorn worker, a killed child): the next scrape
    forgets its file, so "in progress" never counts the dead."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    child = subprocess.run(
        [sys.executable, "-c", "import os; from prometheus_client import Gauge; "
         "Gauge('lumen_test_live', 'a gauge of a process that ends', multiprocess_mode='livesum').set(5); "
         "print(os.getpid())"],
        env={**os.environ}, capture_output=True, text=True, check=True)
    left = directory / f"gauge_livesum_{child.stdout.strip()}.db"
    assert left.exists()
    body, _ = metrics.exposition(scrape_time=False)
    assert not left.exists()
    assert b"lumen_test_live" not in body


def test_cost_per_inference_is_cpu_and_gpu_hours_at_their_prices(settings):
    settings.LUMEN_CPU_HOUR_PRICE = 0.05
    settings.LUMEN_GPU_HOUR_PRICE = 2.0
    assert metrics.inference_cost(cpu_seconds=36) == pytest.approx(0.0005)
    assert metrics.inference_cost(cpu_seconds=36, gpu_seconds=18) == pytest.approx(0.0005 + 0.01)


class TestWhoMayScrape:
    def test_loopback_may_by_default_other_addresses_and_proxied_requests_may_not(self, client):
        assert client.get("/metrics").status_code == 200
        refused = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
        assert refused.status_code == 401
        assert refused["WWW-Authenticate"].startswith("Bearer")
        assert "bearer token" in refused.content.decode()
        assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 401

    def test_the_token_is_required_without_allowed_networks(self, client, settings):
        settings.LUMEN_METRICS_TOKEN = "s3cret-scrape-token"
        settings.LUMEN_METRICS_ALLOWED_NETWORKS = []
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
        assert client.get("/metrics", HTTP_AUTHORIZATION="s3cret-scrape-token").status_code == 401
        ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token", REMOTE_ADDR="203.0.113.9")
        assert ok.status_code == 200
        assert b"lumen_http_requests_total" in ok.content

    def test_an_allowed_network_may_without_the_token(self, client, settings):
        settings.LUMEN_METRICS_TOKEN = "s3cret-scrape-token"
        settings.LUMEN_METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
        assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
        assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 401


def test_the_dashboard_and_the_docs_name_only_metrics_the_code_exports():
    """The Grafana dashboard cannot run here: at least every series it queries exists, and every one the code
    exports is explained in docs/operations.md."""
    exported = {name for path in [REPO / "core" / "metrics.py", REPO / "core" / "workers.py", REPO / "assets" / "metrics.py"]
                for name in re.findall(r'"(lumen_[a-z_]+)"', path.read_text())}
    assert {"lumen_http_request_duration_seconds", "lumen_queue_depth", "lumen_storage_bytes"} <= exported
    dashboard = json.loads((REPO / "deploy" / "grafana-dashboard.json").read_text())
    queried = {re.sub(r"_(bucket|count|sum)$", "", name) for panel in dashboard["panels"]
               for target in panel.get("targets", []) for name in re.findall(r"lumen_[a-z_]+", target["expr"])}
    assert queried and queried <= exported
    documented = set(re.findall(r"`(lumen_[a-z_]+)`", (REPO / "docs" / "operations.md").read_text()))
    assert exported <= documented
