"""Read shapes of the enrichment summary, and the one input shape (a concept id)."""
from rest_framework import serializers

from enrichment.models import Detection, EnrichmentJob, LabelDecision, ModelRun, ModerationResult, OcrText
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
        fields = ["capability", "status", "detail", "attempts", "latency_ms", "model", "updated_at"]


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
    labels = MachineLabelSerializer(many=True)
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
