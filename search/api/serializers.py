"""Shapes of search responses: hits with their explanation, facets, how the query was understood."""
import uuid

from django.urls import reverse
from rest_framework import serializers

from search.models import SavedSearch


class ConceptEvidenceSerializer(serializers.Serializer):
    query_concept = serializers.CharField(help_text="The concept the query asked for.")
    query_label = serializers.CharField()
    concept = serializers.CharField(help_text="The concept a model (or person) labelled: the query's or a narrower one.")
    label = serializers.CharField()
    exact = serializers.BooleanField(help_text="True when the label is the query concept itself.")
    confidence = serializers.FloatField()
    model = serializers.CharField(help_text="Model that produced the label, or 'person'.")


class TextEvidenceSerializer(serializers.Serializer):
    fields = serializers.ListField(child=serializers.CharField(), help_text="title, keywords, caption, ocr")
    snippets = serializers.DictField(child=serializers.CharField(),
                                     help_text="Per field, HTML-escaped text with matches in <mark>.")


class VectorEvidenceSerializer(serializers.Serializer):
    similarity = serializers.FloatField(help_text="1 - cosine distance.")
    model = serializers.CharField()


class ExplanationSerializer(serializers.Serializer):
    concepts = ConceptEvidenceSerializer(many=True)
    text = TextEvidenceSerializer(allow_null=True)
    vector = VectorEvidenceSerializer(allow_null=True)


_UID_SLOT = uuid.UUID(int=0)


class HitSerializer(serializers.Serializer):
    uid = serializers.UUIDField(source="asset.uid")
    title = serializers.CharField(source="asset.__str__")
    format = serializers.CharField(source="asset.current_version.format", default="")
    width = serializers.IntegerField(source="asset.current_version.width", default=None)
    height = serializers.IntegerField(source="asset.current_version.height", default=None)
    html_url = serializers.SerializerMethodField()
    score = serializers.FloatField()
    explanation = ExplanationSerializer()

    def get_html_url(self, hit) -> str:
        # Reversed once per response, then filled in per hit (reverse costs ~50 µs).
        if "asset_url" not in self.context:
            self.context["asset_url"] = self.context["request"].build_absolute_uri(
                reverse("assets:detail", kwargs={"uid": _UID_SLOT}))
        return self.context["asset_url"].replace(str(_UID_SLOT), str(hit.asset.uid))

    def to_representation(self, hit):
        """The declared fields' output, written out: DRF's generic walk over them (dotted sources, nested
        serializers) cost about 0.25 ms per hit, most of what the API adds to a search
        (docs/benchmarks.md). The declared fields still document the shape; a test keeps both equal.
        Reads only the search statement's summary columns (``search.service.SUMMARY_COLUMNS``)."""
        asset = hit.asset
        version = asset.current_version
        return {
            "uid": str(asset.uid),
            "title": str(asset),
            "format": version.format if version else "",
            "width": version.width if version else None,
            "height": version.height if version else None,
            "html_url": self.get_html_url(hit),
            "score": float(hit.score),
            "explanation": hit.explanation,
        }


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    approximate = serializers.BooleanField(help_text="Estimated from a sample of the hits (searches with very many).")


class SenseSerializer(serializers.Serializer):
    id = serializers.CharField(source="concept_id")
    label = serializers.CharField()
    definition = serializers.CharField()
    count = serializers.SerializerMethodField(help_text="Visible assets labelled with this sense (or narrower).")

    def get_count(self, sense) -> int:
        return self.context.get("sense_counts", {}).get(sense.concept_id, 0)


class ConceptMatchSerializer(serializers.Serializer):
    phrase = serializers.CharField()
    ambiguous = serializers.BooleanField()
    chosen = serializers.CharField(allow_null=True, help_text="The sense picked with ?concept=, else all are used.")
    senses = SenseSerializer(many=True)


class InterpretationSerializer(serializers.Serializer):
    words = serializers.ListField(child=serializers.CharField())
    concepts = ConceptMatchSerializer(source="matches", many=True)
    corrections = serializers.DictField(child=serializers.CharField())
    showing_results_for = serializers.CharField()


class VectorTextSearchSerializer(serializers.Serializer):
    available = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)


class SearchResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True, help_text="The next page (keyset cursor), or null.")
    results = HitSerializer(many=True)
    facets = serializers.DictField(child=FacetValueSerializer(many=True))
    interpretation = InterpretationSerializer()
    vector_text_search = VectorTextSearchSerializer()


class SavedSearchSerializer(serializers.ModelSerializer):
    params = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   help_text='Search parameters as lists, e.g. {"q": ["cat"], "format": ["png"]}.')
    results_url = serializers.SerializerMethodField()

    class Meta:
        model = SavedSearch
        fields = ["id", "name", "params", "created_at", "results_url"]
        read_only_fields = ["id", "created_at", "results_url"]

    def get_results_url(self, saved) -> str:
        return self.context["request"].build_absolute_uri(reverse("search-api:saved-results", kwargs={"pk": saved.pk}))


class ImageSearchSerializer(serializers.Serializer):
    image = serializers.ImageField(help_text="Find images that look like this one.")
