"""Search over REST: the same form, service and statement as the page; keyset cursors, facets, explanations."""
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from PIL import Image
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.services.audit import Actor
from search import service
from search.api.serializers import (
    ImageSearchSerializer,
    SavedSearchSerializer,
    SearchResponseSerializer,
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
    next_url = None
    if results.next_cursor:
        params = request.query_params.copy()
        params["cursor"] = results.next_cursor
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    context = {"request": request, "sense_counts": {v.value: v.count for v in facets.pop("sense", [])}}
    return SearchResponseSerializer({
        "count": results.total,
        "next": next_url,
        "results": results.hits,
        "facets": facets,
        "interpretation": results.interpretation,
        "vector_text_search": results.vector_text_search,
    }, context=context).data


class SearchView(APIView):
    """Hybrid search: concepts (with narrower ones), text, vectors, filters; only what the caller may see."""


    @extend_schema(parameters=SEARCH_PARAMETERS, responses=SearchResponseSerializer)
    def get(self, request):
        return Response(search_response(request, _valid_query(request.query_params)))


class ImageSearchView(APIView):
    """Search by an uploaded image: its similarity vector ranks the filtered library; filters go in the query string."""

    parser_classes = [MultiPartParser, FormParser]

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
