"""REST endpoints: parse, ask the permission gate, call a service, serialize. No rules live here."""
from django import forms
from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.filters import BaseFilterBackend
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from assets import permissions
from assets.api.mixins import AssetForActionMixin, require_filing
from assets.api.serializers import (
    RENDITION_ORDER,
    AssetEditSerializer,
    AssetSerializer,
    AssetUploadSerializer,
    CollectionMembershipSerializer,
    CollectionSerializer,
    DownloadQuerySerializer,
    DownloadsSerializer,
    DownloadUseSerializer,
    MetadataSerializer,
    RenditionSerializer,
    UploadedAssetSerializer,
    VersionDetailSerializer,
    VersionUploadSerializer,
    ZipRequestSerializer,
    api_downloads,
    asset_row,
)
from assets.delivery import serve_original, serve_rendition, zip_response
from assets.filtersets import DEFAULT_ORDERING, AssetFilter, AssetFilterForm, asks_for_filters
from assets.jsonld import absolute_url, image_object
from assets.models import Asset
from assets.pagination import COUNT_CAP, KEYSET_ORDERINGS, CappedPaginator, InvalidCursor, keyset_page
from assets.services import archive, delivery, ingest
from assets.services.collections import add_to_collection, create_collection
from assets.services.editing import edit_metadata
from core.api import ErrorSerializer
from core.audit import Actor
from core.renderers import JSONRenderer
from core.sql import prepared

REFUSED_UPLOAD = {status: ErrorSerializer for status in (400, 403, 409, 413, 415)}


