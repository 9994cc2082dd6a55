"""Search pages: the search itself, concept suggestions, near-duplicates and saved searches."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from PIL import Image

from assets import permissions
from assets.services.audit import Actor
from governance.services import ActionRefused
from ontology.models import Concept
from search import duplicates, service
from search.embeddings import VectorUnavailable, image_vector
from search.forms import ImageSearchForm, SavedSearchForm, SearchForm
from search.saved_searches import (
    delete_saved_search,
    own_saved_search,
    save_search,
    search_data,
    search_params,
)

# Parameters shown as removable chips, with the label the chip starts with.
CHIP_LABELS = {
    "concept": "Concept", "has_concept": "Labelled", "title": "Title has", "ocr": "Text in image",
    "creator": "Creator", "camera": "Camera", "format": "Format", "orientation": "Orientation", "year": "Year",
    "taken_after": "Taken from", "taken_before": "Taken until", "created_after": "Uploaded from",
    "created_before": "Uploaded until", "has_faces": "Faces", "objects": "Objects", "collection": "Collection",
    "moderation": "Moderation", "has_usage_terms": "Usage terms", "rights_status": "Rights",
    "usable_channel": "Usable for",
    "usable_territory": "Usable in", "usable_on": "Usable on", "similar_to": "More like",
}
CONCEPT_PARAMS = ("concept", "has_concept")
FACET_PARAMS = {"concept": "has_concept", "format": "format", "orientation": "orientation", "year": "year",
                "creator": "creator", "camera": "camera", "rights": "rights_status"}
FACET_TITLES = {"concept": "Concepts", "format": "Formats", "orientation": "Orientation", "year": "Years",
                "creator": "Creators", "camera": "Cameras", "rights": "Usage rights"}


def _link(params, *, add=(), remove=()):
    """The search URL for ``params`` with (key, value) pairs added or removed; always back to page one."""
    query = params.copy()
    query.pop("cursor", None)
    for key, value in remove:
        query.setlist(key, [v for v in query.getlist(key) if value is None or v != value])
    for key, value in add:
        if value not in query.getlist(key):
            query.appendlist(key, value)
    encoded = query.urlencode()
    return reverse("search:search") + (f"?{encoded}" if encoded else "")


def _chips(params):
    """Active filters as removable chips; concept ids are shown by their labels."""
    active = [(key, value) for key, values in params.lists() if key in CHIP_LABELS
              for value in values if value not in ("", "unknown")]
    ids = [value for key, value in active if key in CONCEPT_PARAMS]
    labels = dict(Concept.objects.filter(pk__in=ids).values_list("pk", "pref_label")) if ids else {}
    return [{"label": f"{CHIP_LABELS[key]}: {labels.get(value, value)}",
             "remove_url": _link(params, remove=[(key, value)])} for key, value in active]


def _facet_groups(params, facets):
    groups = []
    for facet, title in FACET_TITLES.items():
        param = FACET_PARAMS[facet]
        values = [
            {"label": v.label, "count": v.count, "approximate": v.approximate, "active": v.value in params.getlist(param),
             "url": _link(params, remove=[(param, v.value)]) if v.value in params.getlist(param)
             else _link(params, add=[(param, v.value)])}
            for v in facets.get(facet, [])
        ]
        if values:
            groups.append({"title": title, "values": values})
    return groups


def _sense_choices(params, results, facets):
    """Per ambiguous phrase, its senses as chips: picking one narrows the search to it."""
    counts = {v.value: v.count for v in facets.get("sense", [])}
    choices = []
    for match in results.interpretation.matches:
        if not match.ambiguous:
            continue
        others = [("concept", s.concept_id) for s in match.senses]
        choices.append({
            "phrase": match.phrase,
            "senses": [{"label": s.label, "definition": s.definition, "count": counts.get(s.concept_id, 0),
                        "chosen": match.chosen == s.concept_id,
                        "url": _link(params, remove=others, add=[("concept", s.concept_id)])}
                       for s in match.senses],
            "all_url": _link(params, remove=others) if match.chosen else None,
        })
    return choices


def _render_results(request, form, results, facets, **extra):
    params = request.GET
    return render(request, "search/search.html", {
        "form": form,
        "results": results,
        "hits": results.hits if results else [],
        "facet_groups": _facet_groups(params, facets) if results else [],
        "sense_choices": _sense_choices(params, results, facets) if results else [],
        "chips": _chips(params),
        "next_url": f"?{_with_cursor(params, results.next_cursor)}" if results and results.next_cursor else "",
        "saved_form": SavedSearchForm(),
        "image_form": ImageSearchForm(),
        **extra,
    })


def _with_cursor(params, cursor):
    query = params.copy()
    query["cursor"] = cursor
    return query.urlencode()


@login_required
@require_GET
def search(request):
    form = SearchForm(request.GET)
    if not request.GET or not form.is_valid():
        return _render_results(request, form, None, {})
    results, facets = service.search_with_facets(form.to_query(), request.user)
    return _render_results(request, form, results, facets)


@login_required
@require_POST
def image_search(request):
    """Search by an uploaded image: its similarity vector ranks the (filtered) library."""
    form = SearchForm(request.GET)
    image_form = ImageSearchForm(request.POST, request.FILES)
    if not (form.is_valid() and image_form.is_valid()):
        return _render_results(request, form, None, {}, image_form=image_form)
    try:
        with Image.open(image_form.cleaned_data["image"]) as image:
            vector = image_vector(image)
    except VectorUnavailable as exc:
        messages.error(request, str(exc))
        return _render_results(request, form, None, {})
    query = form.to_query()
    query.vector = vector
    results, facets = service.search_with_facets(query, request.user)
    return _render_results(request, form, results, facets, image_search=True)


@login_required
@require_GET
def suggest(request):
    """Concepts for the words typed so far, with how many visible assets each would find."""
    return JsonResponse({"suggestions": [
        {"id": s.concept_id, "label": s.label, "matched": s.matched, "definition": s.definition, "count": s.count,
         "more": s.more}
        for s in service.suggest_concepts(request.GET.get("q", ""), request.user)
    ]})


@login_required
@require_http_methods(["GET", "POST"])
def duplicate_groups(request):
    if request.method == "POST":
        kept = get_object_or_404(permissions.visible_assets(request.user), uid=request.POST.get("keep"))
        others = list(permissions.visible_assets(request.user).filter(uid__in=request.POST.getlist("group"))
                      .exclude(pk=kept.pk))
        try:
            duplicates.keep_one(kept, others, actor=Actor.from_request(request))
        except (ValueError, PermissionDenied, ActionRefused) as exc:
            messages.error(request, getattr(exc, "message", None) or str(exc) or "You may not trash these assets.")
        else:
            messages.success(request, f"Kept “{kept}”; moved {len(others)} duplicate{'s' * (len(others) != 1)} "
                                      "to the trash.")
        return redirect("search:duplicates")
    return render(request, "search/duplicates.html", {
        "groups": duplicates.duplicate_groups(request.user), "max_distance": duplicates.MAX_DISTANCE,
    })


@login_required
@require_http_methods(["GET", "POST"])
def saved_searches(request):
    if request.method == "POST":
        form = SavedSearchForm(request.POST)
        params = search_params(request.GET)
        if form.is_valid() and SearchForm(search_data(params)).is_valid():
            saved = save_search(request.user, form.cleaned_data["name"], params, actor=Actor.from_request(request))
            messages.success(request, f"Saved “{saved.name}”.")
        else:
            messages.error(request, "Give the search a name (and valid parameters) to save it.")
        return redirect(_link(request.GET))
    return render(request, "search/saved.html", {"saved_searches": request.user.saved_searches.all()})


@login_required
@require_GET
def run_saved_search(request, pk):
    """A saved search opens as a live search: its parameters in the search page's URL."""
    saved = own_saved_search(request.user, pk)
    return redirect(_link(search_data(saved.params)))


@login_required
@require_POST
def delete_saved(request, pk):
    saved = own_saved_search(request.user, pk)
    delete_saved_search(saved, actor=Actor.from_request(request))
    messages.success(request, f"Deleted “{saved.name}”.")
    return redirect("search:saved")
