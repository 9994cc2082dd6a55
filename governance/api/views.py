"""Governance endpoints: parse, ask the permission gate, call a service, serialize."""
from django.core.exceptions import ValidationError as ModelValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from assets import permissions
from assets.models import Asset
from assets.services import retention
from assets.services.audit import Actor
from assets.services.collections import set_face_policy
from assets.services.signed_urls import issue_download_url
from governance.api.serializers import (
    FacePolicySerializer,
    GovernedAssetSerializer,
    LegalHoldSerializer,
    ModerationActionSerializer,
    ReasonSerializer,
    RoleGrantSerializer,
    SignedUrlRequestSerializer,
    SignedUrlSerializer,
    UploadConfirmSerializer,
    UploadRequestSerializer,
    UploadTicketSerializer,
    UsageRightsSerializer,
)
from governance.models import CollectionRole, DirectUpload, UsageRights
from governance.services import ActionRefused, moderation, rights, roles, uploads


def _validated(serializer_class, data, **kwargs):
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class GovernanceView(APIView):
    """Shared: refusals from services become ``{"error", "message"}`` with their status."""

    def handle_exception(self, exc):
        if isinstance(exc, ActionRefused):
            return Response({"error": exc.code, "message": exc.message}, status=exc.status)
        if isinstance(exc, ModelValidationError):
            exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
        return super().handle_exception(exc)

    def actor(self):
        return Actor.from_request(self.request)

    def asset(self, uid, action):
        """404 unless visible; 403 when visible but ``action`` is not allowed."""
        asset = get_object_or_404(permissions.visible_assets(self.request.user), uid=uid)
        if not permissions.can(self.request.user, action, asset):
            raise PermissionDenied(f"You may not {action.replace('_', ' ')} this asset.")
        return asset

    def trashed_asset(self, uid, action):
        asset = get_object_or_404(permissions.trashed_assets(self.request.user), uid=uid)
        if not permissions.can(self.request.user, action, asset):
            raise PermissionDenied(f"You may not {action} this asset.")
        return asset


class RightsView(GovernanceView):
    """Anyone who sees an asset sees its rights (they need them to use it); editors and owners change them."""

    @extend_schema(summary="Usage rights of an asset", responses=UsageRightsSerializer)
    def get(self, request, uid):
        asset = self.asset(uid, "view")
        current = UsageRights.objects.filter(asset=asset).first()
        if current is None:
            return Response({"error": "no_rights", "message": "No usage rights are on file for this asset."},
                            status=status.HTTP_404_NOT_FOUND)
        return Response(UsageRightsSerializer(current).data)

    @extend_schema(summary="Replace the usage rights of an asset", request=UsageRightsSerializer,
                   responses=UsageRightsSerializer)
    def put(self, request, uid):
        return self._save(uid, partial=False)

    @extend_schema(summary="Change some usage-rights fields", request=UsageRightsSerializer,
                   responses=UsageRightsSerializer)
    def patch(self, request, uid):
        return self._save(uid, partial=True)

    def _save(self, uid, partial):
        asset = self.asset(uid, "manage_rights")
        current = UsageRights.objects.filter(asset=asset).first()
        fields = _validated(UsageRightsSerializer, self.request.data, instance=current, partial=partial)
        saved = rights.set_rights(asset, actor=self.actor(), **fields)
        return Response(UsageRightsSerializer(saved).data)


class ModerateView(GovernanceView):
    @extend_schema(summary="Flag (anyone who sees it), approve or reject (moderators) an asset",
                   request=ModerationActionSerializer, responses=GovernedAssetSerializer)
    def post(self, request, uid):
        data = _validated(ModerationActionSerializer, request.data)
        decision = data["decision"]
        asset = self.asset(uid, "view" if decision == "flag" else "moderate")
        act = {"flag": moderation.flag, "approve": moderation.approve, "reject": moderation.reject}[decision]
        return Response(GovernedAssetSerializer(act(asset, actor=self.actor(), reason=data["reason"])).data)


class ModerationQueueView(GovernanceView):
    @extend_schema(summary="Pending assets the caller moderates", responses=GovernedAssetSerializer(many=True))
    def get(self, request):
        queue = permissions.permitted_assets(request.user, "moderate").filter(moderation_state="pending")
        return Response(GovernedAssetSerializer(queue.order_by("updated_at", "pk")[:500], many=True).data)


class TrashAssetView(GovernanceView):
    @extend_schema(summary="Move an asset to the trash", request=ReasonSerializer, responses=GovernedAssetSerializer)
    def post(self, request, uid):
        asset = self.asset(uid, "delete")
        reason = _validated(ReasonSerializer, request.data)["reason"]
        return Response(GovernedAssetSerializer(retention.trash(asset, actor=self.actor(), reason=reason)).data)


class LegalHoldView(GovernanceView):
    @extend_schema(summary="Place or lift a legal hold (site admins)", request=LegalHoldSerializer,
                   responses=GovernedAssetSerializer)
    def put(self, request, uid):
        if not permissions.is_site_admin(request.user):
            raise PermissionDenied("Only site admins may place or lift a legal hold.")
        asset = get_object_or_404(Asset, uid=uid)
        data = _validated(LegalHoldSerializer, request.data)
        asset = retention.set_legal_hold(asset, data["held"], actor=self.actor(), reason=data["reason"])
        return Response(GovernedAssetSerializer(asset).data)