class AssetFilterBackend(BaseFilterBackend):
    """Applies the shared AssetFilter; a refused value is a 400 that names the parameter."""

    def filter_queryset(self, request, queryset, view):
        filterset = AssetFilter(request.query_params, queryset, request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return filterset.qs

    def get_schema_operation_parameters(self, view):
        return [
            {"name": name, "in": "query", "required": False, "description": str(field.label),
             "schema": _parameter_schema(field), **({"explode": True} if _is_list(field) else {})}
            for name, field in AssetFilterForm.base_fields.items()
        ]


def _is_list(field):
    return isinstance(field, forms.MultipleChoiceField)


def _parameter_schema(field):
    if isinstance(field, forms.ModelChoiceField):
        return {"type": "string", "description": "slug or id"}
    if _is_list(field):
        return {"type": "array", "items": {"type": "string", "enum": [key for key, _ in field.choices]}}
    if isinstance(field, forms.ChoiceField):
        return {"type": "string", "enum": [key for key, _ in field.choices if key]}
    if isinstance(field, forms.DateField):
        return {"type": "string", "format": "date"}
    return {"type": "string"}


def requested_ordering(request):
    """The list's ordering as the query string asks for it (``ordering``), else the default: what the page's rows
    are sorted and cut by (the filter refuses an unknown one with a 400)."""
    return request.query_params.get("ordering") or DEFAULT_ORDERING


class AssetPagination(PageNumberPagination):
    """Page numbers with a total that stops counting at ``COUNT_CAP`` (``count_is_exact`` false past it);
    orderings an index serves link ``next`` by a keyset ``cursor``, which costs the same on any page."""

    django_paginator_class = CappedPaginator
    page_size_query_param = "page_size"
    max_page_size = 200
    cursor_query_param = "cursor"
    count_query_param = "count"

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.ordering = requested_ordering(request)
        self.cursor = request.query_params.get(self.cursor_query_param)
        if self.ordering not in KEYSET_ORDERINGS or (self.page_query_param in request.query_params and not self.cursor):
            self.next_cursor = None
            return super().paginate_queryset(queryset, request, view)
        # A keyset page needs no total: it is counted within the time budget unless the caller asks for it.
        budget = None if request.query_params.get(self.count_query_param) == "exact" else settings.LUMEN_COUNT_BUDGET_MS
        self.count_paginator = self.django_paginator_class(queryset, self.get_page_size(request), time_budget_ms=budget)
        self.page = None
        try:
            rows, self.next_cursor = keyset_page(queryset, self.ordering, self.cursor, self.get_page_size(request))
        except InvalidCursor:
            raise NotFound("This cursor is not one this list gave out; start again from the first page.") from None
        return rows

    def get_next_link(self):
        if self.page is not None:
            return super().get_next_link()
        if self.next_cursor is None:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, self.next_cursor)

    def get_previous_link(self):
        return super().get_previous_link() if self.page is not None else None

    def get_paginated_response(self, data):
        paginator = self.page.paginator if self.page is not None else self.count_paginator
        return Response({"count": paginator.capped_count,
                         "count_is_exact": paginator.count_is_exact, "next": self.get_next_link(),
                         "previous": self.get_previous_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count_is_exact"] = {
            "type": "boolean", "description": f"false: there are more than {COUNT_CAP:,} (counting stopped there), "
                                              "or counting took too long (count is null)"}
        response["properties"]["count"].update(
            nullable=True, description=f"how many match, up to {COUNT_CAP:,}; null on a cursor page when counting "
                                       "took longer than the list's time budget (ask with count=exact to wait for it)")
        return response

    def get_schema_operation_parameters(self, view):
        return [*super().get_schema_operation_parameters(view), {
            "name": self.cursor_query_param, "in": "query", "required": False, "schema": {"type": "string"},
            "description": "Where the page starts: the cursor in the previous page's `next` link.",
        }, {
            "name": self.count_query_param, "in": "query", "required": False,
            "schema": {"type": "string", "enum": ["exact"]},
            "description": "`exact`: count the total (up to the cap) however long it takes, never null.",
        }]


class JSONLDRenderer(JSONRenderer):
    media_type = "application/ld+json"
    format = "jsonld"


def _current_version_of(asset):
    if asset.current_version is None:
        raise NotFound("This asset has no file yet.")
    return asset.current_version


# What the list and detail read of an asset: ``AssetSerializer``'s ``api_row``, and the uid and status (waits); a
# list also reads the column its keyset cursor is made of (``AssetViewSet.get_queryset``).
LISTED_COLUMNS = ("pk", "uid", "status", "api_row")


def _validated(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class AssetViewSet(AssetForActionMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Images in the library that the caller may see (every read passes ``assets.permissions.visible_assets``)."""

    serializer_class = AssetSerializer
    lookup_field = "uid"
    filter_backends = [AssetFilterBackend]
    pagination_class = AssetPagination

    @property
    def throttle_scope(self):
        """Uploads spend the stricter ``upload`` budget (core.throttling)."""
        return "upload" if self.action in ("create", "upload_version") else None

    def get_queryset(self):
        user = self.request.user
        # The asset as the API shows it to this caller, written by Postgres (an asset lists only the collections the
        # caller has a role on: others' names stay unknown).
        assets = Asset.objects.annotate(api_row=asset_row(user, absolute_url("", self.request)))
        if self.action in ("list", "retrieve"):
            # AssetSerializer alone reads these rows, and Postgres writes most of what it writes (``asset_row``):
            # named tuples, not model objects (setting up ~30 fields each was ~10% of a page of 50).
            ordering = requested_ordering(self.request)
            cursor_column = [KEYSET_ORDERINGS[ordering][0]] if ordering in KEYSET_ORDERINGS else []
            assets = assets.values_list(*LISTED_COLUMNS, *cursor_column, named=True)
        else:
            # Other actions hand versions and renditions to code that reads ``version.asset``: a join that costs
            # nothing for one row.
            assets = assets.select_related("current_version__asset")
        return permissions.visible_assets(user, assets)

    def list(self, request, *args, **kwargs):
        """A page of everything the caller sees (no filter asked for) runs as statements kept prepared
        (``core.sql.prepared``): their values are the caller, the cursor and the page size, none of which changes
        the best plan, and planning was a third of Postgres's time for a page of 50. A filtered page is planned
        with its values: a status or format that few assets have wants another plan than one most have."""
        if asks_for_filters(request.query_params):
            return super().list(request, *args, **kwargs)
        with prepared():
            return super().list(request, *args, **kwargs)

    def get_object(self):
        """The asset of a detail URL, by its uid: a statement kept prepared (``core.sql.prepared``), as its plan
        does not depend on which asset or user."""
        with prepared():
            return super().get_object()

    def filter_queryset(self, queryset):
        """Query-string filters narrow the list; a detail URL names one asset and ignores them."""
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def _fresh(self, asset):
        """The asset re-read with everything the serializer needs, after a service changed it."""
        return self.get_queryset().get(pk=asset.pk)

    @extend_schema(
        summary="Upload an image as a new asset",
        request={"multipart/form-data": AssetUploadSerializer},
        responses={**REFUSED_UPLOAD, 201: UploadedAssetSerializer,
                   200: OpenApiResponse(UploadedAssetSerializer, description="Same bytes already there")},
    )
    def create(self, request):
        upload = _validated(AssetUploadSerializer, request.data)
        collections = upload.get("collections", [])
        if not permissions.can_upload(request.user):
            raise PermissionDenied("You may not upload.")
        for collection in collections:
            require_filing(request.user, collection, "upload into", "collections")
        result = ingest.ingest_file(
            upload["file"], filename=upload["file"].name, actor=Actor.from_request(request),
            collections=collections, title=upload.get("title", ""), anonymise_faces=upload["anonymise_faces"],
            keywords=upload["keywords"], rights=upload["rights"],
        )
        context = {**self.get_serializer_context(), "ingested": result}
        body = UploadedAssetSerializer(self._fresh(result.asset), context=context).data
        return Response(body, status=201 if result.created else 200, headers={"Location": body["urls"]["self"]})

    @extend_schema(summary="Edit the asset's details (title, caption, alt text, keywords, creator, credit, copyright)",
                   request=AssetEditSerializer,
                   responses={200: AssetSerializer, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer})
    def partial_update(self, request, uid=None):
        asset = self.asset_for(uid, "change")
        edit_metadata(asset, actor=Actor.from_request(request), **_validated(AssetEditSerializer, request.data))
        return Response(self.get_serializer(self._fresh(asset)).data)

    @extend_schema(summary="Version history, newest first", responses=VersionDetailSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def versions(self, request, uid=None):
        versions = self.get_object().versions.select_related("asset", "created_by").order_by("-number")
        return Response(VersionDetailSerializer(versions, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Upload a new current version",
        request={"multipart/form-data": VersionUploadSerializer},
        responses={**REFUSED_UPLOAD, 201: VersionDetailSerializer},
    )
    @versions.mapping.post
    def upload_version(self, request, uid=None):
        asset = self.asset_for(uid, "change")
        upload = _validated(VersionUploadSerializer, request.data)
        version = ingest.add_version(asset, upload["file"], filename=upload["file"].name,
                                     actor=Actor.from_request(request), comment=upload.get("comment", ""))
        return Response(VersionDetailSerializer(version, context=self.get_serializer_context()).data, status=201)

    @extend_schema(summary="Make an earlier version current again", request=None,
                   responses={200: AssetSerializer, 403: ErrorSerializer, 404: ErrorSerializer})
    @action(detail=True, methods=["post"], url_path=r"versions/(?P<number>[0-9]+)/restore")
    def restore(self, request, uid=None, number=None):
        asset = self.asset_for(uid, "change")
        version = get_object_or_404(asset.versions, number=number)
        ingest.restore_version(asset, version, actor=Actor.from_request(request))
        return Response(self.get_serializer(self._fresh(asset)).data)

    @extend_schema(summary="Add the asset to a collection", request=CollectionMembershipSerializer,
                   responses={200: AssetSerializer, 400: ErrorSerializer, 403: ErrorSerializer})
    @action(detail=True, methods=["post"], url_path="collections")
    def add_collection(self, request, uid=None):
        asset = self.asset_for(uid, "change")
        collection = _validated(CollectionMembershipSerializer, request.data)["collection"]
        require_filing(request.user, collection, "file assets into", "collection")
        add_to_collection(asset, collection, actor=Actor.from_request(request))
        return Response(self.get_serializer(self._fresh(asset)).data)

    @extend_schema(summary="Metadata read from the current file", responses=MetadataSerializer)
    @action(detail=True, methods=["get"])
    def metadata(self, request, uid=None):
        return Response(MetadataSerializer(_current_version_of(self.get_object())).data)

    @extend_schema(
        summary="Schema.org ImageObject (JSON-LD)",
        parameters=[OpenApiParameter("format", exclude=True)],
        responses={(200, "application/ld+json"): OpenApiTypes.OBJECT, 404: ErrorSerializer},
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONLDRenderer, JSONRenderer])
    def jsonld(self, request, uid=None):
        return Response(image_object(self.get_object(), request))

    @extend_schema(summary="Renditions of the current version", responses=RenditionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def renditions(self, request, uid=None):
        renditions = _current_version_of(self.get_object()).renditions.order_by(*RENDITION_ORDER)
        return Response(RenditionSerializer(renditions, many=True, context=self.get_serializer_context()).data)

    @extend_schema(summary="What can be downloaded, by size and format",
                   description="The original (for those who may download it) and every rendition that exists, "
                               "grouped by the size it comes out at, with the URLs to fetch them.",
                   responses=DownloadsSerializer)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def downloads(self, request, uid=None):
        asset = self.get_object()
        return Response(api_downloads(asset, self.get_serializer_context(),
                                      with_original=permissions.can(request.user, "download", asset)))

    @extend_schema(summary="A rendition file, carrying the asset's current metadata", parameters=[DownloadUseSerializer],
                   responses={(200, "image/*"): OpenApiTypes.BINARY, 404: ErrorSerializer, 451: ErrorSerializer})
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>[0-9]+)/renditions/(?P<spec>[^/]+)",
            filter_backends=[])
    def rendition_file(self, request, uid=None, number=None, spec=None):
        """Served like the asset pages' rendition URLs (same gate, caching and headers), for token clients."""
        version = delivery.permitted_version(request.user, "view", uid, int(number))
        channel = _validated(DownloadUseSerializer, request.query_params).get("channel")
        return serve_rendition(request, delivery.find_rendition(version, spec),
                               warnings=delivery.download_warnings(version.asset, channel))

    @extend_schema(
        summary="Download the original file, carrying the asset's current metadata", parameters=[DownloadQuerySerializer],
        responses={(200, "image/*"): OpenApiTypes.BINARY, 400: ErrorSerializer, 403: ErrorSerializer,
                   404: ErrorSerializer, 451: ErrorSerializer},
    )
    @action(detail=True, methods=["get"])
    def download(self, request, uid=None):
        """Served (with the asset's metadata written in, and audit-logged) like the asset page's download."""
        query = _validated(DownloadQuerySerializer, request.query_params)
        asset = self.asset_for(uid, "change" if query["untouched"] else "download")
        version = get_object_or_404(asset.versions, number=query["version"]) if "version" in query \
            else _current_version_of(asset)
        channel = query.get("channel")
        return serve_original(request, version, actor=Actor.from_request(request), untouched=query["untouched"],
                              channel=channel, warnings=delivery.download_warnings(asset, channel))


    @extend_schema(
        summary="Download the originals of many assets as one ZIP",
        description="All or nothing: if the caller may not download any one of them, nothing is packed (403, or "
                    "404 for assets they cannot see) and the message says how many. At most 500 assets and "
                    "LUMEN_ZIP_MAX_BYTES of originals (413). Each original is stamped and audit-logged as a single "
                    "download is.",
        request=ZipRequestSerializer,
        responses={(200, "application/zip"): OpenApiTypes.BINARY, 400: ErrorSerializer, 403: ErrorSerializer,
                   404: ErrorSerializer, 413: ErrorSerializer},
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def zip(self, request):
        uids = _validated(ZipRequestSerializer, request.data)["assets"]
        return zip_response(archive.originals_zip(uids, actor=Actor.from_request(request)))


class CollectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        viewsets.GenericViewSet):
    """Collections the caller has a role on (site admins: all); any other is a 404, as if it did not exist."""

    serializer_class = CollectionSerializer
    lookup_field = "slug"

    def get_queryset(self):
        return permissions.collections_with_role(self.request.user, "viewer").order_by("name", "pk")

    def perform_create(self, serializer):
        if not permissions.can_upload(self.request.user):
            raise PermissionDenied("You may not create collections.")
        data = serializer.validated_data
        serializer.instance = create_collection(
            data["name"], description=data.get("description", ""), actor=Actor.from_request(self.request)
        )
