"""Governance pages: thin views over assets.permissions and the governance services."""
import csv
import json
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from assets import permissions
from assets.api.serializers import DownloadsSerializer
from assets.delivery import serve_original, serve_rendition, zip_response
from assets.models import Asset, AssetVersion, CollectionRole
from assets.services import archive
from assets.services.delivery import NO_STORE, REVALIDATE, download_warnings, find_rendition
from assets.services.downloads import downloads
from assets.services.face_policy import set_face_policy
from assets.services.keywords import parse_keywords
from core.audit import Actor
from core.confirm import back_url, confirmation_page
from core.middleware import refused_in_plain_text
from core.models import AuditEntry
from enrichment.models import Capability, EnrichmentJob, ModerationResult
from governance.filtersets import AuditEntryFilter
from governance.forms import (
    ModerationDecisionForm,
    NewPersonForm,
    PersonDetailsForm,
    ReasonForm,
    RoleGrantForm,
    SelectionForm,
    ShareLinkForm,
    UsageRightsForm,
)
from governance.models import UsageRights
from governance.services import bulk, moderation, people, retention, rights, roles, sharing
from governance.services.signed_urls import resolve_download_token

PAGE_SIZE = 50


def site_admin_required(view):
    """Signed-out people are sent to log in; signed-in ones who are not site admins get the 403 page."""
    @login_required
    @wraps(view)
    def checked(request, *args, **kwargs):
        if not permissions.is_site_admin(request.user):
            raise PermissionDenied("Only site administrators may open this page.")
        return view(request, *args, **kwargs)
    return checked


@login_required
@require_POST
def report(request, uid):
    """“Report this asset”: anyone who sees it may send it to the moderation queue, with a reason."""
    asset = permissions.asset_for_action_or_404(request.user, "view", uid)
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
    asset = permissions.asset_for_action_or_404(request.user, "change", uid)
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
    asset = permissions.asset_for_action_or_404(request.user, "manage_rights", uid)
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
    return render(request, "governance/rights_report.html", rights.rights_report(request.user, days))


@login_required
@require_POST
def trash_asset(request, uid):
    asset = permissions.asset_for_action_or_404(request.user, "delete", uid)
    question = confirmation_page(
        request, title=f"Move “{asset}” to the trash?", button="Move to trash",
        message=f"It disappears from the library, search and shared links at once. It can be restored from the "
                f"trash for {settings.LUMEN_TRASH_DAYS} days; after that it is purged for good.")
    if question:
        return question
    retention.trash(asset, actor=Actor.from_request(request), reason=request.POST.get("reason", ""))
    messages.success(request, f"“{asset}” moved to the trash.")
    return redirect("governance:trash")