class TrashListView(GovernanceView):
    @extend_schema(summary="Trashed assets the caller may restore", responses=GovernedAssetSerializer(many=True))
    def get(self, request):
        trashed = permissions.trashed_assets(request.user).select_related("deleted_by").order_by("-deleted_at")
        return Response(GovernedAssetSerializer(trashed[:500], many=True).data)


class TrashedAssetView(GovernanceView):
    @extend_schema(summary="Purge a trashed asset for good (collection or site admins)", responses={204: None})
    def delete(self, request, uid):
        retention.purge(self.trashed_asset(uid, "purge"), actor=self.actor())
        return Response(status=status.HTTP_204_NO_CONTENT)


class RestoreView(GovernanceView):
    @extend_schema(summary="Restore a trashed asset", request=None, responses=GovernedAssetSerializer)
    def post(self, request, uid):
        asset = retention.restore(self.trashed_asset(uid, "restore"), actor=self.actor())
        return Response(GovernedAssetSerializer(asset).data)


class SignedUrlView(GovernanceView):
    @extend_schema(summary="A short-lived download link for the original or a rendition",
                   request=SignedUrlRequestSerializer, responses={201: SignedUrlSerializer})
    def post(self, request, uid):
        asset = self.asset(uid, "download")
        data = _validated(SignedUrlRequestSerializer, request.data)
        version = (get_object_or_404(asset.versions, number=data["version"]) if "version" in data
                   else asset.current_version)
        if version is None:
            raise ActionRefused("This asset has no file yet.", code="not_found", status=404)
        target = get_object_or_404(version.renditions, spec=data["rendition"]) if "rendition" in data else version
        link = issue_download_url(asset, target, actor=self.actor(), ttl=data.get("ttl"))
        return Response({"url": request.build_absolute_uri(link.url), "expires_in": link.expires_in},
                        status=status.HTTP_201_CREATED)


class CollectionAdminView(GovernanceView):
    def collection(self, slug):
        return permissions.administered_collection_or_404(self.request.user, slug)


class CollectionRolesView(CollectionAdminView):
    @extend_schema(summary="Role grants on a collection (its admins)", responses=RoleGrantSerializer(many=True))
    def get(self, request, slug):
        grants = CollectionRole.objects.filter(collection=self.collection(slug)).select_related("user", "group",
                                                                                               "granted_by")
        return Response(RoleGrantSerializer(grants, many=True).data)

    @extend_schema(summary="Grant (or change) the role of a user or group", request=RoleGrantSerializer,
                   responses={201: RoleGrantSerializer})
    def post(self, request, slug):
        collection = self.collection(slug)
        data = _validated(RoleGrantSerializer, request.data)
        grant = roles.grant_role(collection, data["role"], actor=self.actor(), user=data.get("user"),
                                 group=data.get("group"))
        return Response(RoleGrantSerializer(grant).data, status=status.HTTP_201_CREATED)


class CollectionRoleView(CollectionAdminView):
    @extend_schema(summary="Revoke a role grant", responses={204: None})
    def delete(self, request, slug, pk):
        grant = get_object_or_404(CollectionRole, pk=pk, collection=self.collection(slug))
        roles.revoke_role(grant, actor=self.actor())
        return Response(status=status.HTTP_204_NO_CONTENT)


class FacePolicyView(CollectionAdminView):
    @extend_schema(summary="The collection's face policy", responses=FacePolicySerializer)
    def get(self, request, slug):
        return Response(FacePolicySerializer(self.collection(slug)).data)

    @extend_schema(summary="Require (or stop requiring) blurred faces in the collection's renditions",
                   description="Turning it on re-makes the renditions of the assets it newly covers; turning it "
                               "off leaves blurred renditions as they are.",
                   request=FacePolicySerializer, responses=FacePolicySerializer)
    def put(self, request, slug):
        data = _validated(FacePolicySerializer, request.data)
        collection = set_face_policy(self.collection(slug), data["anonymise_faces"], actor=self.actor())
        return Response(FacePolicySerializer(collection).data)


class UploadsView(GovernanceView):
    @extend_schema(summary="Start a direct upload: a presigned POST to the upload bucket",
                   request=UploadRequestSerializer, responses={201: UploadTicketSerializer})
    def post(self, request):
        data = _validated(UploadRequestSerializer, request.data)
        ticket, post = uploads.start_upload(actor=self.actor(), content_type=data["content_type"],
                                            filename=data["filename"], title=data["title"],
                                            collections=data.get("collections", []))
        body = UploadTicketSerializer(ticket, context={"presigned_post": post}).data
        return Response(body, status=status.HTTP_201_CREATED)


class UploadConfirmView(GovernanceView):
    @extend_schema(summary="Confirm a direct upload with its SHA-256; the asset is created after verification",
                   request=UploadConfirmSerializer, responses={201: GovernedAssetSerializer})
    def post(self, request, uid):
        ticket = get_object_or_404(DirectUpload, uid=uid, user=request.user)
        sha256 = _validated(UploadConfirmSerializer, request.data)["sha256"]
        result = uploads.confirm_upload(ticket, actor=self.actor(), sha256=sha256)
        body = GovernedAssetSerializer(result.asset).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)
