"""What enrichment knows about an asset's current version, read in a fixed number of queries.

The asset page panel and the API endpoint both render this one summary, so they never disagree.
"""
from dataclasses import dataclass, field

from django.db.models import Func, IntegerField

from enrichment.models import (
    Capability,
    Detection,
    Embedding,
    EnrichmentJob,
    LabelDecision,
    MachineLabel,
    ModelRun,
    ModerationResult,
    OcrText,
)
from enrichment.services.capabilities import PIPELINE
from ontology.models import Concept

JOB_ORDER = {capability: index for index, capability in enumerate((Capability.ANONYMISE, *PIPELINE))}

# The confidence from which a model's label is shown to people, per kind of model: where its labels on
# the judged images with a subject are more often right than wrong (docs/benchmarks.md, "Retrieval":
# classifier 0.52 at 0.5 but 0.37 at 0.3, detector 0.58 at 0.5 and 0.44 below 0.4; CLIP, unmeasured, as
# the classifier). Weaker labels stay stored for search, which weighs them, but are not shown as what the
# image is ("water snake 0.23" on a snowy forest).
SHOWN_FROM = {Capability.CLASSIFY: 0.5, Capability.DETECT: 0.5, Capability.CLIP: 0.5}


@dataclass
class Label:
    """A machine label with its "why" (model, confidence) and the broader concepts it implies."""

    concept: Concept
    confidence: float
    model: ModelRun
    box: list | None
    rejected: bool
    broader: list = field(default_factory=list)


@dataclass
class Summary:
    asset: object
    version: object
    jobs: list
    labels: list
    decisions: list
    objects: list
    faces: list
    ocr: list
    moderation: list
    embeddings: list
    models: list
    guesses: list = field(default_factory=list)  # machine labels below SHOWN_FROM, strongest first: hidden at first

    @property
    def weak_labels(self):
        return len(self.guesses)

    @property
    def added(self):
        return [d for d in self.decisions if d.decision == LabelDecision.Decision.ADDED]

    @property
    def moderation_failure(self):
        """Why the moderation check failed ("" when it did not): the asset is held for a moderator then."""
        return next((job.detail for job in self.jobs
                     if job.capability == Capability.MODERATION and job.status == EnrichmentJob.Status.FAILED), "")

    @property
    def implied(self):
        """Broader concepts of every label people should see (machine ones not rejected, and added ones)."""
        implied = {}
        for label in [label for label in self.labels if not label.rejected] + self.added:
            for concept in label.broader:
                implied.setdefault(concept.pk, concept)
        return list(implied.values())


def summarise(asset):
    """The summary of ``asset``'s current version (``None`` when it has no version yet).

    Results come from active model runs only, as search reads them; rejected machine
    labels are included, flagged ``rejected``, so people see what they overruled. Machine labels
    below ``SHOWN_FROM`` are kept apart (``guesses``): the page lists them only when asked.
    """
    version = asset.current_version
    if version is None:
        return None
    jobs = sorted(
        EnrichmentJob.objects.filter(version=version).select_related("model"),
        key=lambda job: JOB_ORDER.get(job.capability, len(JOB_ORDER)),
    )
    decisions = list(LabelDecision.objects.filter(asset=asset).select_related("concept", "decided_by"))
    rejected = {d.concept_id for d in decisions if d.decision == LabelDecision.Decision.REJECTED}
    machine = list(
        MachineLabel.objects.filter(version=version, model__active=True).select_related("concept", "model")
    )
    concepts = {c.pk: c for c in [d.concept for d in decisions] + [m.concept for m in machine]}
    broader = Concept.objects.in_bulk({a for c in concepts.values() for a in c.ancestors})
    labels = [
        Label(m.concept, m.confidence, m.model, m.box, m.concept_id in rejected, _nearest_first(m.concept, broader))
        for m in sorted(machine, key=lambda m: -m.confidence)
    ]
    shown = [label for label in labels if label.rejected or label.confidence >= SHOWN_FROM.get(label.model.capability, 0)]
    for decision in decisions:
        decision.broader = _nearest_first(decision.concept, broader)
    detections = list(
        Detection.objects.filter(version=version, model__active=True).select_related("concept", "model")
    )
    embeddings = list(
        Embedding.objects.filter(version=version, model__active=True)
        .select_related("model")
        .defer("vector")
        .annotate(dimensions=Func("vector", function="vector_dims", output_field=IntegerField()))
    )
    models = {run.pk: run for run in [job.model for job in jobs if job.model] + [e.model for e in embeddings]}
    return Summary(
        asset=asset,
        version=version,
        jobs=jobs,
        labels=shown,
        decisions=decisions,
        objects=[d for d in detections if d.kind == Detection.Kind.OBJECT],
        faces=[d for d in detections if d.kind == Detection.Kind.FACE],
        ocr=list(OcrText.objects.filter(version=version, model__active=True).select_related("model")),
        moderation=list(ModerationResult.objects.filter(version=version, model__active=True).select_related("model")),
        embeddings=embeddings,
        models=sorted(models.values(), key=lambda run: JOB_ORDER.get(run.capability, len(JOB_ORDER))),
        guesses=[label for label in labels if label not in shown],
    )


def _nearest_first(concept, broader):
    """``Concept.ancestors`` runs from the root down; people read "domestic cat, cat, feline, ..." first."""
    return [broader[pk] for pk in reversed(concept.ancestors) if pk in broader]
