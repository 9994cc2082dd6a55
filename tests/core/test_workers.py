"""The suite's real Celery worker runs what a request queued: its log lines carry the request's id, its task runs,
inferences and heartbeat show in the metrics (through the shared directory and its own endpoint), and the
enrichment API reports each job's CPU time and cost."""
import io
import json
import time
import urllib.error
import urllib.request
import uuid

import numpy as np
import pytest
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families

from enrichment.models import EnrichmentJob
from enrichment.services.capabilities import PIPELINE
from support import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

Status = EnrichmentJob.Status


def photo_bytes():
    pixels = np.random.default_rng(7).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG")
    return buffer.getvalue()


def parse(text):
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def value(samples, name, **labels):
    return sum(s.value for s in samples if s.name == name and labels.items() <= s.labels.items())


def log_lines(path):
    lines = []
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_work_a_request_queued_carries_its_id_into_the_worker_and_its_metrics(client, user, celery_worker):
    client.force_login(user)
    request_id = f"upload-{uuid.uuid4().hex[:12]}"
    response = client.post("/api/assets/", {"file": io.BytesIO(photo_bytes())}, format="multipart",
                           HTTP_X_REQUEST_ID=request_id)
    assert response.status_code == 201
    assert response["X-Request-ID"] == request_id
    uid = response.json()["uid"]

    def enriched():
        jobs = EnrichmentJob.objects.filter(version__asset__uid=uid)
        return jobs.count() == len(PIPELINE) and not jobs.filter(status__in=(Status.PENDING, Status.RUNNING)).exists()

    wait_for(enriched, timeout=300, message="the worker to render and enrich the upload")

    lines = log_lines(celery_worker.log_path)
    ours = [line for line in lines if line.get("request_id") == request_id]
    assert {line.get("task") for line in ours} >= {"assets.tasks.process_version", "enrichment.tasks.enrich_version"}
    inference = [line for line in ours if line.get("event") == "inference"]
    assert {line["capability"] for line in inference} >= {"moderation", "classify", "detect", "faces"}
    for line in inference:
        assert line["model"] and line["model_version"] and line["outcome"] in ("done", "skipped", "failed")
        assert line["ms"] > 0 and line["cpu_ms"] >= 0 and line["cost"] >= 0 and line["version_number"] == 1

    samples = parse(client.get("/metrics").content.decode())
    assert value(samples, "lumen_tasks_total", task="assets.tasks.process_version", state="SUCCESS") >= 1
    assert value(samples, "lumen_task_duration_seconds_count", task="enrichment.tasks.enrich_version") >= 1
    assert value(samples, "lumen_enrichment_jobs_total", capability="classify", status="done") >= 1
    assert value(samples, "lumen_inferences_total", capability="classify", outcome="done") >= 1
    assert value(samples, "lumen_inference_duration_seconds_count", capability="classify") >= 1
    assert value(samples, "lumen_inference_cpu_seconds_total", capability="classify") > 0
    assert value(samples, "lumen_inference_cost_total", capability="classify") > 0
    classify_models = {s.labels["model"] for s in samples if s.name == "lumen_inferences_total"
                       and s.labels["capability"] == "classify"}
    assert classify_models and "" not in classify_models

    def last_seen():  # heartbeats come every 2 s; a fast test may scrape before the worker's first one
        scraped = parse(client.get("/metrics").content.decode())
        return value(scraped, "lumen_worker_last_seen_timestamp_seconds", worker=celery_worker.nodename)

    wait_for(lambda: last_seen() > 0, timeout=30, message="the worker's heartbeat to reach the metrics")
    assert last_seen() <= time.time() + 1

    with urllib.request.urlopen(f"http://127.0.0.1:{celery_worker.metrics_port}/metrics") as answer:
        own = parse(answer.read().decode())
    assert value(own, "lumen_tasks_total", task="enrichment.tasks.enrich_version", state="SUCCESS") >= 1
    assert not [s for s in own if s.name == "lumen_queue_depth"], "queue depth is the web's to report, once"
    proxied = urllib.request.Request(f"http://127.0.0.1:{celery_worker.metrics_port}/metrics",
                                     headers={"X-Forwarded-For": "203.0.113.9"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(proxied)
    assert refused.value.code == 401

    jobs = {job["capability"]: job for job in client.get(f"/api/assets/{uid}/enrichment/").json()["jobs"]}
    assert jobs["classify"]["status"] == "done"
    assert jobs["classify"]["cpu_ms"] > 0 and jobs["classify"]["cost"] > 0
