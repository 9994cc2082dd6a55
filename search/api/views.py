"""Search over REST: the same form, service and statement as the page; keyset cursors, facets, explanations."""
from django import forms
from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from PIL import Image
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.permissions import visible_assets
from core.audit import Actor
from search import browse, duplicates, service
from search.api.serializers import (
    DuplicateAssetSerializer,
    DuplicateGroupSerializer,
    ImageSearchSerializer,
    KeepDuplicateSerializer,
    PlacesSerializer,
    SavedSearchSerializer,
    SearchResponseSerializer,
    SuggestionSerializer,
    SuggestionsResponseSerializer,
    TimelineSerializer,
)
from search.embeddings import VectorUnavailable, image_vector
from search.forms import MultiValueField, SearchForm
from search.models import SavedSearch
from search.saved_searches import delete_saved_search, own_saved_search, save_search, search_data

_TYPES = {forms.DateField: OpenApiTypes.DATE, forms.IntegerField: OpenApiTypes.INT,
          forms.NullBooleanField: OpenApiTypes.BOOL, forms.UUIDField: OpenApiTypes.UUID}


def _parameter(name, field):
    many = isinstance(field, (forms.MultipleChoiceField, MultiValueField))
    enum = [value for value, _ in field.choices] if isinstance(field, forms.ChoiceField) else None
    return OpenApiParameter(name, _TYPES.get(type(field), OpenApiTypes.STR), OpenApiParameter.QUERY,
                            description=str(field.help_text or field.label), many=many, enum=enum)


SEARCH_PARAMETERS = [_parameter(name, field) for name, field in SearchForm.base_fields.items()] + [
    OpenApiParameter("facets", OpenApiTypes.BOOL, OpenApiParameter.QUERY, default=True,
                     description="Count facets (a second statement). Clients paging on, or showing no facets, "
                                 "answer faster with facets=false; the response then has no facet values."),
    OpenApiParameter("count", OpenApiTypes.STR, OpenApiParameter.QUERY, enum=["exact"],
                     description="Browsing a large library with filters, the total is counted within a short time "
                                 "budget and is null past it; count=exact waits for it (up to 10,001)."),
]


def _wants_facets(request):
    return request.query_params.get("facets", "true").strip().lower() not in ("false", "0", "no", "off")


def _valid_query(data):
    form = SearchForm(data)
    if not form.is_valid():
        raise ValidationError(form.errors)
    return form.to_query()


def search_response(request, query):
    """Run ``query`` for the requesting user and shape the page, facets and interpretation."""
    results, facets = service.search_with_facets(query, request.user, with_facets=_wants_facets(request),
                                                 thumbnails=False)  # hits show the summary columns only
    if results.total is None:  # not known from the page statement: counted within the list budget, as /api/assets/
        exact = request.query_params.get("count") == "exact"
        results.total = service.count_hits(results.query, request.user, settings.LUMEN_SEARCH_BUDGET_MS if exact
                                           else settings.LUMEN_COUNT_BUDGET_MS)
    next_url = None
    if results.next_cursor:
        params = request.query_params.copy()
        params["cursor"] = results.next_cursor
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    counted = _wants_facets(request)  # sense counts come with the facets' statement
    senses = facets.pop("sense", [])
    context = {"request": request, "sense_counts": {v.value: v.count for v in senses} if counted else None}
    return SearchResponseSerializer({
        "count": results.shown_total,
        "count_is_exact": results.total_is_exact,
        "next": next_url,
        "results": results.hits,
        "facets": facets,
        "interpretation": results.interpretation,
        "vector_text_search": results.vector_text_search,
        "message": results.message,
    }, context=context).data


class SearchView(APIView):
    """Hybrid search: concepts (with narrower ones), text, vectors, filters; only what the caller may see."""

    throttle_scope = "search"

    @extend_schema(parameters=SEARCH_PARAMETERS, responses=SearchResponseSerializer)
    def get(self, request):
        return Response(search_response(request, _valid_query(request.query_params)))


class SuggestionsView(APIView):
    """Concepts whose labels start with the words typed so far, those with visible images first, with counts."""

    @extend_schema(parameters=[OpenApiParameter("q", OpenApiTypes.STR, OpenApiParameter.QUERY,
                                                description="The words typed so far (two letters or more).")],
                   responses=SuggestionsResponseSerializer)
    def get(self, request):
        found = service.suggest_concepts(request.query_params.get("q", ""), request.user)
        return Response({"suggestions": SuggestionSerializer(found, many=True).data})


