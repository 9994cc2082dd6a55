"""REST endpoints: parse, ask the permission gate, call a service, serialize. No rules live here."""
from django import forms
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.filters import BaseFilterBackend
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from assets import delivery, permissions
from assets.api.serializers import (
    AssetSerializer,
    AssetUploadSerializer,
    CollectionMembershipSerializer,
    CollectionSerializer,
    DownloadQuerySerializer,
    ErrorSerializer,
    MetadataSerializer,
    RenditionSerializer,
    UploadedAssetSerializer,
    VersionDetailSerializer,
    VersionUploadSerializer,
)
from assets.filtersets import AssetFilter, AssetFilterForm
from assets.jsonld import image_object
from assets.models import Asset, Collection, Rendition
from assets.services import ingest
from assets.services.audit import Actor
from assets.services.collections import add_to_collection, create_collection

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


class AssetPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


class JSONLDRenderer(JSONRenderer):
    media_type = "application/ld+json"
    format = "jsonld"


def _current_version_of(asset):
    if asset.current_version is None:
        raise NotFound("This asset has no file yet.")
    return asset.current_version


def _require_filing(user, collection, verb):
    """Putting an asset into a collection needs the same right as uploading into it (contributor or better)."""
    if not permissions.can_upload(user, collection):
        raise PermissionDenied(f"You may not {verb} “{collection.name}”.")


def _validated(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class AssetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Images in the library that the caller may see (every read passes ``assets.permissions.visible_assets``)."""

    serializer_class = AssetSerializer
    lookup_field = "uid"
    filter_backends = [AssetFilterBackend]
    pagination_class = AssetPagination

    def get_queryset(self):
        assets = Asset.objects.select_related("current_version__asset").prefetch_related(
            "collections",
            Prefetch("current_version__renditions", queryset=Rendition.objects.order_by("format", "width")),
        )
        return permissions.visible_assets(self.request.user, assets)

    def filter_queryset(self, queryset):
        """Query-string filters narrow the list; a detail URL names one asset and ignores them."""
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def _changeable_asset(self):
        asset = self.get_object()
        if not permissions.can_change(self.request.user, asset):
            raise PermissionDenied("You may not change this asset.")
        return asset

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
            _require_filing(request.user, collection, "upload into")
        result = ingest.ingest_file(
            upload["file"], filename=upload["file"].name, actor=Actor.from_request(request),
            collections=collections, title=upload.get("title", ""), anonymise_faces=upload["anonymise_faces"],
        )
        context = {**self.get_serializer_context(), "duplicate": not result.created}
        body = UploadedAssetSerializer(self._fresh(result.asset), context=context).data
        return Response(body, status=201 if result.created else 200, headers={"Location": body["urls"]["self"]})

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
        asset = self._changeable_asset()
        upload = _validated(VersionUploadSerializer, request.data)
        version = ingest.add_version(asset, upload["file"], filename=upload["file"].name,
                                     actor=Actor.from_request(request), comment=upload.get("comment", ""))
        return Response(VersionDetailSerializer(version, context=self.get_serializer_context()).data, status=201)

    @extend_schema(summary="Make an earlier version current again", request=None,
                   responses={200: AssetSerializer, 403: ErrorSerializer, 404: ErrorSerializer})
    @action(detail=True, methods=["post"], url_path=r"versions/(?P<number>[0-9]+)/restore")
    def restore(self, request, uid=None, number=None):
        asset = self._changeable_asset()
        version = get_object_or_404(asset.versions, number=number)
        ingest.restore_version(asset, version, actor=Actor.from_request(request))
        return Response(self.get_serializer(self._fresh(asset)).data)

    @extend_schema(summary="Add the asset to a collection", request=CollectionMembershipSerializer,
                   responses={200: AssetSerializer, 400: ErrorSerializer, 403: ErrorSerializer})
    @action(detail=True, methods=["post"], url_path="collections")
    def add_collection(self, request, uid=None):
        asset = self._changeable_asset()
        collection = _validated(CollectionMembershipSerializer, request.data)["collection"]
        _require_filing(request.user, collection, "file assets into")
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
        renditions = _current_version_of(self.get_object()).renditions.all()
        return Response(RenditionSerializer(renditions, many=True, context=self.get_serializer_context()).data)

    @extend_schema(summary="A rendition file", responses={(200, "image/*"): OpenApiTypes.BINARY, 404: ErrorSerializer})
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>[0-9]+)/renditions/(?P<spec>[^/]+)",
            filter_backends=[])
    def rendition_file(self, request, uid=None, number=None, spec=None):
        """Served by ``assets.delivery`` (same permission gate and caching), so token clients get files too."""
        response = delivery.rendition(request._request, uid=self.get_object().uid, number=int(number), spec=spec)
        if response.status_code == 404:
            raise NotFound(response.content.decode())
        return response

    @extend_schema(
        summary="Download the original file", parameters=[DownloadQuerySerializer],
        responses={(200, "image/*"): OpenApiTypes.BINARY, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    @action(detail=True, methods=["get"])
    def download(self, request, uid=None):
        """Served (and audit-logged) by ``assets.delivery``, the one place originals leave the store."""
        asset = self.get_object()
        version = _current_version_of(asset)
        number = _validated(DownloadQuerySerializer, request.query_params).get("version", version.number)
        return delivery.original(request._request, uid=asset.uid, number=number)


class CollectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        viewsets.GenericViewSet):
    queryset = Collection.objects.all()
    serializer_class = CollectionSerializer
    lookup_field = "slug"

    def perform_create(self, serializer):
        if not permissions.can_upload(self.request.user):
            raise PermissionDenied("You may not create collections.")
        data = serializer.validated_data
        serializer.instance = create_collection(
            data["name"], description=data.get("description", ""), actor=Actor.from_request(self.request)
        )
