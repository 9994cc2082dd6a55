"""One class per capability: its adapter, what it finds on a batch of images, and how that is stored.

Storing replaces the results of the same model run for the version (delete + insert, or
upsert on the unique keys) and is called inside one transaction with the job update, so
re-running a capability never duplicates labels, boxes, text or vectors.
"""
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db.models import Q

from assets.models import Asset, AssetVersion
from assets.services.medical import MEDICAL_FORMATS
from core import audit
from enrichment.adapters import (
    ColourAnalyser,
    FaceDescriber,
    FaceDetector,
    ImageClassifier,
    ModerationClassifier,
    ObjectDetector,
    TextRecognizer,
)
from enrichment.models import (
    Capability,
    ColourPalette,
    Detection,
    Embedding,
    EnrichmentJob,
    MachineLabel,
    ModerationResult,
    OcrText,
)
from enrichment.services import recognition
from enrichment.services.model_runs import model_run
from enrichment.services.working_image import WorkingImage, load_original, load_working_image
from ontology.models import Concept

# What the classifier knows, not only its top guesses: every class with at least this probability,
# at most CLASS_LIMIT of them. A concept's score is the summed probability of its classes, and a class
# name typed as a query ranks photos by that class's probability even where it was not the top label
# (docs/benchmarks.md, "Retrieval": 43 classes per judged image on average, 3.1 at the old 0.05).
MIN_CLASS_PROBABILITY = 0.001
CLASS_LIMIT = 64
TOP_K = 5  # CLIP's zero-shot labels
CLIP_MIN_LABEL_SCORE = 0.10
CLIP_LOGIT_SCALE = 100.0  # what trained CLIP models learn (open_clip clamps logit_scale at ln 100)
CLIP_DISABLED = "Not set up on this server (an administrator can turn it on: see the README's Configuration)."

Status = EnrichmentJob.Status


def counted(number, noun):
    return f"{number} {noun}{'' if number == 1 else 's'}"


@dataclass(frozen=True)
class Outcome:
    status: str
    detail: str = ""


@cache
def classifier():
    return ImageClassifier(settings.LUMEN_MODEL_DIR)


@cache
def object_detector():
    return ObjectDetector(settings.LUMEN_MODEL_DIR)


@cache
def face_detector():
    return FaceDetector(settings.LUMEN_MODEL_DIR)


@cache
def face_describer():
    return FaceDescriber()


@cache
def text_recognizer():
    return TextRecognizer()


@cache
def moderation_classifier():
    return ModerationClassifier()


def clip_embedder():
    weights = Path(settings.LUMEN_CLIP_CHECKPOINT) if settings.LUMEN_CLIP_CHECKPOINT else settings.LUMEN_CLIP_PRETRAINED
    return _clip_embedder(settings.LUMEN_CLIP_MODEL, weights or None)


@lru_cache(maxsize=2)
def _clip_embedder(model_name, weights):
    """open_clip is imported only here: torch costs seconds and hundreds of MB per process."""
    from enrichment.adapters import ClipEmbedder

    return ClipEmbedder(model_name, weights)


def upsert(result):
    """Insert or overwrite the one row per (version, model) in a single statement."""
    fields = [f.name for f in type(result)._meta.concrete_fields if f.name not in ("id", "version", "model")]
    type(result).objects.bulk_create([result], update_conflicts=True, unique_fields=["version", "model"],
                                     update_fields=fields)


def replace_labels(version, run, labels):
    """``labels``: {concept id: (confidence, box or None)}; the run's earlier labels for the version go."""
    MachineLabel.objects.filter(version=version, model=run).delete()
    MachineLabel.objects.bulk_create(
        MachineLabel(version=version, model=run, concept_id=concept, confidence=score, box=box)
        for concept, (score, box) in labels.items()
    )


def replace_detections(version, run, kind, found, working, concepts=None):
    """Store boxes in displayed pixels; returns them as (detection, box) pairs, best first."""
    Detection.objects.filter(version=version, model=run, kind=kind).delete()
    placed = [(detection, working.to_displayed(detection.box)) for detection in found]
    Detection.objects.bulk_create(
        Detection(version=version, model=run, kind=kind, label=d.label, score=d.score,
                  concept_id=(concepts or {}).get(d.label), x=box[0], y=box[1], w=box[2], h=box[3])
        for d, box in placed
    )
    return placed


class Step:
    """Defaults shared by the capabilities; each subclass names its adapter and its storage."""

    capability: str

    def skip_reason(self, version):
        """Why this step does not run on ``version`` (recorded on its job), or None."""
        return None

    def load(self, version):
        return load_working_image(version)

    def model_input(self, working):
        """What ``analyse`` gets of a loaded ``WorkingImage``: the picture itself, for most models."""
        return working.image

    def runs(self, adapter):
        return {self.capability: model_run(self.capability, adapter.info)}


