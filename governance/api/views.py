"""Governance endpoints: parse, ask the permission gate, call a service, serialize."""
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from assets import permissions
from assets.api.mixins import AssetForActionMixin, require_filing
from assets.models import Asset, CollectionRole
from assets.services.face_policy import set_face_policy
from core.api import ErrorSerializer
from core.audit import Actor
from core.refusals import Refused
from governance.api.serializers import (
    BulkActionSerializer,
    BulkResultSerializer,
    ConfirmedUploadSerializer,
    FacePolicySerializer,
    GovernedAssetSerializer,
    InvitationSerializer,
    LegalHoldSerializer,
    ModerationActionSerializer,
    NewUserAccountResultSerializer,
    NewUserAccountSerializer,
    ReasonSerializer,
    RightsReportQuerySerializer,
    RightsReportSerializer,
    RoleGrantSerializer,
    ShareLinkSerializer,
    SignedUrlRequestSerializer,
    SignedUrlSerializer,
    UploadConfirmSerializer,
    UploadRequestSerializer,
    UploadTicketSerializer,
    UsageRightsSerializer,
    UserAccountSerializer,
    UserNameSerializer,
)
from governance.models import DirectUpload, UsageRights
from governance.services import bulk, moderation, people, retention, rights, roles, sharing, uploads
from governance.services.signed_urls import issue_download_url


def _validated(serializer_class, data, **kwargs):
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class GovernanceView(AssetForActionMixin, APIView):
    """Shared: who acts (for the audit log) and the gate's asset lookup; services' refusals are answered by
    ``core.api.exception_handler``."""

    def actor(self):
        return Actor.from_request(self.request)


class RightsView(GovernanceView):
    """Anyone who sees an asset sees its rights (they need them to use it); editors and owners change them."""

    @extend_schema(summary="Usage rights of an asset", responses=UsageRightsSerializer)
    def get(self, request, uid):
        asset = self.asset_for(uid, "view")
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
        asset = self.asset_for(uid, "manage_rights")
        current = UsageRights.objects.filter(asset=asset).first()
        fields = _validated(UsageRightsSerializer, self.request.data, instance=current, partial=partial)
        saved = rights.set_rights(asset, actor=self.actor(), **fields)
        return Response(UsageRightsSerializer(saved).data)


class RightsReportView(GovernanceView):
    """The rights report of the page, for the assets the caller sees."""

    @extend_schema(summary="Usage rights expiring soon and already expired", parameters=[RightsReportQuerySerializer],
                   responses=RightsReportSerializer)
    def get(self, request):
        days = _validated(RightsReportQuerySerializer, request.query_params)["days"]
        return Response(RightsReportSerializer(rights.rights_report(request.user, days)).data)


class ModerateView(GovernanceView):
    @extend_schema(summary="Flag (anyone who sees it), approve or reject (moderators) an asset",
                   request=ModerationActionSerializer, responses=GovernedAssetSerializer)
    def post(self, request, uid):
        data = _validated(ModerationActionSerializer, request.data)
        decision = data["decision"]
        asset = self.asset_for(uid, "view" if decision == "flag" else "moderate")
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
        asset = self.asset_for(uid, "delete")
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
        retention.purge(self.asset_for(uid, "purge"), actor=self.actor())
        return Response(status=status.HTTP_204_NO_CONTENT)


class RestoreView(GovernanceView):
    @extend_schema(summary="Restore a trashed asset", request=None, responses=GovernedAssetSerializer)
    def post(self, request, uid):
        asset = retention.restore(self.asset_for(uid, "restore"), actor=self.actor())
        return Response(GovernedAssetSerializer(asset).data)


