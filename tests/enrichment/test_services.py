"""Enrichment services in-process on real models and Postgres: storage, idempotency, decisions, model runs."""
import logging

import numpy as np
import pytest
from PIL import Image

from assets.models import Asset
from assets.services import processing
from core.models import AuditEntry
from enrichment.adapters.base import ModelInfo
from enrichment.adapters.colours import PALETTE
from enrichment.models import (
    Capability,
    ColourPalette,
    Detection,
    Embedding,
    EnrichmentJob,
    FaceDescriptor,
    LabelDecision,
    MachineLabel,
    ModelRun,
    ModerationResult,
    OcrText,
    RecognisedCollection,
)
from enrichment.services import activate_model, add_label, reject_label, undo_rejection
from enrichment.services.anonymise import blur_regions
from enrichment.services.capabilities import CLASS_LIMIT, CLIP_DISABLED, MIN_CLASS_PROBABILITY, PIPELINE
from enrichment.services.jobs import run_step
from enrichment.services.model_runs import model_run
from enrichment.services.pipeline import blur_faces
from enrichment.summary import summarise
from ontology.models import Concept

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("concepts")]

Status = EnrichmentJob.Status


def job(version, capability):
    return EnrichmentJob.objects.get(version=version, capability=capability)


def result_counts(version):
    return {
        model.__name__: model.objects.filter(version=version).count()
        for model in (MachineLabel, Detection, OcrText, ModerationResult, Embedding, ColourPalette, FaceDescriptor)
    }


def test_a_job_keeps_the_cpu_time_and_cost_of_its_inference_and_logs_the_event(version_with_rendition, settings,
                                                                              caplog):
    settings.LUMEN_CPU_HOUR_PRICE = 3600.0  # one unit per CPU second: the cost reads as CPU seconds
    version = version_with_rendition("chelsea")
    with caplog.at_level(logging.INFO, logger="enrichment.services.jobs"):
        run_step(Capability.DETECT, [version])

    done = job(version, Capability.DETECT)
    assert done.cpu_ms > 0 and done.cost == pytest.approx(done.cpu_ms / 1000)
    [event] = [record for record in caplog.records if getattr(record, "event", None) == "inference"]
    assert (event.capability, event.model, event.model_version, event.outcome, event.version_id) == (
        "detect", done.model.name, done.model.version, "done", version.pk)
    assert event.ms == pytest.approx(done.latency_ms, abs=0.01) and event.cost == done.cost


def test_classify_labels_a_cat_and_stores_the_similarity_vector(version_with_rendition):
    version = version_with_rendition("chelsea")
    run_step(Capability.CLASSIFY, [version])

    done = job(version, Capability.CLASSIFY)
    assert done.status == Status.DONE and done.latency_ms > 0 and done.attempts == 1
    labels = MachineLabel.objects.filter(version=version).select_related("concept")
    # What the classifier knew: every class down to MIN_CLASS_PROBABILITY, at most CLASS_LIMIT.
    assert 3 <= len(labels) <= CLASS_LIMIT and all(label.confidence >= MIN_CLASS_PROBABILITY for label in labels)
    assert labels[0].confidence > 0.3 and sum(label.confidence for label in labels) > 0.9
    assert labels[len(labels) - 1].confidence < 0.05  # below the old cut: kept for search to weigh
    cat = Concept.objects.get(name="cat.n.01")
    top = labels[0].concept
    assert cat.pk in top.ancestors
    implied = set(Concept.objects.filter(pk__in=top.ancestors).values_list("name", flat=True))
    assert {"cat.n.01", "feline.n.01", "animal.n.01"} <= implied
    # Broader concepts are implied, never stored as label rows.
    assert not labels.filter(concept__name__in=["feline.n.01", "animal.n.01"]).exists()
    vector = Embedding.objects.get(version=version, model__capability=Capability.SIMILARITY).vector
    assert len(vector) == 1280 and np.linalg.norm(vector) == pytest.approx(1, abs=1e-3)


