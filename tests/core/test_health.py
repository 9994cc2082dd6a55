"""/health/live and /health/ready against the real database, Redis, storage and Celery worker, and with one of
them pointed where nothing answers."""
import pytest

from support import free_port

CHECKS = {"database", "redis", "storage", "worker"}


def test_live_answers_anonymously_without_asking_anything(client):
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.worker
def test_ready_with_the_real_services_and_a_worker(client, celery_worker):
    response = client.get("/health/ready")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == CHECKS
    for name, check in body["checks"].items():
        assert check["ok"] is True, name
        assert check["ms"] >= 0
        assert "reason" not in check


@pytest.mark.django_db
def test_redis_that_does_not_answer_makes_it_unready_with_a_reason_and_no_address(client, settings):
    port = free_port()
    settings.REDIS_URL = f"redis://:hunter2@127.0.0.1:{port}/0"
    response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"] == {"ok": False, "ms": body["checks"]["redis"]["ms"],
                                       "reason": "Redis did not answer (connection refused)."}
    assert body["checks"]["worker"]["reason"] == "Not asked: Redis, the broker, did not answer."
    assert body["checks"]["database"]["ok"] is True
    assert str(port) not in response.content.decode() and "hunter2" not in response.content.decode()


@pytest.mark.django_db
def test_storage_that_cannot_be_written_makes_it_unready(client, settings, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the media folder should be")
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(blocked)}}}
    response = client.get("/health/ready")
    assert response.status_code == 503
    storage = response.json()["checks"]["storage"]
    assert storage["ok"] is False
    assert storage["reason"].startswith("Storage could not write, read and delete a small object (")
    assert str(tmp_path) not in response.content.decode()
