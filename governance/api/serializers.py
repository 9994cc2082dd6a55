"""API shapes of usage rights, role grants, people, moderation and trash actions, signed and share links, direct
uploads, bulk actions."""
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from rest_framework import serializers

from assets.models import Asset, Collection, CollectionRole
from governance.models import (
    Channel,
    DirectUpload,
    ShareLink,
    UsageRights,
    normalise_territory,
    validate_territory,
)
from governance.services import bulk, people, sharing


class UsageRightsSerializer(serializers.ModelSerializer):
    channels = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices), required=False)
    territories = serializers.ListField(child=serializers.CharField(max_length=10), required=False,
                                        help_text="ISO 3166 alpha-2 codes or “worldwide”; empty means everywhere.")
    copyright_notice = serializers.CharField(read_only=True)
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    usable_today = serializers.SerializerMethodField()

    class Meta:
        model = UsageRights
        fields = ["licence_type", "licence_url", "holder", "copyright_notice", "credit_line", "channels",
                  "territories", "starts_on", "expires_on", "model_release", "property_release", "restrictions",
                  "acquire_licence_url", "usable_today", "updated_by", "updated_at"]
        read_only_fields = ["updated_at"]

    def validate_territories(self, value):
        territories = [normalise_territory(item) for item in value if item.strip()]
        for territory in territories:
            try:
                validate_territory(territory)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.messages) from exc
        return territories

    def get_usable_today(self, rights) -> bool:
        return rights.usable_on(None, None, timezone.localdate())


class RoleGrantSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", required=False, allow_null=True,
                                        queryset=get_user_model().objects.filter(is_active=True),
                                        error_messages={"does_not_exist": "There is no active user named “{value}”."},
                                        help_text="A username (GET /api/users/lookup/?q= finds them).")
    group = serializers.SlugRelatedField(slug_field="name", required=False, allow_null=True,
                                         queryset=Group.objects.all())
    granted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CollectionRole
        fields = ["id", "user", "group", "role", "granted_by", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate(self, data):
        if bool(data.get("user")) == bool(data.get("group")):
            raise serializers.ValidationError("Name either a user or a group.")
        return data


class FacePolicySerializer(serializers.ModelSerializer):
    """Whether every rendition of the collection's assets blurs faces (turning it on re-makes them)."""

    class Meta:
        model = Collection
        fields = ["slug", "anonymise_faces"]
        read_only_fields = ["slug"]
        extra_kwargs = {"anonymise_faces": {"required": True}}


class ModerationActionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject", "flag"])
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class LegalHoldSerializer(ReasonSerializer):
    held = serializers.BooleanField()


class GovernedAssetSerializer(serializers.ModelSerializer):
    """The governance state of an asset: moderation, trash, hold."""

    deleted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Asset
        fields = ["uid", "title", "moderation_state", "deleted_at", "deleted_by", "legal_hold"]


class ConfirmedUploadSerializer(GovernedAssetSerializer):
    """A confirmed direct upload: the asset, and whether the library already had these bytes (then the asset is
    the one that had them, and ``message`` says whether it was filed into the upload's collections). Needs the
    ``IngestResult`` as ``context["ingested"]``."""

    duplicate = serializers.SerializerMethodField(help_text="True when the library already had these bytes.")
    message = serializers.SerializerMethodField(help_text="For a duplicate, what happened, in words; else blank.")

    class Meta(GovernedAssetSerializer.Meta):
        fields = [*GovernedAssetSerializer.Meta.fields, "duplicate", "message"]

    def get_duplicate(self, asset) -> bool:
        return not self.context["ingested"].created

    def get_message(self, asset) -> str:
        return self.context["ingested"].duplicate_message


class SignedUrlRequestSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1, help_text="Version number; default current.")
    rendition = serializers.CharField(required=False, max_length=100,
                                      help_text="A rendition spec of that version instead of the original.")
    ttl = serializers.IntegerField(required=False, min_value=1, help_text="Seconds; capped by the server.")


