"""Governance pages: thin views over assets.permissions and the governance services."""
import csv
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, user_passes_test
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assets import permissions
from assets.models import Asset, AssetVersion, AuditEntry
from assets.services import audit, retention
from assets.services.audit import Actor
from assets.services.collections import set_face_policy
from assets.services.signed_urls import InvalidDownloadLink, resolve_download_token
from enrichment.models import Capability, EnrichmentJob, ModerationResult
from governance.filtersets import AuditEntryFilter
from governance.forms import ModerationDecisionForm, ReasonForm, RoleGrantForm, UsageRightsForm
from governance.models import CollectionRole, UsageRights
from governance.services import ActionRefused, moderation, rights, roles

PAGE_SIZE = 50
site_admin_required = user_passes_test(permissions.is_site_admin)


def _asset_for(request, action, uid):
    return permissions.asset_for_action_or_404(request.user, action, uid)


def _refused(request, exc, asset):
    messages.error(request, exc.message)
    return redirect("assets:detail", uid=asset.uid)


@login_required
@require_POST
def report(request, uid):
    """“Report this asset”: anyone who sees it may send it to the moderation queue, with a reason."""
    asset = _asset_for(request, "view", uid)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why this asset should be reviewed.")
        return redirect("assets:detail", uid=asset.uid)
    moderation.flag(asset, actor=Actor.from_request(request), reason=form.cleaned_data["reason"])
    messages.success(request, "Thank you: a moderator will review this asset.")
    return redirect("assets:detail", uid=asset.uid)


def _moderation_queue(user):
    """Pending assets this user moderates, with the latest report reason, moderation-model score, and why
    the automatic check failed when it did (such assets are held rather than shown unchecked)."""
    latest_flag = AuditEntry.objects.filter(asset=OuterRef("pk"), action="moderation.flag").order_by("-created_at")
    queue = permissions.permitted_assets(user, "moderate").filter(moderation_state=Asset.Moderation.PENDING)
    scores = ModerationResult.objects.filter(version=OuterRef("current_version")).order_by("-unsafe_score")
    failed_check = EnrichmentJob.objects.filter(version=OuterRef("current_version"), capability=Capability.MODERATION,
                                                status=EnrichmentJob.Status.FAILED)
    return queue.annotate(report_reason=Subquery(latest_flag.values("after__reason")[:1]),
                          unsafe_score=Subquery(scores.values("unsafe_score")[:1]),
                          check_failure=Subquery(failed_check.values("detail")[:1]))


@login_required
@require_http_methods(["GET", "POST"])
def moderation_queue(request):
    if "moderator" not in permissions.roles_somewhere(request.user):
        raise PermissionDenied
    queue = _moderation_queue(request.user)
    form = ModerationDecisionForm(request.POST or None, queue=queue)
    if request.method == "POST" and form.is_valid():
        chosen = form.chosen_assets()
        moderation.decide_many(chosen, form.cleaned_data["decision"], actor=Actor.from_request(request),
                               reason=form.cleaned_data["reason"])
        verb = "approved" if form.cleaned_data["decision"] == "approve" else "rejected"
        messages.success(request, f"{len(chosen)} asset{'s' if len(chosen) != 1 else ''} {verb}.")
        return redirect("governance:moderation")
    listed = queue.select_related("current_version", "owner").prefetch_related("current_version__renditions")
    return render(request, "governance/moderation.html", {
        "page": Paginator(listed.order_by("updated_at", "pk"), PAGE_SIZE).get_page(request.GET.get("page")),
        "form": form,
    }, status=400 if form.errors else 200)


def _audit_page(request, entries, template, context):
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, template, {**context, "page": page, "query_without_page": query.urlencode()})


@login_required
@require_GET
def asset_audit(request, uid):
    """The history of one asset, for those who may change it (owner, editors, moderators, admins)."""
    asset = _asset_for(request, "change", uid)
    entries = AuditEntry.objects.filter(asset=asset).select_related("actor")
    return _audit_page(request, entries, "governance/asset_audit.html", {"asset": asset})


@site_admin_required
@require_GET
def audit_log(request):
    audit_filter = AuditEntryFilter(request.GET)
    return _audit_page(request, audit_filter.qs, "governance/audit.html", {"filter": audit_filter})


class _Echo:
    def write(self, value):
        return value


AUDIT_CSV_COLUMNS = ["created_at", "actor", "action", "asset", "object_type", "object_id", "ip_address", "before",
                     "after"]


def _audit_rows(entries):
    writer = csv.writer(_Echo())
    yield writer.writerow(AUDIT_CSV_COLUMNS)
    for entry in entries.iterator(chunk_size=2000):
        yield writer.writerow([
            entry.created_at.isoformat(), entry.actor.get_username() if entry.actor else "", entry.action,
            entry.asset.uid if entry.asset else "", entry.object_type, entry.object_id, entry.ip_address or "",
            _json_cell(entry.before), _json_cell(entry.after),
        ])


def _json_cell(value):
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


@site_admin_required
@require_GET
def audit_export(request):
    """Streams however many entries match, so a year of history never sits in memory."""
    entries = AuditEntryFilter(request.GET).qs.order_by("created_at", "id")
    response = StreamingHttpResponse(_audit_rows(entries), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.localdate():%Y%m%d}.csv"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def edit_rights(request, uid):
    asset = _asset_for(request, "manage_rights", uid)
    current = UsageRights.objects.filter(asset=asset).first()
    form = UsageRightsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in UsageRightsForm.Meta.fields}
        try:
            rights.set_rights(asset, actor=Actor.from_request(request), **fields)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Usage rights saved.")
            return redirect("assets:detail", uid=asset.uid)
    return render(request, "governance/rights_form.html", {"asset": asset, "form": form},
                  status=400 if form.errors else 200)


