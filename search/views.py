"""Search pages: the search itself, concept suggestions, near-duplicates, saved searches, timeline and map."""
import itertools
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from PIL import Image

from assets import permissions
from core.audit import Actor
from core.confirm import confirmation_page
from core.throttling import throttled
from enrichment.models import Person
from governance.models import territory_name
from ontology.labels import names_of
from search import browse, duplicates, service
from search.api.serializers import SuggestionSerializer
from search.embeddings import VectorUnavailable, image_vector
from search.forms import EXPERT_FIELDS, ImageSearchForm, SavedSearchForm, SearchForm
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
    "month": "Month",
    "taken_after": "Taken from", "taken_before": "Taken until", "created_after": "Uploaded from",
    "created_before": "Uploaded until", "has_faces": "Faces", "objects": "Objects", "collection": "Collection",
    "moderation": "Moderation", "has_usage_terms": "Usage terms", "rights_status": "Rights",
    "usable_channel": "Usable for",
    "usable_territory": "Usable in", "usable_on": "Usable on", "similar_to": "Looks like", "colour": "Colour",
    "person": "Person",
}
YES_NO = {"true": "yes", "false": "no"}
CONCEPT_PARAMS = ("concept", "has_concept")
FACET_PARAMS = {"concept": "has_concept", "format": "format", "orientation": "orientation", "year": "year",
                "creator": "creator", "camera": "camera", "rights": "rights_status", "colour": "colour",
                "person": "person"}
FACET_TITLES = {"person": "People", "concept": "Concepts", "colour": "Colours", "format": "Formats",
                "orientation": "Orientation", "year": "Years", "creator": "Creators", "camera": "Cameras",
                "rights": "Usage rights"}


def _link(params, *, add=(), remove=(), view="search:search"):
    """The URL of ``view`` (the search page) for ``params`` with (key, value) pairs added or removed; always back
    to page one."""
    query = params.copy()
    query.pop("cursor", None)
    for key, value in remove:
        query.setlist(key, [v for v in query.getlist(key) if value is None or v != value])
    for key, value in add:
        if value not in query.getlist(key):
            query.appendlist(key, value)
    encoded = query.urlencode()
    return reverse(view) + (f"?{encoded}" if encoded else "")


