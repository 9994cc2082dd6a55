"""API shapes of usage rights, role grants, moderation and trash actions, signed links and direct uploads."""
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework import serializers

from assets.models import Asset, Collection
from governance.models import Channel, CollectionRole, DirectUpload, UsageRights, normalise_territory


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
        return [normalise_territory(item) for item in value]

    def get_usable_today(self, rights) -> bool:
        return rights.usable_on(None, None, timezone.localdate())


class RoleGrantSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", required=False, allow_null=True,
                                        queryset=get_user_model().objects.filter(is_active=True))
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


class SignedUrlRequestSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1, help_text="Version number; default current.")
    rendition = serializers.CharField(required=False, max_length=100,
                                      help_text="A rendition spec of that version instead of the original.")
    ttl = serializers.IntegerField(required=False, min_value=1, help_text="Seconds; capped by the server.")


class SignedUrlSerializer(serializers.Serializer):
    url = serializers.URLField()
    expires_in = serializers.IntegerField()


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
