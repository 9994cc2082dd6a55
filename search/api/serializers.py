"""Shapes of search responses: hits with their explanation, facets, how the query was understood."""
import uuid

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assets.templatetags.asset_images import rendition_url
from search.models import SavedSearch


class ConceptEvidenceSerializer(serializers.Serializer):
    phrase = serializers.CharField(help_text="The words of the query that named the concept.")
    query_concept = serializers.CharField(help_text="The concept the query asked for.")
    query_label = serializers.CharField()
    concept = serializers.CharField(help_text="The concept a model (or person) labelled: the query's or a narrower one.")
    label = serializers.CharField()
    exact = serializers.BooleanField(help_text="True when the label is the query concept itself.")
    confidence = serializers.FloatField()
    model = serializers.CharField(help_text="Model that produced the label, or 'person'.")


class ColourEvidenceSerializer(serializers.Serializer):
    colour = serializers.CharField(help_text="A colour the query named, among the image's dominant colours.")
    share = serializers.FloatField(help_text="The share of the image it covers (0 to 1).")


class TextEvidenceSerializer(serializers.Serializer):
    fields = serializers.ListField(child=serializers.CharField(), help_text="title, keywords, caption, ocr")
    snippets = serializers.DictField(child=serializers.CharField(),
                                     help_text="Per field, HTML-escaped text with matches in <mark>.")


class VectorEvidenceSerializer(serializers.Serializer):
    similarity = serializers.FloatField(help_text="1 - cosine distance.")
    model = serializers.CharField()


class ExplanationSerializer(serializers.Serializer):
    concepts = ConceptEvidenceSerializer(many=True, help_text="The strongest labels per phrase.")
    colours = ColourEvidenceSerializer(many=True)
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
        Reads only the search statement's summary columns (``search.statement.SUMMARY_COLUMNS``)."""
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
    name = serializers.CharField(help_text="What to call it: the label, told apart from other senses of the same "
                                           "label by a broader concept, e.g. “crane (wading bird)”.")
    definition = serializers.CharField()
    count = serializers.SerializerMethodField(
        help_text="Visible assets labelled with this sense (or narrower); null when not counted (facets=false).")

    def get_count(self, sense) -> int | None:
        counts = self.context.get("sense_counts")
        return None if counts is None else counts.get(sense.concept_id, 0)


class ConceptMatchSerializer(serializers.Serializer):
    phrase = serializers.CharField()
    ambiguous = serializers.BooleanField()
    chosen = serializers.CharField(allow_null=True, help_text="The sense picked with ?concept=, else all are used.")
    related = serializers.BooleanField(
        help_text="True when no concept, colour or text matched the words: the senses are the nearest concepts "
                  "that have images, searched instead.")
    senses = SenseSerializer(many=True)


class InterpretationSerializer(serializers.Serializer):
    words = serializers.ListField(child=serializers.CharField())
    concepts = ConceptMatchSerializer(source="matches", many=True)
    colours = serializers.ListField(child=serializers.CharField(), help_text="Colours the words named.")
    corrections = serializers.DictField(child=serializers.CharField())
    showing_results_for = serializers.CharField(help_text="The words searched for, when a spelling was corrected.")
    search_instead_for = serializers.CharField(
        help_text="The words as typed, when a spelling was corrected: ask again with as_typed=true to search them.")
    did_you_mean = serializers.CharField(
        help_text="With as_typed=true, the corrected words, when a correction was found (ask without as_typed).")


class VectorTextSearchSerializer(serializers.Serializer):
    available = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)


class SearchResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField(allow_null=True, help_text=(
        "How many match; browsing (no words) stops counting at 10,000, and is null when counting took longer than "
        "the list's time budget (ask with count=exact to wait for it)."))
    count_is_exact = serializers.BooleanField(help_text="false: more than ``count`` match (counting stopped), or "
                                                        "count is null.")
    next = serializers.URLField(allow_null=True, help_text="The next page (keyset cursor), or null.")
    results = HitSerializer(many=True)
    facets = serializers.DictField(child=FacetValueSerializer(many=True))
    interpretation = InterpretationSerializer()
    vector_text_search = VectorTextSearchSerializer()
    message = serializers.CharField(
        allow_blank=True, help_text="Why nothing was searched for, for a person (words without letters or digits, "
                                    "only very common words, a concept that does not exist); blank otherwise.")