class SignedUrlSerializer(serializers.Serializer):
    url = serializers.URLField()
    expires_in = serializers.IntegerField()
    revocable = serializers.BooleanField(
        help_text="False on S3: the store's presigned URL works until it expires, whatever happens to the asset "
                  "(make a share link for a revocable one). True on local storage: trashing or rejecting the asset, "
                  "or the issuer losing access, stops it.")


class UploadRequestSerializer(serializers.Serializer):
    filename = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    content_type = serializers.RegexField(
        r"^(image/[a-z0-9.+-]+|application/dicom|application/gzip|application/octet-stream)$",
        help_text="image/…; application/dicom for DICOM, application/gzip (.nii.gz) or application/octet-stream "
                  "(.nii) for NIfTI. The server still checks the bytes.")
    title = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    collections = serializers.SlugRelatedField(slug_field="slug", many=True, required=False,
                                               queryset=Collection.objects.all())


class UploadTicketSerializer(serializers.ModelSerializer):
    key = serializers.CharField(read_only=True, help_text="The object key the presigned POST writes.")
    post = serializers.SerializerMethodField()
    max_bytes = serializers.SerializerMethodField()

    class Meta:
        model = DirectUpload
        fields = ["uid", "key", "state", "expires_at", "post", "max_bytes"]

    def get_post(self, ticket) -> dict:
        return self.context.get("presigned_post")

    def get_max_bytes(self, ticket) -> int:
        return settings.LUMEN_MAX_UPLOAD_BYTES


class UploadConfirmSerializer(serializers.Serializer):
    sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$")


class BulkActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(bulk.ACTIONS))
    assets = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=bulk.MAX_ASSETS,
                                   help_text="The uids of the assets to act on.")
    collection = serializers.SlugRelatedField(slug_field="slug", queryset=Collection.objects.all(), required=False,
                                              help_text="For add_to_collection and remove_from_collection.")
    keywords = serializers.ListField(child=serializers.CharField(max_length=100), required=False,
                                     help_text="For add_keywords: added to those each asset has (ignoring case).")
    rights = serializers.DictField(required=False, help_text="For set_rights: usage-rights fields as in "
                                   "PATCH /api/assets/{uid}/rights/; the fields given are set, the others kept.")
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="",
                                   help_text="For trash: kept in the audit log.")

    def validate(self, data):
        needed = {"add_to_collection": "collection", "remove_from_collection": "collection",
                  "add_keywords": "keywords", "set_rights": "rights"}.get(data["action"])
        if needed and not data.get(needed):
            raise serializers.ValidationError({needed: [f"{data['action']} needs {needed}."]})
        return data


class BulkItemSerializer(serializers.Serializer):
    uid = serializers.CharField()
    ok = serializers.BooleanField(help_text="Done, or already so.")
    changed = serializers.BooleanField(help_text="Whether anything changed (false: it already was so).")
    error = serializers.CharField(help_text="Why not, for programs: not_found, permission_denied, legal_hold…")
    message = serializers.CharField(help_text="Why not, for people.")


class BulkResultSerializer(serializers.Serializer):
    action = serializers.CharField()
    done = serializers.IntegerField()
    refused = serializers.IntegerField()
    results = BulkItemSerializer(many=True)