class SignedUrlView(GovernanceView):
    @extend_schema(summary="A short-lived download link for the original or a rendition",
                   request=SignedUrlRequestSerializer, responses={201: SignedUrlSerializer})
    def post(self, request, uid):
        asset = self.asset_for(uid, "download")
        data = _validated(SignedUrlRequestSerializer, request.data)
        version = (get_object_or_404(asset.versions, number=data["version"]) if "version" in data
                   else asset.current_version)
        if version is None:
            raise Refused("This asset has no file yet.", code="not_found", status=404)
        target = get_object_or_404(version.renditions, spec=data["rendition"]) if "rendition" in data else version
        link = issue_download_url(asset, target, actor=self.actor(), ttl=data.get("ttl"))
        return Response({"url": request.build_absolute_uri(link.url), "expires_in": link.expires_in,
                         "revocable": link.revocable}, status=status.HTTP_201_CREATED)


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
    throttle_scope = "upload"

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
    throttle_scope = "upload"

    @extend_schema(summary="Confirm a direct upload with its SHA-256; the asset is created after verification",
                   request=UploadConfirmSerializer,
                   responses={201: ConfirmedUploadSerializer, 200: ConfirmedUploadSerializer})
    def post(self, request, uid):
        ticket = get_object_or_404(DirectUpload, uid=uid, user=request.user)
        sha256 = _validated(UploadConfirmSerializer, request.data)["sha256"]
        result = uploads.confirm_upload(ticket, actor=self.actor(), sha256=sha256)
        body = ConfirmedUploadSerializer(result.asset, context={"ingested": result}).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class BulkView(GovernanceView):
    @extend_schema(
        summary="Act on many assets at once",
        description="Add to or remove from a collection, add keywords, set usage rights or move to the trash, with "
                    "the permission checks of the single actions. Per-item results: each asset is done (or refused) "
                    "on its own, so one under legal hold or beyond the caller's rights neither blocks nor undoes "
                    "the others; the answer is 200 with a result per asset, in the order given. The whole request "
                    "is refused (400/403) only for what concerns all of it: a bad action or field, more than 500 "
                    "assets, a collection the caller may not file into. To download many originals use "
                    "POST /api/assets/zip/ (all or nothing).",
        request=BulkActionSerializer, responses={200: BulkResultSerializer, 400: ErrorSerializer,
                                                 403: ErrorSerializer})
    def post(self, request):
        data = _validated(BulkActionSerializer, request.data)
        collection = data.get("collection")
        if collection is not None:
            require_filing(request.user, collection, "file assets into or take them out of", "collection")
        rights_fields = _validated(UsageRightsSerializer, data["rights"], partial=True) if "rights" in data else None
        results = bulk.act_on_many([str(uid) for uid in data["assets"]], data["action"], actor=self.actor(),
                                   collection=collection, keywords=data.get("keywords", []),
                                   rights_fields=rights_fields, reason=data["reason"])
        done = sum(result.ok for result in results)
        return Response({"action": data["action"], "done": done, "refused": len(results) - done,
                         "results": [vars(result) for result in results]})


class ShareLinksView(GovernanceView):
    @extend_schema(summary="Share links the caller made (site admins: everyone's)",
                   parameters=[OpenApiParameter("asset", str, description="Only links to this asset (uid)"),
                               OpenApiParameter("collection", str, description="Only links to this collection")],
                   responses=ShareLinkSerializer(many=True))
    def get(self, request):
        links = sharing.manageable_links(request.user)
        if request.query_params.get("asset"):
            links = links.filter(asset__uid=permissions.uid_or_404(request.query_params["asset"]))
        if request.query_params.get("collection"):
            links = links.filter(collection__slug=request.query_params["collection"])
        return Response(ShareLinkSerializer(links[:500], many=True, context={"request": request}).data)

    @extend_schema(summary="Make a share link to an asset or a collection",
                   description="Anyone holding the returned url sees the asset, or the collection's assets the "
                               "caller may download, without signing in, until expires_at (at most "
                               "LUMEN_SHARE_LINK_MAX_DAYS) or until revoked. Files are served through the app, so "
                               "revoking works at once on local storage and on S3.",
                   request=ShareLinkSerializer, responses={201: ShareLinkSerializer, 400: ErrorSerializer,
                                                           403: ErrorSerializer, 404: ErrorSerializer})
    def post(self, request):
        data = _validated(ShareLinkSerializer, request.data)
        asset, collection = data.get("asset"), data.get("collection")
        if asset is not None:
            asset = self.asset_for(asset.uid, "download")
        elif not permissions.collections_with_role(request.user, "viewer").filter(pk=collection.pk).exists():
            raise ValidationError({"collection": [f"Object with slug={collection.slug} does not exist."]})
        link = sharing.create_share_link(actor=self.actor(), asset=asset, collection=collection,
                                         expires_at=data["expires_at"], include_originals=data.get("include_originals", False),
                                         note=data.get("note", ""))
        return Response(ShareLinkSerializer(link, context={"request": request}).data, status=status.HTTP_201_CREATED)


