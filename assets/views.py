"""Browser pages: parse the request, call the permission gate or a service, render."""
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Prefetch, Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assets import jsonld, permissions
from assets.filtersets import DEFAULT_ORDERING, AssetFilter
from assets.forms import CollectionForm, MetadataForm, NewVersionForm, UploadForm
from assets.models import Asset, AssetVersion, Rendition, taken_at
from assets.pagination import KEYSET_ORDERINGS, CappedPaginator, InvalidCursor, keyset_page
from assets.services import waiting
from assets.services.collections import create_collection
from assets.services.downloads import downloads
from assets.services.editing import edit_metadata
from assets.services.ingest import add_version, ingest_file, restore_version
from assets.signals import lookalikes
from assets.templatetags.asset_images import rendition_url, with_thumbnails
from core.audit import Actor
from core.refusals import Refused
from core.throttling import throttled

LIBRARY_PAGE_SIZE = 48


def _with_current_renditions(queryset):
    """The asset page's asset: its rights, and every column of its renditions (the downloads show sizes)."""
    return queryset.select_related("current_version", "usage_rights").prefetch_related(
        Prefetch("current_version__renditions", queryset=Rendition.objects.order_by("format", "width", "spec"))
    )


def _visible_asset_or_404(request, uid):
    return get_object_or_404(_with_current_renditions(permissions.visible_assets(request.user)), uid=uid)


def _changeable_asset_or_404(request, uid):
    return permissions.asset_for_action_or_404(request.user, "change", uid,
                                               _with_current_renditions(Asset.objects.all()))


def _require_upload_permission(request, collections=()):
    if not all(permissions.can_upload(request.user, c) for c in collections or (None,)):
        raise PermissionDenied


@login_required
@require_GET
def library(request):
    """The grid: a capped total, and keyset pages (``cursor``) for orderings an index serves, so the page
    costs the same at a million assets; page numbers (``page``) for the others."""
    queryset = with_thumbnails(permissions.visible_assets(request.user)).select_related("usage_rights")
    filterset = AssetFilter(request.GET, queryset=queryset, request=request)
    assets = filterset.qs
    ordering = filterset.values.get("ordering") or DEFAULT_ORDERING
    by_cursor = ordering in KEYSET_ORDERINGS and "page" not in request.GET
    paginator = CappedPaginator(assets, LIBRARY_PAGE_SIZE,
                                time_budget_ms=settings.LUMEN_COUNT_BUDGET_MS if by_cursor else None)
    query = request.GET.copy()
    query.pop("page", None)
    cursor = query.pop("cursor", [None])[0]
    page, next_cursor = None, None
    if by_cursor:
        try:
            shown, next_cursor = keyset_page(assets, ordering, cursor, LIBRARY_PAGE_SIZE)
        except InvalidCursor:
            raise Refused("This page link is out of date; start again from the first page.", code="invalid_cursor",
                          status=404, expert_details=f"cursor={cursor!r}") from None
    else:
        page = paginator.get_page(request.GET.get("page"))
        shown = page.object_list
    return render(request, "assets/library.html", {
        "filter": filterset,
        "paginator": paginator,
        "page": page,
        "assets": shown,
        "next_cursor": next_cursor,
        "after_first_page": bool(cursor),
        "query_without_page": query.urlencode(),
    })


