"""Enrichment API: the summary of an asset, and people adding or rejecting labels."""
import uuid

import pytest
from rest_framework.test import APIClient

from core.models import AuditEntry
from enrichment.models import LabelDecision, MachineLabel
from enrichment.services.capabilities import PIPELINE
from enrichment.services.jobs import run_step
from ontology.models import Concept

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("concepts")]


@pytest.fixture
def client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def astronaut(version_with_rendition):
    version = version_with_rendition("astronaut")
    for capability in PIPELINE:
        run_step(capability, [version])
    return version


def url(asset, *parts):
    return "/".join([f"/api/assets/{asset.uid}", *parts]) + "/"


def test_summary_lists_jobs_labels_boxes_and_models(client, astronaut, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        response = client.get(url(astronaut.asset, "enrichment"))
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1 and body["moderation_state"] == "clear"
    jobs = {job["capability"]: job for job in body["jobs"]}
    assert set(jobs) == set(PIPELINE)
    assert jobs["classify"]["status"] == "done" and jobs["classify"]["latency_ms"] > 0
    assert jobs["clip"]["status"] == "skipped" and "Not set up on this server" in jobs["clip"]["detail"]
    person = next(label for label in body["labels"] if label["concept"]["name"] == "person.n.01")
    assert person["source"] == "detect" and 0 < person["confidence"] <= 1 and len(person["box"]) == 4
    assert "organism" in [concept["label"] for concept in person["broader"]]
    assert len(body["faces"]) == 1 and len(body["faces"][0]["box"]) == 4
    assert any(d["label"] == "person" for d in body["objects"])
    assert body["moderation"][0]["flagged"] is False and "unsafe" in body["moderation"][0]["scores"]
    assert {e["capability"]: e["dimensions"] for e in body["embeddings"]} == {"similarity": 1280}
    models = {model["id"]: model for model in body["models"]}
    assert person["model"] in models and all(len(m["file_sha256"]) == 64 for m in models.values())
    guesses = [guess["confidence"] for guess in body["guesses"]]
    assert body["weak_labels"] == len(guesses) > 0 and guesses == sorted(guesses, reverse=True)
    assert max(guesses) < 0.5 <= min(label["confidence"] for label in body["labels"] if not label["rejected"])


def test_people_add_and_reject_labels(client, astronaut):
    person = MachineLabel.objects.get(version=astronaut, concept__name="person.n.01").concept
    rejected = client.post(url(astronaut.asset, "labels", person.pk, "reject"))
    assert rejected.status_code == 200 and rejected.json()["decision"] == "rejected"
    label = next(label for label in client.get(url(astronaut.asset, "enrichment")).json()["labels"]
                 if label["concept"]["id"] == person.pk)
    assert label["rejected"] is True

    space = Concept.objects.get(name="space_shuttle.n.01")
    added = client.post(url(astronaut.asset, "labels"), {"concept": space.pk}, format="json")
    assert added.status_code == 201 and added.json()["concept"]["id"] == space.pk
    assert LabelDecision.objects.filter(asset=astronaut.asset).count() == 2
    assert AuditEntry.objects.filter(asset=astronaut.asset, action__startswith="label.").count() == 2

    assert client.delete(url(astronaut.asset, "labels", person.pk, "reject")).status_code == 204
    assert MachineLabel.objects.effective().filter(version=astronaut, concept=person).exists()
    assert client.delete(url(astronaut.asset, "labels", person.pk, "reject")).status_code == 404  # nothing to undo


def test_refusals_are_readable(client, astronaut):
    unknown = client.post(url(astronaut.asset, "labels"), {"concept": "n99999999"}, format="json")
    assert unknown.status_code == 400 and unknown.json()["message"].startswith("concept:")
    assert client.post(url(astronaut.asset, "labels", "n99999999", "reject")).status_code == 404
    missing = type("Missing", (), {"uid": uuid.uuid4()})
    assert client.get(url(missing, "enrichment")).status_code == 404
    assert APIClient().get(url(astronaut.asset, "enrichment")).status_code in (401, 403)