class ShareLinkView(GovernanceView):
    def link(self, pk):
        return get_object_or_404(sharing.manageable_links(self.request.user), pk=pk)

    @extend_schema(summary="A share link", responses=ShareLinkSerializer)
    def get(self, request, pk):
        return Response(ShareLinkSerializer(self.link(pk), context={"request": request}).data)

    @extend_schema(summary="Revoke a share link: it stops working at once", responses={204: None})
    def delete(self, request, pk):
        sharing.revoke_share_link(self.link(pk), actor=self.actor())
        return Response(status=status.HTTP_204_NO_CONTENT)


class SiteAdminView(GovernanceView):
    """People are managed by site admins only; the services check again."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not permissions.is_site_admin(request.user):
            raise PermissionDenied("Only site administrators may manage people.")

    def person(self, pk):
        return get_object_or_404(get_user_model(), pk=pk)

    def invitation(self, person):
        return people.invite(person, actor=self.actor(), site_url=self.request.build_absolute_uri("/"))


class PeopleView(SiteAdminView):
    @extend_schema(summary="Everyone who may sign in (site admins)",
                   parameters=[OpenApiParameter("q", str, description="Only those whose username, name or email "
                                                                      "contains this")],
                   responses=UserAccountSerializer(many=True))
    def get(self, request):
        return Response(UserAccountSerializer(people.people(request.query_params.get("q", ""))[:500], many=True).data)

    @extend_schema(summary="Add a person, with a password or invited to choose one",
                   description="Without password the answer holds invitation.url, a one-time link to choose a "
                               "password (valid PASSWORD_RESET_TIMEOUT seconds), also mailed when email is given.",
                   request=NewUserAccountSerializer, responses={201: NewUserAccountResultSerializer, 400: ErrorSerializer,
                                                           403: ErrorSerializer, 409: ErrorSerializer})
    def post(self, request):
        data = _validated(NewUserAccountSerializer, request.data)
        password = data.pop("password", "") or None
        person = people.add_person(actor=self.actor(), username=data["username"], password=password,
                                   site_admin=data.get("is_superuser", False),
                                   **{name: data[name] for name in people.DETAILS if name in data})
        person.invitation = None if password else self.invitation(person)._asdict()
        return Response(NewUserAccountResultSerializer(person).data, status=status.HTTP_201_CREATED)


class PersonView(SiteAdminView):
    @extend_schema(summary="A person", responses=UserAccountSerializer)
    def get(self, request, pk):
        return Response(UserAccountSerializer(self.person(pk)).data)

    @extend_schema(summary="Change a person's details, site role, or deactivate or reactivate them",
                   request=UserAccountSerializer, responses={200: UserAccountSerializer, 400: ErrorSerializer,
                                                        409: ErrorSerializer})
    def patch(self, request, pk):
        person = self.person(pk)
        data = _validated(UserAccountSerializer, request.data, partial=True)
        people.update_person(person, actor=self.actor(), site_admin=data.get("is_superuser"),
                             active=data.get("is_active"), **{name: data[name] for name in people.DETAILS if name in data})
        return Response(UserAccountSerializer(person).data)


class PersonInvitationView(SiteAdminView):
    @extend_schema(summary="A new one-time link for the person to choose a password", request=None,
                   responses={201: InvitationSerializer, 409: ErrorSerializer})
    def post(self, request, pk):
        return Response(self.invitation(self.person(pk))._asdict(), status=status.HTTP_201_CREATED)


class PeopleLookupView(GovernanceView):
    @extend_schema(summary="Active people whose username or name starts with q (site and collection admins)",
                   description="For granting roles by name: at most 10.",
                   parameters=[OpenApiParameter("q", str, required=True)], responses=UserNameSerializer(many=True))
    def get(self, request):
        return Response(UserNameSerializer(people.find_people(request.user, request.query_params.get("q", "")),
                                             many=True).data)
