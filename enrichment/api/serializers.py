"""Read shapes of the enrichment summary and of people; the input shapes (a concept id, a name, merges, splits)."""
from django.urls import reverse
from rest_framework import serializers

from enrichment.models import (
    Detection,
    EnrichmentJob,
    FaceDescriptor,
    LabelDecision,
    ModelRun,
    ModerationResult,
    OcrText,
    Person,
)
from ontology.models import Concept


class ModelRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelRun
        fields = ["id", "capability", "name", "version", "file_sha256", "active"]


class ConceptRefSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="pref_label")

    class Meta:
        model = Concept
        fields = ["id", "label", "name"]


class JobSerializer(serializers.ModelSerializer):
    model = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = EnrichmentJob
        fields = ["capability", "status", "detail", "attempts", "latency_ms", "cpu_ms", "cost", "model", "updated_at"]


class MachineLabelSerializer(serializers.Serializer):
    concept = ConceptRefSerializer()
    confidence = serializers.FloatField()
    model = serializers.IntegerField(source="model.pk", read_only=True, help_text="The model run's id.")
    source = serializers.CharField(source="model.capability")
    box = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    rejected = serializers.BooleanField(help_text="A person rejected this concept; search leaves it out.")
    broader = ConceptRefSerializer(many=True, help_text="Implied broader concepts (not stored as labels).")


class LabelDecisionSerializer(serializers.ModelSerializer):
    concept = ConceptRefSerializer()
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    broader = ConceptRefSerializer(many=True, required=False)

    class Meta:
        model = LabelDecision
        fields = ["concept", "decision", "decided_by", "decided_at", "broader"]


class DetectionSerializer(serializers.ModelSerializer):
    concept = ConceptRefSerializer(allow_null=True)
    box = serializers.SerializerMethodField(help_text="[x, y, w, h] in displayed pixels of the version.")

    class Meta:
        model = Detection
        fields = ["label", "concept", "score", "box", "model"]

    def get_box(self, detection) -> list[float]:
        return [detection.x, detection.y, detection.w, detection.h]


class OcrTextSerializer(serializers.ModelSerializer):
    class Meta:
        model = OcrText
        fields = ["text", "lines", "model"]


class ModerationSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModerationResult
        fields = ["unsafe_score", "flagged", "scores", "model"]


class EmbeddingSerializer(serializers.Serializer):
    model = serializers.IntegerField(source="model.pk", read_only=True, help_text="The model run's id.")
    capability = serializers.CharField(source="model.capability")
    dimensions = serializers.IntegerField()


class EnrichmentSerializer(serializers.Serializer):
    asset = serializers.UUIDField(source="asset.uid")
    version = serializers.IntegerField(source="version.number")
    moderation_state = serializers.CharField(source="asset.moderation_state")
    jobs = JobSerializer(many=True)
    labels = MachineLabelSerializer(many=True, help_text="Machine labels people are shown (strong enough, or rejected).")
    weak_labels = serializers.IntegerField(help_text="How many weaker machine labels there are (``guesses``).")
    guesses = MachineLabelSerializer(many=True, help_text="Weaker machine labels, strongest first: the asset page "
                                                           "hides them until asked to show all guesses; search still "
                                                           "weighs them.")
    decisions = LabelDecisionSerializer(many=True)
    implied = ConceptRefSerializer(many=True)
    objects = DetectionSerializer(many=True)
    faces = DetectionSerializer(many=True)
    ocr = OcrTextSerializer(many=True)
    moderation = ModerationSerializer(many=True)
    embeddings = EmbeddingSerializer(many=True)
    models = ModelRunSerializer(many=True)


class ConceptInputSerializer(serializers.Serializer):
    concept = serializers.PrimaryKeyRelatedField(queryset=Concept.objects.all(), help_text='Concept id, e.g. "n02121808".')


def _absolute(serializer, name, **kwargs):
    return serializer.context["request"].build_absolute_uri(reverse(name, kwargs=kwargs))


class PersonSerializer(serializers.ModelSerializer):
    """A person as the caller sees them: counts and the cover face are of the images they may see."""

    image_count = serializers.IntegerField(read_only=True)
    cover_url = serializers.SerializerMethodField()
    search_url = serializers.SerializerMethodField()
    html_url = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = ["id", "name", "image_count", "cover_url", "search_url", "html_url"]

    def get_cover_url(self, person) -> str:
        return _absolute(self, "enrichment:face_image", pk=person.cover)

    def get_search_url(self, person) -> str:
        return _absolute(self, "search-api:search") + f"?person={person.pk}"

    def get_html_url(self, person) -> str:
        return _absolute(self, "enrichment:person", pk=person.pk)


class PersonNameSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True, max_length=200, trim_whitespace=True)


class FaceSerializer(serializers.ModelSerializer):
    asset = serializers.UUIDField(source="version.asset.uid")
    box = serializers.JSONField(help_text="[x, y, w, h] in the image's displayed pixels.")
    image_url = serializers.SerializerMethodField()

    class Meta:
        model = FaceDescriptor
        fields = ["id", "asset", "box", "image_url"]

    def get_image_url(self, face) -> str:
        return _absolute(self, "enrichment:face_image", pk=face.pk)


class MergeSerializer(serializers.Serializer):
    people = serializers.ListField(child=serializers.IntegerField(), allow_empty=False,
                                   help_text="Ids of the people who are this person too; they go.")


class SplitSerializer(serializers.Serializer):
    faces = serializers.ListField(child=serializers.IntegerField(), allow_empty=False,
                                  help_text="Ids of this person's faces that are someone else.")
    name = serializers.CharField(allow_blank=True, max_length=200, required=False, default="")


class FaceRecognitionSerializer(serializers.Serializer):
    collection = serializers.SlugField(read_only=True)
    enabled = serializers.BooleanField(help_text="Group the faces of its images into people (opt-in).")
