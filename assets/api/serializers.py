"""API representations of assets, versions, renditions and collections, and the shapes of upload requests."""
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from assets.jsonld import absolute_url
from assets.models import Asset, AssetVersion, Collection, Rendition

MISSING_FILE = "Attach the image as a multipart/form-data field named “file”."


def _api_url(serializer, name, **kwargs):
    return absolute_url(reverse(f"api:{name}", kwargs=kwargs), serializer.context.get("request"))


class VersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = AssetVersion
        fields = ["number", "format", "mime_type", "width", "height", "bytes", "sha256", "created_at"]


class VersionDetailSerializer(VersionSerializer):
    """A version in the version history: who uploaded it, why, and where to download it."""

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    is_current = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "original_filename", "comment", "created_by", "is_current",
                  "download_url"]

    def get_is_current(self, version) -> bool:
        return version.asset.current_version_id == version.pk

    def get_download_url(self, version) -> str:
        return _api_url(self, "asset-download", uid=version.asset.uid) + f"?version={version.number}"


class RenditionSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Rendition
        fields = ["spec", "format", "width", "height", "bytes", "url"]

    def get_url(self, rendition) -> str:
        """The API's file URL, which works with a token as well as a session (load ``version.asset`` with the rows)."""
        version = rendition.version
        url = _api_url(self, "asset-rendition-file", uid=version.asset.uid, number=version.number, spec=rendition.spec)
        return f"{url}?f={rendition.content_token}"  # cacheable for good only under this file's token


class AssetSerializer(serializers.ModelSerializer):
    collections = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    current_version = VersionSerializer(read_only=True)
    renditions = serializers.SerializerMethodField()
    urls = serializers.SerializerMethodField()

    class Meta:
        model = Asset
        fields = ["uid", "title", "caption", "status", "status_detail", "anonymise_faces", "collections",
                  "current_version", "renditions", "urls", "created_at", "updated_at"]

    @extend_schema_field(RenditionSerializer(many=True))
    def get_renditions(self, asset):
        version = asset.current_version
        renditions = version.renditions.all() if version else []
        return RenditionSerializer(renditions, many=True, context=self.context).data

    @extend_schema_field(inline_serializer("AssetUrls", {
        name: serializers.URLField() for name in ("self", "page", "jsonld", "metadata", "versions", "download")
    }))
    def get_urls(self, asset):
        return {
            "self": _api_url(self, "asset-detail", uid=asset.uid),
            "page": absolute_url(reverse("assets:detail", kwargs={"uid": asset.uid}), self.context.get("request")),
            "jsonld": _api_url(self, "asset-jsonld", uid=asset.uid),
            "metadata": _api_url(self, "asset-metadata", uid=asset.uid),
            "versions": _api_url(self, "asset-versions", uid=asset.uid),
            "download": _api_url(self, "asset-download", uid=asset.uid),
        }


class UploadedAssetSerializer(AssetSerializer):
    """The upload response: the asset, and whether these bytes were already in the library."""

    duplicate = serializers.SerializerMethodField()

    class Meta(AssetSerializer.Meta):
        fields = [*AssetSerializer.Meta.fields, "duplicate"]

    def get_duplicate(self, asset) -> bool:
        return self.context["duplicate"]


class MetadataSerializer(serializers.ModelSerializer):
    """What was read from the current file: the normalised fields and the raw EXIF/IPTC/XMP dump."""

    version = serializers.IntegerField(source="number")
    metadata = serializers.JSONField()
    raw = serializers.JSONField(source="raw_metadata")

    class Meta:
        model = AssetVersion
        fields = ["version", "metadata", "raw"]


class CollectionSerializer(serializers.ModelSerializer):
    assets_url = serializers.SerializerMethodField()

    class Meta:
        model = Collection
        fields = ["name", "slug", "description", "created_at", "assets_url"]
        read_only_fields = ["slug", "created_at"]

    def get_assets_url(self, collection) -> str:
        return absolute_url(reverse("api:asset-list"), self.context.get("request")) + f"?collection={collection.slug}"


@extend_schema_field(OpenApiTypes.BINARY)
class UploadedFileField(serializers.FileField):
    """Documented as binary (not a URL) so the OpenAPI docs offer a file picker; says how to send it when missing."""

    default_error_messages = {"required": MISSING_FILE, "null": MISSING_FILE}


class AssetUploadSerializer(serializers.Serializer):
    file = UploadedFileField()
    title = serializers.CharField(required=False, allow_blank=True, max_length=500,
                                  help_text="Defaults to the embedded title, else the file name.")
    collections = serializers.SlugRelatedField(
        slug_field="slug", queryset=Collection.objects.all(), many=True, required=False,
        help_text="Collection slugs; repeat the field for several.",
    )
    anonymise_faces = serializers.BooleanField(required=False, default=False,
                                               help_text="Blur faces in every rendition of this upload.")


class VersionUploadSerializer(serializers.Serializer):
    file = UploadedFileField()
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500, help_text="What changed.")


class CollectionMembershipSerializer(serializers.Serializer):
    collection = serializers.SlugRelatedField(slug_field="slug", queryset=Collection.objects.all())


class DownloadQuerySerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1, help_text="Version number; default: current.")



class ErrorSerializer(serializers.Serializer):
    """Every API error has this shape (see dam.api.exception_handler)."""

    error = serializers.CharField(help_text="Stable machine code, e.g. too_large or not_found.")
    message = serializers.CharField(help_text="What went wrong, for a person.")
    details = serializers.JSONField(required=False, help_text="Per-field problems, for validation errors.")