@login_required
@require_GET
def rights_report(request):
    """Rights expiring within N days (default LUMEN_RIGHTS_WARNING_DAYS) and already expired, of visible assets."""
    try:
        days = max(0, min(int(request.GET.get("days", settings.LUMEN_RIGHTS_WARNING_DAYS)), 3650))
    except ValueError:
        days = settings.LUMEN_RIGHTS_WARNING_DAYS
    visible = UsageRights.objects.filter(asset__in=permissions.visible_assets(request.user)).select_related("asset")
    return render(request, "governance/rights_report.html", {
        "days": days,
        "expiring": rights.expiring_within(visible, days).order_by("expires_on"),
        "expired": rights.expired(visible).order_by("-expires_on"),
    })


@login_required
@require_POST
def trash_asset(request, uid):
    asset = _asset_for(request, "delete", uid)
    try:
        retention.trash(asset, actor=Actor.from_request(request), reason=request.POST.get("reason", ""))
    except ActionRefused as exc:
        return _refused(request, exc, asset)
    messages.success(request, f"“{asset}” moved to the trash.")
    return redirect("governance:trash")


@login_required
@require_GET
def trash(request):
    trashed = permissions.trashed_assets(request.user).select_related("deleted_by", "current_version")
    page = Paginator(trashed.order_by("-deleted_at", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "governance/trash.html", {"page": page, "trash_days": settings.LUMEN_TRASH_DAYS})


def _trashed_asset_for(request, action, uid):
    asset = get_object_or_404(permissions.trashed_assets(request.user), uid=uid)
    if not permissions.can(request.user, action, asset):
        raise PermissionDenied
    return asset


@login_required
@require_POST
def restore_asset(request, uid):
    asset = retention.restore(_trashed_asset_for(request, "restore", uid), actor=Actor.from_request(request))
    messages.success(request, f"“{asset}” restored.")
    return redirect("assets:detail", uid=asset.uid)


@login_required
@require_POST
def purge_asset(request, uid):
    asset = _trashed_asset_for(request, "purge", uid)
    try:
        retention.purge(asset, actor=Actor.from_request(request))
    except ActionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{asset}” purged for good.")
    return redirect("governance:trash")


@site_admin_required
@require_POST
def legal_hold(request, uid):
    asset = get_object_or_404(Asset.objects.all(), uid=uid)
    held = request.POST.get("held") == "on"
    retention.set_legal_hold(asset, held, actor=Actor.from_request(request), reason=request.POST.get("reason", ""))
    messages.success(request, "Legal hold placed." if held else "Legal hold lifted.")
    if asset.deleted_at is not None:
        return redirect("governance:trash")
    return redirect("assets:detail", uid=asset.uid)


@login_required
@require_http_methods(["GET", "POST"])
def collection_roles(request, slug):
    collection = permissions.administered_collection_or_404(request.user, slug)
    form = RoleGrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        grant = roles.grant_role(collection, data["role"], actor=Actor.from_request(request),
                                 user=data["username"], group=data["group"])
        messages.success(request, f"{grant.principal} is now {grant.role} of {collection}.")
        return redirect("governance:collection_roles", slug=collection.slug)
    grants = CollectionRole.objects.filter(collection=collection).select_related("user", "group", "granted_by")
    return render(request, "governance/collection_roles.html", {
        "collection": collection, "grants": grants, "form": form,
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def collection_face_policy(request, slug):
    """Collection admins decide whether its renditions must blur faces (turning it on re-makes them)."""
    collection = permissions.administered_collection_or_404(request.user, slug)
    required = request.POST.get("anonymise_faces") == "on"
    set_face_policy(collection, required, actor=Actor.from_request(request))
    outcome = "now blurred in every rendition" if required else "no longer blurred in new renditions"
    messages.success(request, f"Faces in {collection} are {outcome}.")
    return redirect("governance:collection_roles", slug=collection.slug)


@login_required
@require_POST
def revoke_collection_role(request, slug, pk):
    grant = get_object_or_404(CollectionRole.objects.select_related("collection"), pk=pk, collection__slug=slug)
    roles.revoke_role(grant, actor=Actor.from_request(request))
    messages.success(request, f"{grant.principal} no longer has a role on {grant.collection}.")
    return redirect("governance:collection_roles", slug=slug)


@login_required
@require_GET
def managed_collections(request):
    """Entry point to the role pages: the collections this user administers."""
    return render(request, "governance/collections.html", {
        "collections": permissions.collections_with_role(request.user, "admin"),
    })


@require_GET
def signed_download(request, token):
    """No session needed: the token is the credential, re-checked against the gate on every request."""
    try:
        asset, target, issuer = resolve_download_token(token)
    except InvalidDownloadLink as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
    with default_storage.open(target.file.name, "rb") as handle:
        data = handle.read()
    filename = target.original_filename if isinstance(target, AssetVersion) else f"{asset.uid}-{target.spec}"
    if isinstance(target, AssetVersion):
        data = rights.embed_rights(data, asset)
        client = Actor.from_request(request)
        audit.record(Actor(user=issuer, ip_address=client.ip_address), "asset.download_original", asset=asset,
                     obj=target, after={"via": "signed_url"})
    response = HttpResponse(data, content_type=getattr(target, "mime_type", None) or f"image/{target.format}")
    response["Content-Disposition"] = f'attachment; filename="{_safe_filename(filename or str(asset.uid))}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _safe_filename(name):
    return "".join(c for c in name if c.isalnum() or c in "._- ")[:150] or "download"