def _ld_json_script(data):
    """Schema.org JSON-LD, escaped like ``json_script`` so metadata text cannot close the tag."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(
        {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}
    )
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))


def _render_detail(request, asset, *, version_form=None, metadata_form=None, status=200):
    current = asset.current_version
    metadata = current.metadata if current else {}
    return render(request, "assets/detail.html", {
        "asset": asset,
        "collections": permissions.collections_with_role(request.user, "viewer").filter(assets=asset),
        "current": current,
        "metadata": metadata,
        "camera": jsonld.camera_name(metadata.get("camera_make"), metadata.get("camera_model")),
        "taken_at": taken_at(metadata),
        "raw_metadata": current.raw_metadata if current else {},
        "versions": asset.versions.select_related("created_by").order_by("-number"),
        "downloads": downloads(current, rendition_url=rendition_url, original_url=_original_url),
        "version_form": version_form or NewVersionForm(),
        "metadata_form": metadata_form or MetadataForm(instance=asset),
        "can_change": permissions.can_change(request.user, asset),
        "wait": waiting.wait_for(asset),
        "jsonld_script": _ld_json_script(jsonld.image_object(asset, request)),
    }, status=status)


def _original_url(version):
    return reverse("assets:original", kwargs={"uid": version.asset.uid, "number": version.number})


@login_required
@require_GET
def detail(request, uid):
    return _render_detail(request, _visible_asset_or_404(request, uid))


@login_required
@require_GET
def status(request, uid):
    """Polled by the asset page while previews are being made."""
    asset = get_object_or_404(permissions.visible_assets(request.user), uid=uid)
    wait = waiting.wait_for(asset)
    return JsonResponse({
        "status": asset.status,
        "status_detail": asset.status_detail,
        "done": asset.status != Asset.Status.PROCESSING,
        "waiting": wait.as_dict() if wait else None,
    })


MAX_POLLED_TILES = 200  # more than a library page shows (LIBRARY_PAGE_SIZE)


@login_required
@require_GET
def library_count(request):
    """How many assets the library's filters match, for a grid shown before its total was counted (the count
    ran past ``LUMEN_COUNT_BUDGET_MS``): asked for by the page once it is on screen, with the same filters."""
    filterset = AssetFilter(request.GET, queryset=permissions.visible_assets(request.user), request=request)
    paginator = CappedPaginator(filterset.qs.order_by(), LIBRARY_PAGE_SIZE)
    return JsonResponse({"count": paginator.capped_count, "count_is_exact": paginator.count_is_exact,
                         "words": f"{paginator.shown_count} asset{pluralize(paginator.count)}"})


@login_required
@require_GET
def statuses(request):
    """Polled by the library grid while some tiles wait for previews: which of those assets are done, and how
    long the others will likely wait."""
    uids = [value for value in request.GET.getlist("uid")[:MAX_POLLED_TILES] if permissions.is_uid(value)]
    rows = permissions.visible_assets(request.user).filter(uid__in=uids).values_list("uid", "status")
    done = [str(uid) for uid, status in rows if status != Asset.Status.PROCESSING]
    waits = waiting.waits(uid for uid, status in rows if status == Asset.Status.PROCESSING)
    return JsonResponse({"done": done, "waiting": {uid: wait.as_dict() for uid, wait in waits.items()}})


@login_required
@require_POST
@throttled("upload")
def new_version(request, uid):
    asset = _changeable_asset_or_404(request, uid)
    form = NewVersionForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_detail(request, asset, version_form=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        version = add_version(asset, upload, filename=upload.name, actor=Actor.from_request(request),
                              comment=form.cleaned_data["comment"])
    except Refused as exc:
        form.add_error("file", exc.message)
        return _render_detail(request, asset, version_form=form, status=exc.status)
    messages.success(request, f"Version {version.number} uploaded; previews are being made.")
    return redirect("assets:detail", uid=asset.uid)


@login_required
@require_POST
def edit(request, uid):
    """The asset page's "Edit details" form."""
    asset = _changeable_asset_or_404(request, uid)
    form = MetadataForm(request.POST, instance=Asset.objects.get(pk=asset.pk))
    if not form.is_valid():
        return _render_detail(request, asset, metadata_form=form, status=400)
    edit_metadata(asset, actor=Actor.from_request(request),
                  **{name: form.cleaned_data[name] for name in MetadataForm.Meta.fields})
    messages.success(request, "Details saved; downloads now carry them.")
    return redirect("assets:detail", uid=asset.uid)