def test_detector_boxes_are_in_displayed_pixels_and_labels_keep_the_best_box(version_with_rendition):
    version = version_with_rendition("astronaut", width=200)  # rendition 200 px, version 512 px
    run_step(Capability.DETECT, [version])

    person = Detection.objects.filter(version=version, kind=Detection.Kind.OBJECT, label="person").first()
    assert person is not None and person.concept.name == "person.n.01"
    assert person.w > 200 * 0.5 and person.x + person.w <= version.width + 1 and person.y + person.h <= version.height + 1
    label = MachineLabel.objects.get(version=version, concept=person.concept)
    assert label.confidence == pytest.approx(person.score) and label.box == [person.x, person.y, person.w, person.h]


def test_colours_are_named_from_the_palette_with_their_shares(version_with_rendition):
    version = version_with_rendition("coffee")  # a red cup and saucer on brown wood, white foam and wall
    run_step(Capability.COLOURS, [version])
    palette = ColourPalette.objects.get(version=version).colours
    names = [colour["name"] for colour in palette]
    assert set(names) <= set(PALETTE) and len(names) == len(set(names))
    assert sum(colour["share"] for colour in palette) == pytest.approx(1, abs=0.01)
    assert {"red", "brown"} & set(names[:3]) and all(colour["hex"].startswith("#") for colour in palette)
    assert job(version, Capability.COLOURS).detail.startswith(names[0])


def test_faces_and_text(version_with_rendition):
    astronaut, page = version_with_rendition("astronaut"), version_with_rendition("page", width=384)
    run_step(Capability.FACES, [astronaut, page])
    run_step(Capability.OCR, [astronaut, page])

    assert Detection.objects.filter(version=astronaut, kind=Detection.Kind.FACE).count() == 1
    assert job(astronaut, Capability.FACES).detail == "1 face."
    ocr = OcrText.objects.get(version=page)
    assert "Region-based segmentation" in ocr.text
    assert all(0 <= line["box"][0] and line["box"][0] + line["box"][2] <= page.width + 1 for line in ocr.lines)
    skipped = job(astronaut, Capability.OCR)
    assert skipped.status == Status.SKIPPED and "no text" in skipped.detail.lower()
    assert not OcrText.objects.filter(version=astronaut).exists()


@pytest.mark.parametrize("capability", PIPELINE)
def test_running_a_capability_twice_stores_the_same_rows(version_with_rendition, capability, settings,
                                                         make_collection):
    settings.LUMEN_CLIP_ENABLED, settings.LUMEN_CLIP_PRETRAINED = True, ""  # random weights: vectors only
    family = make_collection("Family")
    RecognisedCollection.objects.create(collection=family)
    version = version_with_rendition("page" if capability == Capability.OCR else "astronaut", collections=[family])
    if capability == Capability.PEOPLE:
        run_step(Capability.FACES, [version])  # recognition reads the faces found
    run_step(capability, [version])
    first = result_counts(version)
    assert any(first.values())
    run_step(capability, [version])
    assert result_counts(version) == first
    assert job(version, capability).attempts == 2
    assert EnrichmentJob.objects.filter(version=version, capability=capability).count() == 1


def test_clip_is_skipped_without_weights(version_with_rendition, settings):
    settings.LUMEN_CLIP_ENABLED = False
    version = version_with_rendition("coffee")
    run_step(Capability.CLIP, [version])
    skipped = job(version, Capability.CLIP)
    assert skipped.status == Status.SKIPPED and skipped.detail == CLIP_DISABLED


def test_clip_with_random_weights_stores_vectors_but_no_labels(version_with_rendition, settings):
    settings.LUMEN_CLIP_ENABLED, settings.LUMEN_CLIP_PRETRAINED, settings.LUMEN_CLIP_CHECKPOINT = True, "", ""
    version = version_with_rendition("coffee")
    run_step(Capability.CLIP, [version])
    embedding = Embedding.objects.select_related("model").get(version=version, model__capability=Capability.CLIP)
    assert len(embedding.vector) == 512 and embedding.model.version == "random-init"
    assert not MachineLabel.objects.filter(version=version, model__capability=Capability.CLIP).exists()
    assert "no labels" in job(version, Capability.CLIP).detail