class Moderation(Step):
    capability = Capability.MODERATION

    def adapter(self):
        return moderation_classifier()

    def analyse(self, adapter, images):
        return adapter.score(images)

    def store(self, version, working, scores, runs):
        run = runs[self.capability]
        unsafe = scores["unsafe"]
        flagged = unsafe >= settings.LUMEN_MODERATION_THRESHOLD
        upsert(ModerationResult(version=version, model=run, scores=scores, unsafe_score=unsafe, flagged=flagged))
        if run.active:
            set_moderation_state(version, flagged)
        verdict = "held for a moderator" if flagged else "clear"
        return Outcome(Status.DONE, f"Unsafe score {unsafe:.2f}: {verdict}.")


def set_moderation_state(version, flagged, *, reason=""):
    """Clear or pending for the current version; a moderator's approved/rejected always stands."""
    asset = Asset.objects.select_for_update().get(pk=version.asset_id)
    decided = (Asset.Moderation.APPROVED, Asset.Moderation.REJECTED)
    state = Asset.Moderation.PENDING if flagged else Asset.Moderation.CLEAR
    if asset.current_version_id != version.pk or asset.moderation_state in decided or asset.moderation_state == state:
        return
    before = asset.moderation_state
    asset.moderation_state = state
    asset.save(update_fields=["moderation_state", "updated_at"])
    audit.record(audit.SYSTEM, "asset.moderation", asset=asset, obj=version, before={"moderation_state": before},
                 after={"moderation_state": state, **({"reason": reason} if reason else {})})


def hold_unchecked(version_id, reason):
    """The moderation check failed: fail closed, the asset waits hidden for a moderator, who sees why."""
    version = AssetVersion.objects.filter(pk=version_id).first()
    if version is not None:
        set_moderation_state(version, True, reason=f"The automatic check failed: {reason}")


@lru_cache(maxsize=1)
def _imagenet_positions(labels):
    return {wnid: index for index, wnid in enumerate(labels)}


class Classify(Step):
    """ImageNet labels and the 1,280-d similarity vector, from the same inference."""

    capability = Capability.CLASSIFY

    def adapter(self):
        return classifier()

    def runs(self, adapter):
        return {
            self.capability: model_run(self.capability, adapter.info),
            Capability.SIMILARITY: model_run(Capability.SIMILARITY, adapter.info),
        }

    def analyse(self, adapter, images):
        top, vectors = adapter.classify_and_embed(images, top_k=CLASS_LIMIT)
        positions = _imagenet_positions(adapter.labels)
        return [([(positions[wnid], score) for wnid, score in row], vector) for row, vector in zip(top, vectors)]

    def store(self, version, working, result, runs):
        top, vector = result
        kept = [(index, score) for index, score in top if score >= MIN_CLASS_PROBABILITY]
        concepts = dict(Concept.objects.filter(imagenet_index__in=[i for i, _ in kept]).values_list("imagenet_index", "pk"))
        replace_labels(version, runs[self.capability], {concepts[i]: (score, None) for i, score in kept if i in concepts})
        upsert(Embedding(version=version, model=runs[Capability.SIMILARITY], vector=vector.tolist()))
        return Outcome(Status.DONE, f"{counted(len(kept), 'label')}, {len(vector)}-d similarity vector.")


class Detect(Step):
    capability = Capability.DETECT

    def adapter(self):
        return object_detector()

    def analyse(self, adapter, images):
        return adapter.detect(images)

    def store(self, version, working, found, runs):
        run = runs[self.capability]
        concepts = dict(Concept.objects.filter(coco_label__in={d.label for d in found}).values_list("coco_label", "pk"))
        best = {}
        for detection, box in replace_detections(version, run, Detection.Kind.OBJECT, found, working, concepts):
            if detection.label in concepts:
                best.setdefault(concepts[detection.label], (detection.score, box))
        replace_labels(version, run, best)
        return Outcome(Status.DONE, f"{counted(len(found), 'object')}.")


class Faces(Step):
    """Face boxes; under the anonymisation policy they are found on the original, renditions being blurred."""

    capability = Capability.FACES

    def adapter(self):
        return face_detector()

    def load(self, version):
        return load_original(version) if version.asset.requires_face_blur() else load_working_image(version)

    def analyse(self, adapter, images):
        return adapter.detect(images)

    def store(self, version, working, found, runs):
        replace_detections(version, runs[self.capability], Detection.Kind.FACE, found, working)
        return Outcome(Status.DONE, f"{counted(len(found), 'face')}.")


@dataclass(frozen=True)
class FacesToDescribe(WorkingImage):
    """The working image and the version's faces (detections of the active face model) worth describing."""

    faces: tuple = ()