@login_required
@require_POST
def restore(request, uid, number):
    asset = _changeable_asset_or_404(request, uid)
    version = get_object_or_404(AssetVersion, asset=asset, number=number)
    restore_version(asset, version, actor=Actor.from_request(request))
    messages.success(request, f"Version {version.number} is current again.")
    return redirect("assets:detail", uid=asset.uid)


def _ingest_upload(request, form):
    """Shared by the upload page and the bulk endpoint: returns the IngestResult or raises Refused."""
    _require_upload_permission(request, form.collections())
    upload = form.cleaned_data["file"]
    return ingest_file(upload, filename=upload.name, actor=Actor.from_request(request),
                       collections=form.collections(), title=form.cleaned_data["title"],
                       anonymise_faces=form.cleaned_data["anonymise_faces"], keywords=form.cleaned_data["keywords"],
                       rights=form.cleaned_data["rights"])


@login_required
@require_http_methods(["GET", "POST"])
@throttled("upload", methods=("POST",))
def upload(request):
    _require_upload_permission(request)
    if request.method == "GET":
        return render(request, "assets/upload.html", {"form": UploadForm(request.user)})
    form = UploadForm(request.user, request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "assets/upload.html", {"form": form}, status=400)
    try:
        result = _ingest_upload(request, form)
    except Refused as exc:
        form.add_error("file", exc.message)
        return render(request, "assets/upload.html", {"form": form}, status=exc.status)
    if not result.created:
        messages.info(request, result.duplicate_message)
    for lookalike in lookalikes(result.asset, request.user) if result.created else []:
        messages.warning(request, format_html("Possible duplicate of <a href=\"{}\">{}</a>: the same picture, "
                                              "perhaps re-saved or resized.",
                                              reverse("assets:detail", kwargs={"uid": lookalike.uid}), lookalike))
    return redirect("assets:detail", uid=result.asset.uid)


@login_required
@require_GET
def bulk_upload(request):
    _require_upload_permission(request)
    return render(request, "assets/bulk_upload.html", {"form": UploadForm(request.user)})


@login_required
@require_POST
@throttled("upload")
def upload_api(request):
    """One file per request, so a bulk upload shows progress per file and survives a bad one."""
    form = UploadForm(request.user, request.POST, request.FILES)
    if not form.is_valid():
        message = " ".join(error for errors in form.errors.values() for error in errors)
        return JsonResponse({"ok": False, "message": message}, status=400)
    try:
        result = _ingest_upload(request, form)
    except Refused as exc:
        return JsonResponse({"ok": False, "message": exc.message, "code": exc.code,
                             "expert_details": exc.expert_details}, status=exc.status)
    return JsonResponse({
        "ok": True,
        "url": reverse("assets:detail", kwargs={"uid": result.asset.uid}),
        "title": str(result.asset),
        "duplicate": not result.created,
        "message": result.duplicate_message,
        "possible_duplicates": [
            {"url": reverse("assets:detail", kwargs={"uid": found.uid}), "title": str(found)}
            for found in (lookalikes(result.asset, request.user) if result.created else [])
        ],
    }, status=201 if result.created else 200)


@login_required
@require_http_methods(["GET", "POST"])
def collections(request):
    form = CollectionForm(request.POST or None)
    if request.method == "POST":
        _require_upload_permission(request)  # the API's rule too: whoever may upload may start a collection
        if form.is_valid():
            collection = create_collection(form.cleaned_data["name"], actor=Actor.from_request(request),
                                           description=form.cleaned_data["description"])
            messages.success(request, f"Collection “{collection.name}” created.")
            return redirect("assets:collections")
    visible = permissions.visible_assets(request.user)
    listed = permissions.collections_with_role(request.user, "viewer").annotate(
        asset_count=Count("assets", filter=Q(assets__in=visible))
    )
    return render(request, "assets/collections.html", {"collections": listed, "form": form},
                  status=400 if form.errors else 200)