def test_moderation_clears_or_holds_but_never_overrides_a_moderator(version_with_rendition, settings):
    version = version_with_rendition("coffee")
    run_step(Capability.MODERATION, [version])
    asset = Asset.objects.get(pk=version.asset_id)
    assert asset.moderation_state == Asset.Moderation.CLEAR
    assert ModerationResult.objects.get(version=version).flagged is False

    settings.LUMEN_MODERATION_THRESHOLD = 0.0  # every score is at or above it
    run_step(Capability.MODERATION, [version])
    asset.refresh_from_db()
    assert asset.moderation_state == Asset.Moderation.PENDING
    assert AuditEntry.objects.filter(asset=asset, action="asset.moderation").count() == 2

    Asset.objects.filter(pk=asset.pk).update(moderation_state=Asset.Moderation.APPROVED)
    settings.LUMEN_MODERATION_THRESHOLD = 0.6
    run_step(Capability.MODERATION, [version])
    asset.refresh_from_db()
    assert asset.moderation_state == Asset.Moderation.APPROVED


def test_a_moderation_check_that_cannot_run_holds_the_asset_for_a_moderator(version_with_rendition,
                                                                            add_working_rendition):
    version = version_with_rendition("coffee")
    add_working_rendition(version, b"not an image at all")

    run_step(Capability.MODERATION, [version])

    assert job(version, Capability.MODERATION).status == Status.FAILED
    asset = Asset.objects.get(pk=version.asset_id)
    assert asset.moderation_state == Asset.Moderation.PENDING  # fail closed, not "unchecked" and visible
    entry = AuditEntry.objects.get(asset=asset, action="asset.moderation")
    assert entry.after["reason"].startswith("The automatic check failed:") and "not a readable image" in entry.after["reason"]
    assert "not a readable image" in summarise(asset).moderation_failure


def test_a_rejected_label_stays_rejected_after_reprocessing(version_with_rendition, actor):
    version = version_with_rendition("chelsea")
    run_step(Capability.CLASSIFY, [version])
    top = MachineLabel.objects.filter(version=version).first().concept
    asset = version.asset

    reject_label(asset, top, actor=actor)
    run_step(Capability.CLASSIFY, [version])

    assert MachineLabel.objects.filter(version=version, concept=top).exists()  # kept, with its confidence
    assert not MachineLabel.objects.effective().filter(version=version, concept=top).exists()
    assert MachineLabel.objects.effective().filter(version=version).exists()
    assert LabelDecision.objects.get(asset=asset, concept=top).decision == LabelDecision.Decision.REJECTED

    add_label(asset, top, actor=actor)
    assert MachineLabel.objects.effective().filter(version=version, concept=top).exists()
    actions = list(AuditEntry.objects.filter(asset=asset, action__startswith="label.").values_list("action", flat=True))
    assert sorted(actions) == ["label.added", "label.rejected"]


def test_undoing_a_rejection_brings_the_machine_label_back_without_adding_one(version_with_rendition, actor):
    version = version_with_rendition("chelsea")
    run_step(Capability.CLASSIFY, [version])
    top = MachineLabel.objects.filter(version=version).first().concept
    reject_label(version.asset, top, actor=actor)

    assert undo_rejection(version.asset, top, actor=actor)
    assert MachineLabel.objects.effective().filter(version=version, concept=top).exists()
    assert not LabelDecision.objects.filter(asset=version.asset).exists()
    entry = AuditEntry.objects.get(asset=version.asset, action="label.undo_rejection")
    assert entry.actor == actor.user and entry.before == {"concept": top.pk, "decision": "rejected"}

    add_label(version.asset, top, actor=actor)
    assert not undo_rejection(version.asset, top, actor=actor)  # a person's label is not a rejection
    assert LabelDecision.objects.get(asset=version.asset).decision == LabelDecision.Decision.ADDED