class People(Step):
    """Face descriptors of the faces found, each joined to a person; only where a collection opted in."""

    capability = Capability.PEOPLE

    def skip_reason(self, version):
        return recognition.recognition_refusal(version.asset)

    def adapter(self):
        return face_describer()

    def load(self, version):
        working = load_working_image(version)
        faces = Detection.objects.filter(version=version, kind=Detection.Kind.FACE, model__active=True,
                                         model__capability=Capability.FACES)
        big_enough = tuple(face for face in faces if min(face.w / working.scale_x, face.h / working.scale_y)
                           >= recognition.MIN_FACE_SIDE)
        return FacesToDescribe(working.image, working.scale_x, working.scale_y, big_enough)

    def model_input(self, working):
        boxes = [(f.x / working.scale_x, f.y / working.scale_y, f.w / working.scale_x, f.h / working.scale_y)
                 for f in working.faces]
        return working.image, boxes

    def analyse(self, adapter, items):
        return adapter.describe(items)

    def store(self, version, working, vectors, runs):
        if not working.faces:
            recognition.store_faces(version, runs[self.capability], [], [])
            return Outcome(Status.SKIPPED, "No face large enough to recognise.")
        stored = recognition.store_faces(version, runs[self.capability], working.faces, vectors)
        people = len({face.person_id for face in stored})
        return Outcome(Status.DONE, f"{counted(len(stored), 'face')} of {people} {'person' if people == 1 else 'people'}.")


class Ocr(Step):
    capability = Capability.OCR

    def skip_reason(self, version):
        if version.format in MEDICAL_FORMATS and not settings.LUMEN_OCR_MEDICAL_IMAGES:
            return ("Medical images are not read for text: text burnt into the pixels can name the patient "
                    "(an administrator can turn this on).")  # LUMEN_OCR_MEDICAL_IMAGES
        return None

    def adapter(self):
        return text_recognizer()

    def analyse(self, adapter, images):
        return adapter.read_batch(images)

    def store(self, version, working, lines, runs):
        run = runs[self.capability]
        lines = [line for line in lines if line.text.strip()]
        if not lines:
            # RapidOCR runs recognition only on regions its detector found; none were found.
            OcrText.objects.filter(version=version, model=run).delete()
            return Outcome(Status.SKIPPED, "No text detected, so recognition did not run.")
        OcrText.objects.update_or_create(version=version, model=run, defaults={
            "text": "\n".join(line.text for line in lines),
            "lines": [{"text": line.text, "score": line.score, "box": working.to_displayed(line.box)} for line in lines],
        })
        return Outcome(Status.DONE, f"{counted(len(lines), 'line')} of text.")


class Colours(Step):
    """Dominant colours, for colour words in queries ("red car") and the colour filter and facet."""

    capability = Capability.COLOURS

    def adapter(self):
        return ColourAnalyser()

    def analyse(self, adapter, images):
        return adapter.analyse(images)

    def store(self, version, working, colours, runs):
        ColourPalette.objects.update_or_create(version=version, model=runs[self.capability], defaults={
            "colours": [{"name": c.name, "share": c.share, "hex": c.hex} for c in colours]})
        return Outcome(Status.DONE, ", ".join(f"{c.name} {c.share:.0%}" for c in colours[:4]) + ".")


@lru_cache(maxsize=2)
def _prompt_rows(embedder, prompts):
    return embedder.embed_texts([f"a photo of a {label}." for label in prompts])


class Clip(Step):
    """CLIP vectors for text-to-image search; zero-shot labels only with real (semantic) weights."""

    capability = Capability.CLIP

    def skip_reason(self, version):
        return None if settings.LUMEN_CLIP_ENABLED else CLIP_DISABLED

    def adapter(self):
        return clip_embedder()

    def analyse(self, adapter, images):
        vectors = adapter.embed_images(images)
        if not adapter.is_semantic:
            return [(vector, {}) for vector in vectors]
        concepts = list(
            Concept.objects.filter(Q(imagenet_index__isnull=False) | Q(coco_label__isnull=False))
            .order_by("pk").values_list("pk", "pref_label")
        )
        texts = _prompt_rows(adapter, tuple(label for _, label in concepts))
        logits = CLIP_LOGIT_SCALE * vectors.astype(np.float64) @ texts.T.astype(np.float64)
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        return [
            (vector, {concepts[i][0]: (float(row[i]), None) for i in np.argsort(-row)[:TOP_K] if row[i] >= CLIP_MIN_LABEL_SCORE})
            for vector, row in zip(vectors, probs)
        ]

    def store(self, version, working, result, runs):
        vector, labels = result
        run = runs[self.capability]
        upsert(Embedding(version=version, model=run, vector=vector.tolist()))
        replace_labels(version, run, labels)
        if not clip_embedder().is_semantic:
            return Outcome(Status.DONE, "Random weights: vector stored for plumbing, no labels made.")
        return Outcome(Status.DONE, f"{len(vector)}-d vector, {counted(len(labels), 'zero-shot label')}.")


STEPS = {
    step.capability: step
    for step in (Moderation(), Classify(), Detect(), Faces(), People(), Ocr(), Colours(), Clip())
}
PIPELINE = tuple(STEPS)