@login_required
@require_GET
def trash(request):
    trashed = permissions.trashed_assets(request.user).select_related("deleted_by", "current_version")
    page = Paginator(trashed.order_by("-deleted_at", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "governance/trash.html", {"page": page, "trash_days": settings.LUMEN_TRASH_DAYS})


@login_required
@require_POST
def restore_asset(request, uid):
    asset = retention.restore(permissions.asset_for_action_or_404(request.user, "restore", uid), actor=Actor.from_request(request))
    messages.success(request, f"“{asset}” restored.")
    return redirect("assets:detail", uid=asset.uid)


@login_required
@require_POST
def purge_asset(request, uid):
    asset = permissions.asset_for_action_or_404(request.user, "purge", uid)
    question = confirmation_page(
        request, title=f"Purge “{asset}” for good?", button="Purge for good",
        message="Its files, every version and everything the models found are deleted now. This cannot be undone; "
                "only its history in the audit log stays.")
    if question:
        return question
    retention.purge(asset, actor=Actor.from_request(request))
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
    permissions.administered_collection_or_404(request.user, slug)
    question = confirmation_page(
        request, title=f"Take away {grant.principal}'s role on {grant.collection}?", button="Revoke role",
        message=f"{grant.principal} stops being {grant.get_role_display().split(':')[0].lower()} of "
                f"{grant.collection} at once, and no longer sees its assets unless another role or their own "
                "uploads let them.")
    if question:
        return question
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


@refused_in_plain_text
@require_GET
def signed_download(request, token):
    """No session needed: the token is the credential, re-checked against the gate on every request; a bad or
    expired one is refused (403/410) by ``resolve_download_token``."""
    asset, target, issuer = resolve_download_token(token)
    warnings = download_warnings(asset)
    if isinstance(target, AssetVersion):
        actor = Actor(user=issuer, ip_address=Actor.from_request(request).ip_address)
        return serve_original(request, target, actor=actor, via="signed_url", cache_control=NO_STORE,
                              warnings=warnings)
    return serve_rendition(request, target, as_attachment=True, cache_control=NO_STORE, warnings=warnings)


# Acting on a library selection (governance.services.bulk): one form, many assets.

SELECTION_DONE = {
    "add_to_collection": "Added {images} to “{collection}”.",
    "remove_from_collection": "Took {images} out of “{collection}”.",
    "add_keywords": "Added the keywords to {images}.",
    "set_rights": "Saved the usage rights of {images}.",
    "trash": "Moved {images} to the trash.",
}
LISTED_TITLES = 12


def _titles(user, uids):
    """The chosen assets' titles for a question or a heading: a dozen, then how many more."""
    chosen = list(permissions.visible_assets(user).filter(uid__in=uids).order_by("title", "pk")[:LISTED_TITLES + 1])
    titles = [f"“{asset}”" for asset in chosen[:LISTED_TITLES]]
    if len(uids) > LISTED_TITLES:
        titles.append(f"and {len(uids) - LISTED_TITLES} more")
    return titles


def _report(request, action, results, collection=None):
    done, refused = bulk.summary(results)
    if done:
        messages.success(request, SELECTION_DONE[action].format(images=_images(done), collection=collection))
    for line in refused:
        messages.warning(request, f"Not done for {line}")


def _images(count):
    return f"{count} image{'s' if count != 1 else ''}"


def _selection_question(request, action, uids, collection):
    if action == "trash":
        return confirmation_page(
            request, title=f"Move {_images(len(uids))} to the trash?", button="Move to trash",
            details=_titles(request.user, uids),
            message=f"They disappear from the library, search and shared links at once, and can be restored "
                    f"from the trash for {settings.LUMEN_TRASH_DAYS} days. Assets under legal hold stay.")
    if action == "remove_from_collection":
        return confirmation_page(
            request, title=f"Take {_images(len(uids))} out of “{collection}”?", button="Remove from collection",
            details=_titles(request.user, uids),
            message=f"The images stay in the library; people who see them only through “{collection}” no longer "
                    "will.")
    return None


@login_required
@require_POST
def act_on_selection(request):
    """The library's selection bar. The ZIP and the rights form answer here; the other actions report in messages
    and return to the library page the person was on."""
    form = SelectionForm(request.user, request.POST)
    back = back_url(request)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect(back)
    uids, action, collection = form.cleaned_data["assets"], form.cleaned_data["action"], form.collection()
    actor = Actor.from_request(request)
    if action == "download":
        return zip_response(archive.originals_zip(uids, actor=actor))
    if action == "set_rights":
        return _selection_rights_page(request, uids, UsageRightsForm(), back)
    question = _selection_question(request, action, uids, collection)
    if question:
        return question
    results = bulk.act_on_many(uids, action, actor=actor, collection=collection,
                               keywords=parse_keywords(form.cleaned_data["keywords"]))
    _report(request, action, results, collection)
    return redirect(back)


def _selection_rights_page(request, uids, form, back, status=200):
    chosen = permissions.visible_assets(request.user).filter(uid__in=uids)
    return render(request, "governance/selection_rights.html", {
        "form": form, "uids": uids, "titles": _titles(request.user, uids), "count": len(uids), "back": back,
        "manageable": permissions.permitted_assets(request.user, "manage_rights", chosen).count(),
    }, status=status)


@login_required
@require_POST
def selection_rights(request):
    """The usage-rights form for a selection: what is saved replaces each asset's rights, as the single form does."""
    uids = [uid for uid in request.POST.getlist("assets") if permissions.is_uid(uid)][:bulk.MAX_ASSETS]
    form = UsageRightsForm(request.POST)
    back = back_url(request)
    if not form.is_valid():
        return _selection_rights_page(request, uids, form, back, status=400)
    fields = {name: form.cleaned_data[name] for name in UsageRightsForm.Meta.fields}
    _report(request, "set_rights", bulk.act_on_many(uids, "set_rights", actor=Actor.from_request(request),
                                                    rights_fields=fields))
    return redirect(back)


# Share links (governance.services.sharing): made and revoked by signed-in people, opened by anyone who has one.

def _share_page(request, *, asset=None, collection=None):
    form = ShareLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        link = sharing.create_share_link(
            actor=Actor.from_request(request), asset=asset, collection=collection, expires_at=form.expires_at(),
            include_originals=form.cleaned_data["include_originals"], note=form.cleaned_data["note"])
        messages.success(request, "Share link made: copy it from the list below and send it.")
        return redirect(f"{request.path}#share-link-{link.pk}")
    links = sharing.manageable_links(request.user).filter(asset=asset, collection=collection)
    may_share = asset is not None or permissions.is_site_admin(request.user) or \
        permissions.collections_with_role(request.user, sharing.SHARE_ROLE).filter(pk=collection.pk).exists()
    return render(request, "governance/share.html", {
        "asset": asset, "collection": collection, "target": asset or collection, "form": form,
        "may_share": may_share, "links": _with_addresses(request, links),
        "max_days": settings.LUMEN_SHARE_LINK_MAX_DAYS,
    }, status=400 if form.errors else 200)


def _with_addresses(request, links):
    now = timezone.now()
    return [(link, request.build_absolute_uri(sharing.address_of(link)), link.state(now)) for link in links]


@login_required
@require_http_methods(["GET", "POST"])
def share_asset(request, uid):
    return _share_page(request, asset=permissions.asset_for_action_or_404(request.user, "download", uid))


@login_required
@require_http_methods(["GET", "POST"])
def share_collection(request, slug):
    return _share_page(request, collection=get_object_or_404(
        permissions.collections_with_role(request.user, "viewer"), slug=slug))


@login_required
@require_GET
def share_links(request):
    """Every share link the person made (site admins: everyone's), to find and revoke them."""
    page = Paginator(sharing.manageable_links(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "governance/share_links.html", {
        "page": page, "links": _with_addresses(request, page.object_list),
    })


@login_required
@require_POST
def revoke_share(request, pk):
    link = get_object_or_404(sharing.manageable_links(request.user), pk=pk)
    question = confirmation_page(
        request, title=f"Revoke the share link to “{link.target}”?", button="Revoke link",
        message="Whoever has the link can no longer open it or download from it, from now on. This cannot be "
                "undone; you can make a new link later.")
    if question:
        return question
    sharing.revoke_share_link(link, actor=Actor.from_request(request))
    messages.success(request, f"The share link to “{link.target}” no longer works.")
    return redirect(back_url(request))


SHARED_PAGE_SIZE = 48


@require_GET
def shared(request, token):
    """What a share link shows, to anyone who has it: no session needed, the link is the credential."""
    link = sharing.resolve_share(token)
    shown = sharing.shared_assets(link).select_related("current_version").prefetch_related(
        "current_version__renditions").order_by("-created_at", "-id")
    context = {"link": link, "token": token}
    if link.asset_id:
        asset = shown.first()
        context.update(asset=asset, downloads=_shared_downloads(link, token, asset))
    else:
        context["page"] = Paginator(shown, SHARED_PAGE_SIZE).get_page(request.GET.get("page"))
    response = render(request, "governance/shared.html", context)
    response["Cache-Control"] = NO_STORE
    response["Referrer-Policy"] = "no-referrer"  # the address is the credential: it must not leak to other sites
    response["X-Robots-Tag"] = "noindex"
    return response


def _shared_downloads(link, token, asset):
    version = asset.current_version if asset else None
    original = (lambda version: sharing.original_address(token, asset)) if link.include_originals else None
    return downloads(version, original_url=original,
                     rendition_url=lambda rendition: sharing.rendition_address(token, asset, rendition))


@require_GET
def shared_downloads(request, token, uid):
    """The lightbox's download menu on a shared page (the shape of the API's ``downloads``)."""
    link = sharing.resolve_share(token)
    asset = sharing.shared_asset_or_404(link, uid)
    return JsonResponse(DownloadsSerializer(_shared_downloads(link, token, asset)).data)


@refused_in_plain_text
@require_safe
def shared_rendition(request, token, uid, spec):
    link = sharing.resolve_share(token)
    asset = sharing.shared_asset_or_404(link, uid)
    if asset.current_version is None:
        raise Http404
    return serve_rendition(request, find_rendition(asset.current_version, spec), cache_control=REVALIDATE)


@refused_in_plain_text
@require_safe
def shared_original(request, token, uid):
    link = sharing.resolve_share(token)
    asset = sharing.shared_asset_or_404(link, uid)
    if not link.include_originals or asset.current_version is None:
        raise Http404
    actor = Actor(user=link.created_by, ip_address=Actor.from_request(request).ip_address)
    return serve_original(request, asset.current_version, actor=actor, via="share_link", cache_control=NO_STORE)


# People (governance.services.people): site admins add, invite and manage people; whoever is invited chooses a
# password from the link.

@site_admin_required
@require_http_methods(["GET", "POST"])
def people_list(request):
    form = NewPersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actor, password = Actor.from_request(request), form.password_or_none()
        person = people.add_person(actor=actor, username=form.cleaned_data["username"], password=password,
                                   site_admin=form.site_admin(), **form.details())
        if password:
            messages.success(request, f"{person.get_username()} can sign in now with the password you chose.")
            return redirect("governance:user", pk=person.pk)
        messages.success(request, f"{person.get_username()} was added.")
        return _person_page(request, person, invitation=_invite(request, person, actor))
    query = request.GET.get("q", "").strip()
    page = Paginator(people.people(query), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "governance/people.html", {
        "form": form, "page": page, "q": query, "query_without_page": urlencode({"q": query}) if query else "",
        "rows": [(person, people.status_of(person)) for person in page.object_list],
    }, status=400 if form.errors else 200)


def _invite(request, person, actor):
    return people.invite(person, actor=actor, site_url=request.build_absolute_uri("/"))


def _person_page(request, person, *, form=None, invitation=None):
    """The person's details form, their collection roles, and the invitation link just made (shown once)."""
    grants = CollectionRole.objects.filter(Q(user=person) | Q(group__user=person)).select_related(
        "collection", "group").order_by("collection__name")
    form = form or PersonDetailsForm(initial={
        "first_name": person.first_name, "last_name": person.last_name, "email": person.email,
        "site_role": "site_admin" if person.is_superuser else "member"})
    response = render(request, "governance/person.html", {
        "person": person, "status": people.status_of(person), "form": form, "invitation": invitation,
        "invitation_days": settings.PASSWORD_RESET_TIMEOUT // (24 * 3600), "grants": grants,
    }, status=400 if form.errors else 200)
    if invitation:
        response["Cache-Control"] = NO_STORE
    return response


@site_admin_required
@require_http_methods(["GET", "POST"])
def person_detail(request, pk):
    person = get_object_or_404(get_user_model(), pk=pk)
    form = PersonDetailsForm(request.POST) if request.method == "POST" else None
    if form is not None and form.is_valid():
        people.update_person(person, actor=Actor.from_request(request), site_admin=form.site_admin(),
                             **form.details())
        messages.success(request, f"Saved {person.get_username()}'s details.")
        return redirect("governance:user", pk=person.pk)
    return _person_page(request, person, form=form)


@site_admin_required
@require_POST
def person_invitation(request, pk):
    """A new one-time link for the person to choose a password, shown here (and mailed if they have an address)."""
    person = get_object_or_404(get_user_model(), pk=pk)
    return _person_page(request, person, invitation=_invite(request, person, Actor.from_request(request)))


@site_admin_required
@require_POST
def person_active(request, pk):
    person = get_object_or_404(get_user_model(), pk=pk)
    active = request.POST.get("active") == "yes"
    if not active:
        question = confirmation_page(
            request, title=f"Deactivate {person.get_username()}?", button="Deactivate",
            message=f"{person.get_username()} can no longer sign in or use an API token, and the share links they "
                    "made stop showing anything. Their uploads, roles and history stay; you can reactivate them.")
        if question:
            return question
    people.set_active(person, active, actor=Actor.from_request(request))
    messages.success(request, f"{person.get_username()} is {'active again' if active else 'deactivated'}.")
    return redirect("governance:user", pk=person.pk)


@require_http_methods(["GET", "POST"])
def accept_invitation(request, uidb64, token):
    """No session needed: the link is the credential, once (``people.invited_person``)."""
    person = people.invited_person(uidb64, token)
    form = SetPasswordForm(person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        people.accept_invitation(person, form.cleaned_data["new_password1"],
                                 actor=Actor(user=person, ip_address=Actor.from_request(request).ip_address))
        login(request, person, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {person.get_full_name() or person.get_username()}: your password is set.")
        return redirect("assets:library")
    response = render(request, "governance/invitation.html", {"person": person, "form": form},
                      status=400 if form.errors else 200)
    response["Cache-Control"] = NO_STORE
    # The address is the credential: never sent to other sites; same-origin, not no-referrer, so the form's POST
    # keeps its Origin header and passes the CSRF check.
    response["Referrer-Policy"] = "same-origin"
    return response
