"""What the models found in each asset version, and which model run found it."""
from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef
from pgvector.django import HnswIndex, VectorField

from assets.models import Asset, AssetVersion, Collection
from ontology.models import Concept


class Capability(models.TextChoices):
    MODERATION = "moderation", "Moderation"
    CLASSIFY = "classify", "Classification"
    DETECT = "detect", "Object detection"
    FACES = "faces", "Face detection"
    OCR = "ocr", "Text (OCR)"
    SIMILARITY = "similarity", "Similarity vector"
    CLIP = "clip", "CLIP embedding"
    COLOURS = "colours", "Dominant colours"
    ANONYMISE = "anonymise", "Face anonymisation"
    PEOPLE = "people", "Face recognition"


class ModelRun(models.Model):
    """A model identity (name, version, file checksum): every result says which one produced it."""

    capability = models.CharField(max_length=20, choices=Capability.choices)
    name = models.CharField(max_length=100)
    version = models.CharField(max_length=200)
    file_sha256 = models.CharField(max_length=64, blank=True)
    active = models.BooleanField(default=True, help_text="Search reads results of active models only.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["capability", "name", "version", "file_sha256"], name="unique_model_run")
        ]

    def __str__(self):
        return f"{self.name} {self.version}"


class EnrichmentJob(models.Model):
    """Per version and capability: where the work stands, shown on the asset page and in the API."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    version = models.ForeignKey(AssetVersion, on_delete=models.CASCADE, related_name="enrichment_jobs")
    capability = models.CharField(max_length=20, choices=Capability.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    detail = models.TextField(blank=True)
    model = models.ForeignKey(ModelRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    attempts = models.PositiveIntegerField(default=0)
    latency_ms = models.FloatField(null=True, blank=True)
    cpu_ms = models.FloatField(null=True, blank=True, help_text="CPU time of the model run per image.")
    cost = models.FloatField(null=True, blank=True, help_text="CPU (and GPU) time at the configured hourly prices.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "capability"], name="unique_job_per_capability")]


class MachineLabelQuerySet(models.QuerySet):
    def effective(self):
        """Labels people and search should see: from active models, minus concepts a person rejected.

        Rejected labels are kept (the model's confidence stays on record and a person can
        change their mind); this filter is one NOT EXISTS in SQL, so search composes with it.
        """
        rejected = LabelDecision.objects.filter(
            asset=OuterRef("version__asset"), concept=OuterRef("concept"), decision=LabelDecision.Decision.REJECTED
        )
        return self.filter(model__active=True).exclude(Exists(rejected))


class MachineLabel(models.Model):
    """A concept a model saw; broader concepts are implied through Concept.ancestors, not stored."""

    version = models.ForeignKey(AssetVersion, on_delete=models.CASCADE, related_name="machine_labels")
    concept = models.ForeignKey(Concept, on_delete=models.CASCADE, related_name="machine_labels")
    model = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="+")
    confidence = models.FloatField()
    box = models.JSONField(null=True, blank=True)  # [x, y, w, h] of the best box, in displayed pixels

    objects = MachineLabelQuerySet.as_manager()

    class Meta:
        ordering = ["-confidence"]
        constraints = [
            models.UniqueConstraint(fields=["version", "concept", "model"], name="unique_label_per_model")
        ]
        indexes = [models.Index(fields=["concept", "confidence"])]


class LabelDecision(models.Model):
    """A person's verdict on a concept for an asset; machine re-runs never overwrite it."""

    class Decision(models.TextChoices):
        ADDED = "added", "Added by a person"
        REJECTED = "rejected", "Rejected by a person"

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="label_decisions")
    concept = models.ForeignKey(Concept, on_delete=models.CASCADE, related_name="+")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["asset", "concept"], name="unique_decision_per_concept")]


class Detection(models.Model):
    """A box found by the object or face detector, in displayed (orientation-corrected) pixels."""

    class Kind(models.TextChoices):
        OBJECT = "object", "Object"
        FACE = "face", "Face"

    version = models.ForeignKey(AssetVersion, on_delete=models.CASCADE, related_name="detections")
    model = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    label = models.CharField(max_length=100)
    concept = models.ForeignKey(Concept, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    score = models.FloatField()
    x = models.FloatField()
    y = models.FloatField()
    w = models.FloatField()
    h = models.FloatField()
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-score"]
        indexes = [models.Index(fields=["version", "kind"])]


class OcrText(models.Model):
    """Text read from one version: the lines with boxes, and the joined text for full-text search."""

    version = models.ForeignKey(AssetVersion, on_delete=models.CASCADE, related_name="ocr_texts")
    model = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(blank=True)
    lines = models.JSONField(default=list, blank=True)  # [{"text", "score", "box"}]

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "model"], name="unique_ocr_per_model")]


class ColourPalette(models.Model):
    """A version's dominant colours (CIELAB k-means, named from a fixed palette), largest share first."""

    version = models.ForeignKey(AssetVersion, on_delete=models.CASCADE, related_name="colour_palettes")
    model = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="+")
    colours = models.JSONField(default=list)  # [{"name", "share", "hex"}]

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "model"], name="unique_palette_per_model")]


class ModerationResult(models.Model):
    """Scores from the moderation model, kept in full, and the verdict they led to."""

    version = models.ForeignKey(AssetVersion, on_delete=models.CASCADE, related_name="moderation_results")
    model = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="+")
    scores = models.JSONField(default=dict)
    unsafe_score = models.FloatField()
    flagged = models.BooleanField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "model"], name="unique_moderation_per_model")]


class Embedding(models.Model):
    """One vector per version and model; dimensions vary by model, so indexes are per model (partial)."""

    version = models.ForeignKey(AssetVersion, on_delete=models.CASCADE, related_name="embeddings")
    model = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="+")
    vector = VectorField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "model"], name="unique_embedding_per_model")]


class RecognisedCollection(models.Model):
    """A collection whose faces are grouped into people. Opt-in (face descriptors are biometric data): none by
    default, and never for assets whose faces are blurred."""

    collection = models.OneToOneField(Collection, on_delete=models.CASCADE, primary_key=True,
                                      related_name="face_recognition")
    enabled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    enabled_at = models.DateTimeField(auto_now_add=True)


class Person(models.Model):
    """Faces that the recogniser found to be one person, named (or not) by people."""

    name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["name"])]

    def __str__(self):
        return self.name or f"Unnamed person {self.pk}"


class FaceDescriptor(models.Model):
    """The 128-d descriptor of one detected face and the person it belongs to; deleting the person deletes it.

    A new face detection of the version (its boxes are replaced) leaves the descriptors without a detection
    until recognition runs again: they are what the new faces are matched with first, so a named person
    keeps their name, and then they go.
    """

    detection = models.OneToOneField(Detection, null=True, on_delete=models.SET_NULL, related_name="descriptor")
    box = models.JSONField(help_text="[x, y, w, h] of the face in displayed pixels.")
    version = models.ForeignKey(AssetVersion, on_delete=models.CASCADE, related_name="face_descriptors")
    model = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="faces")
    vector = VectorField(dimensions=128)

    class Meta:
        indexes = [
            models.Index(fields=["person", "version"]), models.Index(fields=["version", "person"]),
            # The nearest known face of a new one, without reading every descriptor.
            HnswIndex(name="face_descriptor_nearest", fields=["vector"], opclasses=["vector_l2_ops"]),
        ]