class SuggestionSerializer(serializers.Serializer):
    """A concept for the words typed so far (the page's suggestions under the search box use the same shape)."""

    id = serializers.CharField(source="concept_id")
    label = serializers.CharField(help_text="The concept's preferred label: search for it with q=label&concept=id.")
    name = serializers.CharField(help_text="What to show: the label, told apart from another concept of the same "
                                           "label by a broader one, e.g. “crane (wading bird)”.")
    also_called = serializers.CharField(help_text="The other label the typed words matched, when they did not match "
                                                  "the preferred one (“toilet”, also called “can”); else blank.")
    matched = serializers.CharField(help_text="The label the typed words matched.")
    definition = serializers.CharField()
    count = serializers.IntegerField(help_text="Visible images labelled with it (or a narrower concept).")
    more = serializers.BooleanField(help_text="Counting stopped at count: there are more.")


class SuggestionsResponseSerializer(serializers.Serializer):
    suggestions = SuggestionSerializer(many=True)


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


class DuplicateAssetSerializer(serializers.Serializer):
    uid = serializers.UUIDField()
    title = serializers.CharField(source="__str__")
    format = serializers.CharField(source="current_version.format")
    width = serializers.IntegerField(source="current_version.width")
    height = serializers.IntegerField(source="current_version.height")
    created_at = serializers.DateTimeField()
    can_trash = serializers.SerializerMethodField(help_text="Whether you may move this one to the trash.")
    html_url = serializers.SerializerMethodField()

    def get_can_trash(self, asset) -> bool:
        return asset.pk in self.context["trashable"]

    def get_html_url(self, asset) -> str:
        return self.context["request"].build_absolute_uri(reverse("assets:detail", kwargs={"uid": asset.uid}))


class DuplicateGroupSerializer(serializers.Serializer):
    assets = serializers.SerializerMethodField()

    @extend_schema_field(DuplicateAssetSerializer(many=True))
    def get_assets(self, group):
        return DuplicateAssetSerializer(group.assets, many=True,
                                        context={**self.context, "trashable": group.trashable}).data


class KeepDuplicateSerializer(serializers.Serializer):
    keep = serializers.UUIDField(help_text="The asset to keep.")
    trash = serializers.ListField(child=serializers.UUIDField(), allow_empty=False,
                                  help_text="Its near-duplicates to move to the trash: each named, none implied.")


def _search_page(request, **params):
    query = request.query_params.copy()
    for key, value in params.items():
        query.setlist(key, [value])
    query.pop("cursor", None)
    return request.build_absolute_uri(f"{reverse('search-api:search')}?{query.urlencode()}")


class MonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    count = serializers.IntegerField()
    search_url = serializers.SerializerMethodField(help_text="This month's images, as a search.")

    def get_search_url(self, month) -> str:
        return _search_page(self.context["request"], month=month.month)


class TimelineSerializer(serializers.Serializer):
    months = MonthSerializer(many=True)


class PlaceAssetSerializer(serializers.Serializer):
    uid = serializers.UUIDField()
    title = serializers.CharField(source="__str__")
    thumbnail_url = serializers.SerializerMethodField()
    html_url = serializers.SerializerMethodField()

    def get_thumbnail_url(self, asset) -> str | None:
        version = asset.current_version
        smallest = next((r for r in version.renditions.all() if r.format == "jpeg"), None) if version else None
        return self.context["request"].build_absolute_uri(rendition_url(smallest)) if smallest else None

    def get_html_url(self, asset) -> str:
        return self.context["request"].build_absolute_uri(reverse("assets:detail", kwargs={"uid": asset.uid}))


class ClusterSerializer(serializers.Serializer):
    latitude = serializers.FloatField(help_text="The mean position of its images.")
    longitude = serializers.FloatField()
    count = serializers.IntegerField()
    bounds = serializers.ListField(child=serializers.FloatField(), help_text="south, west, north, east")
    asset = PlaceAssetSerializer(allow_null=True, help_text="One of its images.")


class PlacesSerializer(serializers.Serializer):
    cell_degrees = serializers.FloatField(help_text="The grid cell's side: images closer than this may share one.")
    clusters = ClusterSerializer(many=True)
