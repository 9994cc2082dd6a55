"""API representations of assets, versions, renditions and collections, and the shapes of upload requests."""
import uuid
from functools import cached_property

import orjson
from django.db.models import TextField
from django.db.models.expressions import RawSQL
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from assets import permissions
from assets.jsonld import absolute_url
from assets.models import Asset, AssetVersion, Collection, Rendition, rendition_token_sql
from assets.services import waiting
from assets.services.downloads import downloads
from assets.signals import lookalikes
from core.links import quoted, url_format, url_maker, url_sql
from core.renderers import RawJSON
from core.sql import isoformat

MISSING_FILE = "Attach the image as a multipart/form-data field named “file”."


class LinksMixin:
    """``self.link(route, **arguments)``: a route's absolute URL, with the request's origin and the script prefix
    read once per serializer rather than per URL (``core.links.url_maker``)."""

    def link(self, route, **kwargs):
        makers = self.__dict__.setdefault("_url_makers", {})
        maker = makers.get(route)
        if maker is None:
            maker = makers[route] = url_maker(route, origin=absolute_url("", self.context.get("request")))
        return maker(**kwargs)

    def version_download_url(self, asset, version):
        """Where the API downloads ``version`` of ``asset`` (the original, with the asset's current metadata)."""
        return self.link("api:asset-download", uid=asset.uid) + f"?version={version.number}"


class VersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = AssetVersion
        fields = ["number", "format", "mime_type", "width", "height", "bytes", "sha256", "created_at"]


class VersionDetailSerializer(LinksMixin, VersionSerializer):
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
        return self.version_download_url(version.asset, version)


RENDITION_FIELDS = ("spec", "format", "width", "height", "bytes")