def test_a_new_model_is_written_beside_the_active_one_until_activated(version_with_rendition, actor):
    version = version_with_rendition("chelsea")
    run_step(Capability.CLASSIFY, [version])
    old = ModelRun.objects.get(capability=Capability.CLASSIFY)
    assert old.active
    new_info = ModelInfo("mobilenetv3.onnx", "next", "f" * 64)
    new_labels, new_vectors = model_run(Capability.CLASSIFY, new_info), model_run(Capability.SIMILARITY, new_info)
    assert not new_labels.active and not new_vectors.active

    activate_model(new_labels, actor=actor)

    active = set(ModelRun.objects.filter(active=True).values_list("pk", flat=True))
    assert {new_labels.pk, new_vectors.pk} <= active and old.pk not in active
    assert AuditEntry.objects.filter(action="enrichment.activate_model").count() == 1
    assert not MachineLabel.objects.effective().filter(version=version).exists()  # old run's labels are off now


def test_unreadable_rendition_fails_the_job_with_a_reason(version_with_rendition, add_working_rendition):
    version = version_with_rendition("coffee")
    add_working_rendition(version, b"not an image at all")
    run_step(Capability.CLASSIFY, [version])
    failed = job(version, Capability.CLASSIFY)
    assert failed.status == Status.FAILED and "not a readable image" in failed.detail and failed.attempts == 1


def test_a_bad_image_in_a_batch_fails_alone(version_with_rendition, add_working_rendition):
    good, bad = version_with_rendition("coffee"), version_with_rendition("chelsea")
    add_working_rendition(bad, b"\xff\xd8\xff broken")
    run_step(Capability.DETECT, [good, bad])
    assert job(good, Capability.DETECT).status == Status.DONE
    assert job(bad, Capability.DETECT).status == Status.FAILED


def test_blur_regions_wipes_detail_in_the_padded_box_only():
    rng = np.random.default_rng(0)
    noise = Image.fromarray(rng.integers(0, 256, (200, 300, 3), dtype=np.uint8))
    blurred = np.asarray(blur_regions(noise, [(100, 50, 50, 50)]), dtype=np.float64)
    before = np.asarray(noise, dtype=np.float64)
    padded = (slice(40, 110), slice(90, 160))  # 20 % of 50 px on each side
    assert blurred[padded].std() < before[padded].std() / 4
    assert np.array_equal(blurred[:, :80], before[:, :80]) and np.array_equal(blurred[:30], before[:30])


def edge_energy(image, box):
    x, y, w, h = (int(v) for v in box)
    grey = np.asarray(image.crop((x, y, x + w, y + h)).convert("L"), np.float64)
    return np.abs(np.diff(grey, axis=1)).mean()


def test_face_redactor_finds_faces_on_the_image_it_is_given_and_blurs_them(version_with_rendition):
    """Processing asks for the redactor through ``assets.signals.face_redactor_wanted``; enrichment answers."""
    version = version_with_rendition("astronaut", anonymise_faces=True)
    with version.file.open("rb") as original:
        upright = Image.open(original).convert("RGB")
        upright.load()

    blurred = processing.face_redactor(version)(upright)

    face = Detection.objects.get(version=version, kind=Detection.Kind.FACE)
    box = (face.x, face.y, face.w, face.h)
    assert edge_energy(blurred, box) < edge_energy(upright, box) / 3
    assert job(version, Capability.FACES).status == Status.DONE
    assert job(version, Capability.ANONYMISE).detail == "1 face blurred in every rendition."
    half = upright.resize((upright.width // 2, upright.height // 2))
    half_blurred = blur_faces(half, boxes=[box], displayed_size=upright.size)
    assert edge_energy(half_blurred, [v / 2 for v in box]) < edge_energy(half, [v / 2 for v in box]) / 3
    assert processing.face_redactor(version_with_rendition("coffee")) is None, "no policy, no redactor"


def test_summary_reads_in_a_fixed_number_of_queries(version_with_rendition, actor, django_assert_max_num_queries):
    version = version_with_rendition("astronaut")
    for capability in PIPELINE:
        run_step(capability, [version])
    add_label(version.asset, Concept.objects.get(name="cat.n.01"), actor=actor)
    asset = Asset.objects.select_related("current_version").get(pk=version.asset_id)
    with django_assert_max_num_queries(9):
        summary = summarise(asset)
    assert [j.capability for j in summary.jobs] == list(PIPELINE)
    assert summary.faces and summary.objects and summary.embeddings[0].dimensions == 1280
    assert "feline" in [c.pref_label for c in summary.implied]