class ShareLinkSerializer(serializers.ModelSerializer):
    """A share link (``governance.services.sharing``): give ``asset`` or ``collection``, and ``expires_at`` or
    ``days``."""

    asset = serializers.SlugRelatedField(slug_field="uid", queryset=Asset.objects.all(), required=False,
                                         allow_null=True, help_text="The asset's uid, to share one image.")
    collection = serializers.SlugRelatedField(slug_field="slug", queryset=Collection.objects.all(), required=False,
                                              allow_null=True, help_text="A collection's slug, to share its images.")
    days = serializers.IntegerField(write_only=True, required=False, min_value=1,
                                    help_text="Valid for this many days (or give expires_at).")
    url = serializers.SerializerMethodField(help_text="The address to send; works without signing in.")
    state = serializers.SerializerMethodField(help_text="active, expired or revoked")
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    revoked_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ShareLink
        fields = ["id", "asset", "collection", "expires_at", "days", "include_originals", "note", "url", "state",
                  "created_by", "created_at", "revoked_at", "revoked_by"]
        read_only_fields = ["id", "created_at", "revoked_at"]
        extra_kwargs = {"expires_at": {"required": False}}

    def validate(self, data):
        if bool(data.get("asset")) == bool(data.get("collection")):
            raise serializers.ValidationError("Share either an asset or a collection.")
        if "days" in data:
            data["expires_at"] = timezone.now() + timedelta(days=data.pop("days"))
        if "expires_at" not in data:
            raise serializers.ValidationError({"expires_at": ["Say until when the link works (expires_at or days)."]})
        return data

    def get_url(self, link) -> str:
        request = self.context.get("request")
        address = sharing.address_of(link)
        return request.build_absolute_uri(address) if request else address

    def get_state(self, link) -> str:
        return link.state(timezone.now())


class UserAccountSerializer(serializers.ModelSerializer):
    """A person as site admins see and change them (``governance.services.people``)."""

    site_admin = serializers.BooleanField(source="is_superuser", required=False,
                                          help_text="Every collection, the people and audit pages.")
    active = serializers.BooleanField(source="is_active", required=False,
                                      help_text="False: no sign-in, no API token; their share links show nothing.")
    status = serializers.SerializerMethodField(help_text="active, invited (no password chosen yet) or deactivated")

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "first_name", "last_name", "email", "site_admin", "active", "status",
                  "date_joined", "last_login"]
        read_only_fields = ["id", "username", "date_joined", "last_login"]

    def get_status(self, person) -> str:
        return people.status_of(person)


class NewUserAccountSerializer(UserAccountSerializer):
    password = serializers.CharField(write_only=True, required=False, allow_blank=True, trim_whitespace=False,
                                     style={"input_type": "password"},
                                     help_text="Omit to invite them: the answer's invitation.url lets them choose one.")

    class Meta(UserAccountSerializer.Meta):
        fields = [*UserAccountSerializer.Meta.fields, "password"]
        read_only_fields = ["id", "date_joined", "last_login"]
        extra_kwargs = {"username": {"validators": []}}  # taken names are refused by the service, case-insensitively


class InvitationSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="A one-time link to choose a password; give it to the person.")
    emailed = serializers.BooleanField(help_text="Also mailed (the person has an email address).")


class NewUserAccountResultSerializer(UserAccountSerializer):
    invitation = InvitationSerializer(allow_null=True, help_text="When no password was given.")

    class Meta(UserAccountSerializer.Meta):
        fields = [*UserAccountSerializer.Meta.fields, "invitation"]


class UserNameSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="get_full_name")

    class Meta:
        model = get_user_model()
        fields = ["username", "name"]


class ReportedRightsSerializer(serializers.ModelSerializer):
    """One row of the rights report: whose rights, which licence, until when."""

    uid = serializers.UUIDField(source="asset.uid")
    title = serializers.CharField(source="asset.__str__")
    licence = serializers.CharField(source="get_licence_type_display")

    class Meta:
        model = UsageRights
        fields = ["uid", "title", "licence_type", "licence", "holder", "channels", "territories", "expires_on"]


class RightsReportQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(required=False, min_value=0, max_value=3650,
                                    default=lambda: settings.LUMEN_RIGHTS_WARNING_DAYS,
                                    help_text="How far ahead “expiring” looks (default LUMEN_RIGHTS_WARNING_DAYS).")


class RightsReportSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    expiring = ReportedRightsSerializer(many=True, help_text="Expire within ``days``, soonest first.")
    expired = ReportedRightsSerializer(many=True, help_text="Already expired, latest first.")