class RenditionSerializer(LinksMixin, serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Rendition
        fields = [*RENDITION_FIELDS, "url"]

    def to_representation(self, rendition):
        """The declared fields, written directly (DRF's walk over them, kept for the schema, cost more than the
        values). The URL carries the file's content token: cacheable for good under it (none for a rendition not
        made yet, offered on request)."""
        version = rendition.version
        url = self._file_url.format(uid=version.asset.uid, number=version.number, spec=quoted(rendition.spec))
        token = rendition.content_token
        return {**{name: getattr(rendition, name) for name in RENDITION_FIELDS},
                "url": f"{url}?f={token}" if token else url}

    @cached_property
    def _file_url(self):
        """The file URL as a format string, made once per serializer (``core.links.url_format``)."""
        return url_format("api:asset-rendition-file", origin=absolute_url("", self.context.get("request")),
                          uid="uuid", number="int", spec="str")

    def get_url(self, rendition) -> str:
        """The API's file URL, which works with a token as well as a session (load ``version.asset`` with the rows)."""
        return self.to_representation(rendition)["url"]


class FileChoiceSerializer(serializers.Serializer):
    format = serializers.CharField(help_text="As people name it: JPEG, WebP, AVIF…")
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    bytes = serializers.IntegerField(allow_null=True, help_text="Null for a file made when first downloaded.")
    url = serializers.CharField()


class SizeChoiceSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Large, Medium or Small")
    label = serializers.CharField(help_text="e.g. “Large · 1280 × 853”")
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    files = FileChoiceSerializer(many=True)


class DownloadsSerializer(serializers.Serializer):
    """What can be downloaded (``assets.services.downloads``): the original, and the renditions by size."""

    original = FileChoiceSerializer(allow_null=True)
    sizes = SizeChoiceSerializer(many=True)


def api_downloads(asset, context, *, with_original):
    """The downloads of ``asset``'s current version with the API's file URLs (token or session alike)."""
    renditions = RenditionSerializer(context=context)

    def rendition_url(rendition):
        return renditions.to_representation(rendition)["url"]

    def original_url(version):
        return renditions.version_download_url(asset, version)

    found = downloads(asset.current_version, rendition_url=rendition_url,
                      original_url=original_url if with_original else None)
    return DownloadsSerializer(found).data


class WaitSerializer(serializers.Serializer):
    ahead = serializers.IntegerField(help_text="Uploads whose previews will be made before this one's.")
    estimate_seconds = serializers.IntegerField(help_text="About how long until the previews are ready, from the "
                                                          "pace of the last minutes.")
    words = serializers.CharField(help_text="The same, as the library tile says it.")


ASSET_COLUMNS = ("uid", "title", "caption", "alt_text", "keywords", "creator", "credit", "copyright", "status",
                 "status_detail")
VERSION_COLUMNS = ("number", "format", "mime_type", "width", "height", "bytes", "sha256")
RENDITION_ORDER = ("format", "width", "spec")  # how an asset's renditions are listed (a spec breaks ties of size)


def asset_row(user, origin):
    """An asset as ``AssetSerializer`` writes it for ``user``, with links under ``origin``, as JSON text that Postgres
    writes in the asset's row: its fields, its current version, the collections the user has a role on, its
    renditions and links, its timestamps (as DRF writes them). Built in Python, this (two model objects, three
    timestamps read and written again, 300 rendition tokens and 600 links a page of 50) was most of a list page's
    time (docs/benchmarks.md, "Server throughput"). ``json``, not ``jsonb``: it keeps the keys in the order
    written, which is the order of the declared fields. ``waiting`` is null: the serializer fills it in for an
    asset still waiting for its previews."""
    asset, version, rendition = Asset._meta.db_table, AssetVersion._meta.db_table, Rendition._meta.db_table
    fields = ", ".join(f"'{name}', {asset}.\"{name}\"" for name in ASSET_COLUMNS)
    version_fields = ", ".join(f"'{name}', v.\"{name}\"" for name in VERSION_COLUMNS)
    rendition_fields = ", ".join(f"'{name}', r.\"{name}\"" for name in RENDITION_FIELDS)
    order = ", ".join(f'r."{name}"' for name in RENDITION_ORDER)
    uid = ("uuid", f"{asset}.uid::text")
    file_url, file_url_params = url_sql("api:asset-rendition-file", origin, uid=uid, number=("int", "v.number::text"),
                                        spec=("str", _quoted_spec_sql("r.spec")))
    token = rendition_token_sql("r.id", "r.file", f"{asset}.metadata_revision")
    links = [(name, *url_sql(route, origin, uid=uid)) for name, route in ASSET_LINKS.items()]
    link_fields = ", ".join(f"'{name}', {link}" for name, link, _ in links)
    collections, collections_params = _collection_slugs_sql(user)
    created, created_params = isoformat(f"{asset}.created_at")
    updated, updated_params = isoformat(f"{asset}.updated_at")
    version_created, version_params = isoformat("v.created_at")
    sql = (
        f"json_build_object({fields}, 'waiting', NULL, 'anonymise_faces', {asset}.anonymise_faces, "
        f"'collections', to_json({collections}), "
        f"'current_version', (SELECT json_build_object({version_fields}, 'created_at', {version_created}) "
        f"FROM {version} v WHERE v.id = {asset}.current_version_id), "
        f"'renditions', COALESCE((SELECT json_agg(json_build_object({rendition_fields}, "
        f"'url', {file_url} || '?f=' || {token}) ORDER BY {order}) "
        f"FROM {rendition} r JOIN {version} v ON v.id = r.version_id WHERE r.version_id = {asset}.current_version_id), "
        f"'[]'), "
        f"'urls', json_build_object({link_fields}), "
        f"'created_at', {created}, 'updated_at', {updated})::text")
    params = (*collections_params, *version_params, *file_url_params, *(p for _, _, ps in links for p in ps),
              *created_params, *updated_params)
    return RawSQL(sql, params, output_field=TextField())


def _quoted_spec_sql(column):
    """A rendition spec as reverse() quotes it, in SQL: a stored spec is written by ``RenditionSpec.__str__`` in
    lower-case letters, digits, "-" and "|", and only "|" is quoted."""
    return f"replace({column}, '|', '{quoted('|').replace('%', '%%')}')"  # %% is "%" in a statement with parameters


def _collection_slugs_sql(user):
    """The slugs of the asset's collections on which ``user`` has a role, by name, as an SQL array, with the
    permission gate's condition (as a subquery of querysets it cost more to build and compile on every detail than
    Postgres took to run it)."""
    condition, params = permissions.role_condition_sql(user, "viewer", "c.id")
    members = Asset.collections.through._meta.db_table
    return (f"ARRAY(SELECT c.slug FROM {Collection._meta.db_table} c JOIN {members} m ON m.collection_id = c.id "
            f"WHERE m.asset_id = {Asset._meta.db_table}.id AND {condition} ORDER BY c.name)", params)


ASSET_LINKS = {"self": "api:asset-detail", "page": "assets:detail", "jsonld": "api:asset-jsonld",
               "metadata": "api:asset-metadata", "versions": "api:asset-versions", "download": "api:asset-download"}


class AssetSerializer(LinksMixin, serializers.ModelSerializer):
    """An asset as the API lists and shows it, from the annotation ``api_row`` of ``AssetViewSet.get_queryset``
    (``asset_row``)."""

    keywords = serializers.ListField(child=serializers.CharField(), read_only=True)
    collections = serializers.SerializerMethodField()
    current_version = VersionSerializer(read_only=True)
    renditions = serializers.SerializerMethodField()
    urls = serializers.SerializerMethodField()
    waiting = serializers.SerializerMethodField(help_text="While previews are being made: how many uploads are "
                                                "ahead in the queue and about how long it will take; else null.")

    class Meta:
        model = Asset
        fields = [*ASSET_COLUMNS, "waiting", "anonymise_faces", "collections", "current_version", "renditions", "urls",
                  "created_at", "updated_at"]

    def to_representation(self, asset):
        """The declared fields' output: ``api_row`` as Postgres wrote it, placed in a list page's JSON as it is
        (``core.renderers.RawJSON``), unless the asset still waits for its previews (then with its wait). DRF's walk
        over the fields cost more than the values on a list page of 50; the declared fields still document the
        shape, and a test keeps both equal."""
        if asset.status != Asset.Status.PROCESSING and isinstance(self.parent, serializers.ListSerializer):
            return RawJSON(asset.api_row)
        row = orjson.loads(asset.api_row)
        row["waiting"] = self.get_waiting(asset)
        return row

    @cached_property
    def _page_waits(self):
        """The waits of every asset of a list page still processing, in one read (assets.services.waiting)."""
        return waiting.waits(asset.uid for asset in self.root.instance if asset.status == Asset.Status.PROCESSING)

    @extend_schema_field(WaitSerializer(allow_null=True))
    def get_waiting(self, asset):
        if asset.status != Asset.Status.PROCESSING:
            return None
        listed = isinstance(self.root, serializers.ListSerializer)
        wait = self._page_waits.get(str(asset.uid)) if listed else waiting.wait_for(asset)
        return wait.as_dict() if wait else None

    # What DRF's walk over the declared fields reads (the schema, and the test that holds the output to it).

    @extend_schema_field(serializers.ListField(
        child=serializers.SlugField(),
        help_text="Slugs of the asset's collections that you have a role on, ordered by name."))
    def get_collections(self, asset):
        return orjson.loads(asset.api_row)["collections"]

    @extend_schema_field(RenditionSerializer(many=True))
    def get_renditions(self, asset):
        return orjson.loads(asset.api_row)["renditions"]

    @extend_schema_field(inline_serializer("AssetUrls", {name: serializers.URLField() for name in ASSET_LINKS}))
    def get_urls(self, asset):
        return orjson.loads(asset.api_row)["urls"]


UPLOAD_FIELDS = ["duplicate", "duplicate_of", "added_to_collections", "not_added_to_collections", "message",
                 "possible_duplicates"]


class UploadedAssetSerializer(AssetSerializer):
    """The upload response: the asset, and whether these bytes were already in the library (then the asset is the
    one that had them, and the collections asked for say whether it was filed into them). Needs the
    ``IngestResult`` as ``context["ingested"]``."""

    duplicate = serializers.SerializerMethodField(help_text="True when the library already had these bytes.")
    duplicate_of = serializers.SerializerMethodField(
        help_text="The uid of the asset that already had these bytes (this asset), or null for a new asset.")
    added_to_collections = serializers.SerializerMethodField(
        help_text="Slugs of the collections asked for that the existing asset was added to now.")
    not_added_to_collections = serializers.SerializerMethodField(
        help_text="Slugs of the collections asked for that the existing asset was not added to: the uploader may "
                  "not change it.")
    message = serializers.SerializerMethodField(help_text="For a duplicate, what happened, in words; else blank.")
    possible_duplicates = serializers.SerializerMethodField(
        help_text="Assets you can see that look like this new one (near-duplicates): uid, title, url.")

    class Meta(AssetSerializer.Meta):
        fields = [*AssetSerializer.Meta.fields, *UPLOAD_FIELDS]

    def to_representation(self, asset):
        return {**super().to_representation(asset),
                **{name: getattr(self, f"get_{name}")(asset) for name in UPLOAD_FIELDS}}

    def get_duplicate(self, asset) -> bool:
        return not self.context["ingested"].created

    def get_duplicate_of(self, asset) -> uuid.UUID | None:
        return None if self.context["ingested"].created else asset.uid

    def get_added_to_collections(self, asset) -> list[str]:
        return [collection.slug for collection in self.context["ingested"].added_to]

    def get_not_added_to_collections(self, asset) -> list[str]:
        return [collection.slug for collection in self.context["ingested"].not_added_to]

    def get_message(self, asset) -> str:
        return self.context["ingested"].duplicate_message

    def get_possible_duplicates(self, asset) -> list[dict]:
        if not self.context["ingested"].created:
            return []
        return [{"uid": str(found.uid), "title": str(found), "url": self.link("api:asset-detail", uid=found.uid)}
                for found in lookalikes(asset, self.context["request"].user)]


class AssetEditSerializer(serializers.Serializer):
    """``PATCH /api/assets/<uid>/``: any of the descriptive fields; downloads and search follow at once."""

    title = serializers.CharField(required=False, allow_blank=True, max_length=500, trim_whitespace=False)
    caption = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    alt_text = serializers.CharField(required=False, allow_blank=True, max_length=1000,
                                     help_text="What the image shows, for people who cannot see it.")
    keywords = serializers.ListField(child=serializers.CharField(allow_blank=True), required=False,
                                     help_text="The whole list: it replaces the asset's keywords.")
    creator = serializers.CharField(required=False, allow_blank=True, max_length=300)
    credit = serializers.CharField(required=False, allow_blank=True, max_length=300)
    copyright = serializers.CharField(required=False, allow_blank=True, max_length=500,
                                      help_text="Copyright notice, e.g. “© 2024 Ada Lovelace”.")


class MetadataSerializer(serializers.ModelSerializer):
    """What was read from the current file: the normalised fields and the raw EXIF/IPTC/XMP dump."""

    version = serializers.IntegerField(source="number")
    metadata = serializers.JSONField()
    raw = serializers.JSONField(source="raw_metadata")

    class Meta:
        model = AssetVersion
        fields = ["version", "metadata", "raw"]


class CollectionSerializer(LinksMixin, serializers.ModelSerializer):
    assets_url = serializers.SerializerMethodField()

    class Meta:
        model = Collection
        fields = ["name", "slug", "description", "created_at", "assets_url"]
        read_only_fields = ["slug", "created_at"]

    def get_assets_url(self, collection) -> str:
        return self.link("api:asset-list") + f"?collection={collection.slug}"


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
    keywords = serializers.ListField(child=serializers.CharField(), required=False, default=list,
                                     help_text="Added to those the file carries; repeat the field for several.")
    rights = serializers.JSONField(required=False, default=None, help_text=(
        "Usage rights for the new asset, as JSON with the fields of PUT /api/assets/{uid}/rights/ "
        '(e.g. {"licence_type": "royalty_free", "holder": "Ada", "channels": ["web"]}); send the same with '
        "every file of a batch. A file the library already has keeps its rights."))


class VersionUploadSerializer(serializers.Serializer):
    file = UploadedFileField()
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500, help_text="What changed.")


class CollectionMembershipSerializer(serializers.Serializer):
    collection = serializers.SlugRelatedField(slug_field="slug", queryset=Collection.objects.all())


class ZipRequestSerializer(serializers.Serializer):
    assets = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=500,
                                   help_text="The uids of the assets whose current originals go into the ZIP.")


class DownloadUseSerializer(serializers.Serializer):
    channel = serializers.SlugField(required=False, max_length=20, help_text=(
        "What the file is for (web, print, social, broadcast, outdoor, advertising, editorial, internal): when the "
        "usage rights do not cover it (or have expired), X-Rights-Warning says so, or the download is refused "
        "(451) where the server is set to refuse."))


class DownloadQuerySerializer(DownloadUseSerializer):
    version = serializers.IntegerField(required=False, min_value=1, help_text="Version number; default: current.")
    untouched = serializers.BooleanField(required=False, default=False, help_text=(
        "The stored bytes exactly as uploaded (their SHA-256 is the version's), without the current metadata "
        "written in; for those who may change the asset."))