class ImageSearchView(APIView):
    """Search by an uploaded image: its similarity vector ranks the filtered library; filters go in the query string."""

    parser_classes = [MultiPartParser, FormParser]
    throttle_scope = "search"

    @extend_schema(parameters=SEARCH_PARAMETERS, request={"multipart/form-data": ImageSearchSerializer},
                   responses=SearchResponseSerializer)
    def post(self, request):
        upload = ImageSearchSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        query = _valid_query(request.query_params)
        try:
            with Image.open(upload.validated_data["image"]) as image:
                query.vector = image_vector(image)
        except VectorUnavailable as exc:
            return Response({"error": "vector_unavailable", "message": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(search_response(request, query))


class SavedSearchList(generics.ListCreateAPIView):
    """Your saved searches (smart collections); each re-runs live at its ``results_url``."""

    serializer_class = SavedSearchSerializer
    pagination_class = None

    def get_queryset(self):
        return SavedSearch.objects.filter(owner=self.request.user)

    def perform_create(self, serializer):
        params = serializer.validated_data["params"]
        _valid_query(search_data(params))
        serializer.instance = save_search(self.request.user, serializer.validated_data["name"], params,
                                          actor=Actor.from_request(self.request))


class SavedSearchDetail(generics.RetrieveDestroyAPIView):
    serializer_class = SavedSearchSerializer

    def get_object(self):
        return own_saved_search(self.request.user, self.kwargs["pk"])

    def perform_destroy(self, instance):
        delete_saved_search(instance, actor=Actor.from_request(self.request))


class SavedSearchResults(APIView):
    """Run a saved search now; ``cursor`` and ``page_size`` page through it."""

    @extend_schema(parameters=[p for p in SEARCH_PARAMETERS if p.name in ("cursor", "page_size")],
                   responses=SearchResponseSerializer)
    def get(self, request, pk):
        data = search_data(own_saved_search(request.user, pk).params, request.query_params)
        return Response(search_response(request, _valid_query(data)))


class DuplicateGroupsView(APIView):
    """Groups of near-duplicate images you can see (largest first), each asset saying whether you may trash it."""

    @extend_schema(responses=DuplicateGroupSerializer(many=True))
    def get(self, request):
        groups = duplicates.duplicate_groups(request.user)
        return Response(DuplicateGroupSerializer(groups, many=True, context={"request": request}).data)


class KeepDuplicateView(APIView):
    """Keep one image of a near-duplicate group and move the named others to the trash: all or none, each one
    yours to change (403 otherwise), restorable from the trash."""

    @extend_schema(request=KeepDuplicateSerializer, responses=DuplicateAssetSerializer(many=True))
    def post(self, request):
        body = KeepDuplicateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        visible = visible_assets(request.user)
        kept = get_object_or_404(visible, uid=body.validated_data["keep"])
        others = list(visible.filter(uid__in=body.validated_data["trash"]).exclude(pk=kept.pk))
        if len(others) < len(set(body.validated_data["trash"]) - {kept.uid}):
            raise NotFound("One of the images to trash does not exist or you cannot see it.")
        trashed = duplicates.keep_one(kept, others, actor=Actor.from_request(request))
        context = {"request": request, "trashable": set()}
        return Response(DuplicateAssetSerializer(trashed, many=True, context=context).data)


class TimelineView(APIView):
    """Every month with hits, newest first (taken, or uploaded when the time taken is unknown), with counts;
    the search parameters filter it as they filter the grid. ``search_url`` lists a month's images."""

    throttle_scope = "search"

    @extend_schema(parameters=SEARCH_PARAMETERS[:-1], responses=TimelineSerializer)
    def get(self, request):
        months = browse.months(_valid_query(request.query_params), request.user)
        return Response(TimelineSerializer({"months": months}, context={"request": request}).data)


class PlacesView(APIView):
    """Images with a GPS position, grouped per grid cell of the area asked for (``bbox``, ``zoom``): what the map
    page draws. The search parameters filter it as they filter the grid."""

    throttle_scope = "search"

    @extend_schema(parameters=[
        *SEARCH_PARAMETERS[:-1],
        OpenApiParameter("bbox", OpenApiTypes.STR, OpenApiParameter.QUERY,
                         description="west,south,east,north in degrees (default: the whole world)."),
        OpenApiParameter("zoom", OpenApiTypes.INT, OpenApiParameter.QUERY,
                         description="Map zoom level, 0 (whole world) to 18: the cells shrink as it grows."),
    ], responses=PlacesSerializer)
    def get(self, request):
        try:
            area = browse.area_from(request.query_params)
        except ValueError as exc:
            raise ValidationError({"bbox": [str(exc)]}) from exc
        found = browse.clusters(_valid_query(request.query_params), request.user, area)
        return Response(PlacesSerializer({"cell_degrees": area.cell, "clusters": found},
                                         context={"request": request}).data)