def _chips(params, user, view="search:search"):
    """Active filters as removable chips, in words: concepts by their labels, choices by what the form calls them,
    a "looks like" asset by its title."""
    active = [(key, value) for key, values in params.lists() if key in CHIP_LABELS for value in values
              if value and not (value == "unknown" and isinstance(SearchForm.base_fields[key], forms.NullBooleanField))]
    names = names_of([value for key, value in active if key in CONCEPT_PARAMS])
    words = {key: names for key in CONCEPT_PARAMS}
    words["usable_territory"] = {value: territory_name(value) for key, value in active if key == "usable_territory"}
    for key, field in SearchForm.base_fields.items():
        if isinstance(field, forms.NullBooleanField):
            words[key] = YES_NO
        elif hasattr(field, "choices"):
            words[key] = {str(value): str(label) for value, label in field.choices}
    looks_like = [value for key, value in active if key == "similar_to" and permissions.is_uid(value)]
    words["similar_to"] = {str(uid): str(asset) for uid, asset in (
        (asset.uid, asset) for asset in permissions.visible_assets(user).filter(uid__in=looks_like))}
    person_ids = [int(value) for key, value in active if key == "person" and value.isdigit()]
    words["person"] = {str(p.pk): str(p) for p in Person.objects.filter(pk__in=person_ids)} if person_ids else {}
    return [{"label": f"{CHIP_LABELS[key]}: {words.get(key, {}).get(value, value)}",
             "remove_url": _link(params, remove=[(key, value), ("from", None)], view=view)} for key, value in active]


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
        if not match.ambiguous or match.related:
            continue
        others = [("concept", s.concept_id) for s in match.senses]
        choices.append({
            "phrase": match.phrase,
            "senses": [{"label": s.name, "definition": s.definition, "count": counts.get(s.concept_id, 0),
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
        "chips": _chips(params, request.user),
        "restart_url": _link(params),
        "as_typed_url": _link(params, add=[("as_typed", "true")]),
        "corrected_url": _link(params, remove=[("as_typed", value) for value in params.getlist("as_typed")]),
        "expert_fields": EXPERT_FIELDS,
        "expert_open": any(params.get(name) for name in EXPERT_FIELDS),
        "next_url": f"?{_with_cursor(params, results.next_cursor)}" if results and results.next_cursor else "",
        "count_url": _link(params, view="search:count") if results and results.total is None else "",
        "facets_url": _link(params, view="search:facets") if results and results.facets_deferred else "",
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
@throttled("search")
def search(request):
    form = SearchForm(request.GET)
    if not request.GET or not form.is_valid():
        return _render_results(request, form, None, {})
    results, facets = service.search_with_facets(form.to_query(), request.user, browsing_facets_later=True)
    return _render_results(request, form, results, facets)


@login_required
@require_GET
@throttled("user")
def facets(request):
    """The facets of a search page shown before them (browsing): the sidebar's HTML when the page asks for it
    (``X-Fragment``), a page of their own without scripts."""
    form = SearchForm(request.GET)
    if not form.is_valid():
        return render(request, "search/facets.html", {"form_errors": True}, status=400)
    groups = _facet_groups(request.GET, service.facets_of(form.to_query(), request.user))
    fragment = request.headers.get("X-Fragment") == "facets"
    return render(request, "search/_facets.html" if fragment else "search/facets.html",
                  {"facet_groups": groups, "back_url": _link(request.GET)})


@login_required
@require_GET
@throttled("user")
def count(request):
    """How many results a search has, for a page shown before its total was counted (browsing a large library
    with filters): asked for by the page once it is on screen, with the same parameters."""
    form = SearchForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    total = service.count_hits(form.to_query(), request.user, settings.LUMEN_SEARCH_BUDGET_MS)
    shown, exact = service.shown_total(total), service.total_is_exact(total)
    words = "Too many results to count" if total is None else \
        f"{shown:,}{'' if exact else '+'} result{pluralize(total)}"
    return JsonResponse({"count": shown, "count_is_exact": exact, "words": words})


@login_required
@require_POST
@throttled("search")
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
    found = service.suggest_concepts(request.GET.get("q", ""), request.user)
    return JsonResponse({"suggestions": SuggestionSerializer(found, many=True).data})


@login_required
@require_GET
def duplicate_groups(request):
    return render(request, "search/duplicates.html", {
        "groups": duplicates.duplicate_groups(request.user), "max_distance": duplicates.MAX_DISTANCE,
    })


@login_required
@require_POST
def keep_duplicate(request):
    """Two steps: the chosen one and the images to trash are shown for confirmation (only those the person
    may change are offered); the confirmed form moves them to the trash."""
    visible = permissions.visible_assets(request.user)
    kept = get_object_or_404(visible, uid=permissions.uid_or_404(request.POST.get("keep")))
    if request.POST.get("confirm") == "yes":
        others = list(visible.filter(uid__in=_uids(request.POST.getlist("trash"))).exclude(pk=kept.pk))
        trashed = duplicates.keep_one(kept, others, actor=Actor.from_request(request))
        messages.success(request, f"Kept “{kept}”; moved {len(trashed)} near-duplicate"
                                  f"{'s' * (len(trashed) != 1)} to the trash (restorable from the trash).")
        return redirect("search:duplicates")
    group = next((g for g in duplicates.duplicate_groups(request.user) if kept in g.assets), None)
    if group is None:
        messages.error(request, f"“{kept}” has no near-duplicates any more.")
        return redirect("search:duplicates")
    others = [asset for asset in group.assets if asset.pk != kept.pk]
    return render(request, "search/duplicates_confirm.html", {
        "kept": kept, "trash": [a for a in others if a.pk in group.trashable],
        "untouchable": [a for a in others if a.pk not in group.trashable],
    })


def _uids(values):
    return [value for value in values if _is_uuid(value)]


def _is_uuid(value):
    try:
        permissions.uid_or_404(value)
    except Http404:
        return False
    return True


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
    return render(request, "search/saved.html", {"saved_searches": [
        (saved, _in_words(search_data(saved.params), request.user)) for saved in request.user.saved_searches.all()
    ]})


def _in_words(params, user):
    """A search's parameters as a person reads them: the words searched for, then each filter."""
    return [f"“{text}”" for text in params.getlist("q") if text] + [chip["label"] for chip in _chips(params, user)]


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
    question = confirmation_page(request, title=f"Delete the saved search “{saved.name}”?", button="Delete",
                                 message="Only the saved search goes; no image is touched.")
    if question:
        return question
    delete_saved_search(saved, actor=Actor.from_request(request))
    messages.success(request, f"Deleted “{saved.name}”.")
    return redirect("search:saved")


@login_required
@require_GET
@throttled("search")
def timeline(request):
    """The hits by month, newest first: a few months a page with their newest images, and a scrubber of every
    month (years and months, with counts) that jumps to any of them."""
    form = SearchForm(request.GET)
    context = {"form": form, "chips": _chips(request.GET, request.user, "search:timeline"), "months": [], "years": []}
    if form.is_valid():
        query = form.to_query()
        every = browse.months(query, request.user)
        start = request.GET.get("from", "")
        first = next((i for i, m in enumerate(every) if m.month <= start), 0) if start else 0
        shown = browse.with_images(query, request.user, every[first:first + browse.MONTHS_PER_PAGE])
        context.update(
            months=shown, total=sum(m.count for m in every), month_count=len(every),
            years=[(year, list(group)) for year, group in itertools.groupby(every, key=lambda m: m.year)],
            position=first,
            newer_url=_browse_link(request, "timeline", every[max(first - browse.MONTHS_PER_PAGE, 0)].month)
            if first else "",
            older_url=_browse_link(request, "timeline", every[first + browse.MONTHS_PER_PAGE].month)
            if first + browse.MONTHS_PER_PAGE < len(every) else "",
        )
        for month in every:
            month.url = _browse_link(request, "timeline", month.month)
        for month in shown:
            month.search_url = _link(request.GET, remove=[("from", None)], add=[("month", month.month)])
    return render(request, "search/timeline.html", context)


def _browse_link(request, name, month):
    query = request.GET.copy()
    query["from"] = month
    return f"{reverse(f'search:{name}')}?{query.urlencode()}"


@login_required
@require_GET
def place_map(request):
    """The hits with a GPS position on a map (Leaflet, vendored), clustered per grid cell by the places API."""
    params = request.GET.urlencode()
    response = render(request, "search/map.html", {
        "form": SearchForm(request.GET), "chips": _chips(request.GET, request.user, "search:map"),
        "places_url": reverse("search-api:places") + (f"?{params}" if params else ""),
        "tile_url": settings.LUMEN_MAP_TILE_URL, "tile_attribution": settings.LUMEN_MAP_TILE_ATTRIBUTION,
    })
    tiles = urlsplit(settings.LUMEN_MAP_TILE_URL)
    if settings.LUMEN_CSP and tiles.scheme and tiles.netloc:  # the tiles' host may serve images to this page
        origin = f"{tiles.scheme}://{tiles.netloc.replace('{s}', '*')}"
        response["Content-Security-Policy"] = settings.LUMEN_CSP.replace("img-src ", f"img-src {origin} ", 1) \
            .replace("{nonce}", request.csp_nonce)
    return response
