"""Label review on the asset page (thin POST views over the label services, back to the page with a message),
and the people pages."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assets import permissions
from core.audit import Actor
from enrichment.forms import AddLabelForm
from enrichment.services import add_label, people, reject_label, undo_rejection
from enrichment.services.face_crops import face_crop
from ontology.models import Concept


def _asset_and_concept(request, uid, concept_id):
    return permissions.asset_for_action_or_404(request.user, "change", uid), get_object_or_404(Concept, pk=concept_id)


def _back_to_labels(asset):
    return redirect(f"{reverse('assets:detail', kwargs={'uid': asset.uid})}#enrichment-heading")


@login_required
@require_POST
def add(request, uid):
    asset = permissions.asset_for_action_or_404(request.user, "change", uid)
    form = AddLabelForm(request.POST)
    if form.is_valid():
        concept = form.cleaned_data["concept"]
        add_label(asset, concept, actor=Actor.from_request(request))
        messages.success(request, f"Label “{concept.pref_label}” added.")
    else:
        messages.error(request, " ".join(form.errors["concept"]))
    return _back_to_labels(asset)


@login_required
@require_POST
def reject(request, uid, concept_id):
    asset, concept = _asset_and_concept(request, uid, concept_id)
    reject_label(asset, concept, actor=Actor.from_request(request))
    messages.success(request, f"“{concept.pref_label}” rejected: search leaves it out for this asset.")
    return _back_to_labels(asset)


@login_required
@require_POST
def undo_reject(request, uid, concept_id):
    asset, concept = _asset_and_concept(request, uid, concept_id)
    if undo_rejection(asset, concept, actor=Actor.from_request(request)):
        messages.success(request, f"“{concept.pref_label}” counts again.")
    else:
        messages.info(request, f"“{concept.pref_label}” was not rejected.")
    return _back_to_labels(asset)


# ---------------------------------------------------------------------- people


@login_required
@require_GET
def people_list(request):
    return render(request, "enrichment/people.html", {
        "people": people.visible_people(request.user),
        "collections": [(collection, people.is_recognised(collection))
                        for collection in permissions.collections_with_role(request.user, "admin").order_by("name")],
    })


@login_required
@require_GET
def person_detail(request, pk):
    person = people.person_or_404(request.user, pk)
    faces = (people.visible_faces(request.user).filter(person=person)
             .select_related("version__asset").order_by("-version__created_at", "pk"))
    others = people.visible_people(request.user).exclude(pk=person.pk)
    return render(request, "enrichment/person.html", {
        "person": person, "faces": faces, "others": others, "may_manage": people.may_manage(request.user, person),
        "search_url": f"{reverse('search:search')}?person={person.pk}",
    })


@login_required
@require_POST
def rename_person(request, pk):
    person = people.person_or_404(request.user, pk)
    people.rename_person(person, request.POST.get("name", ""), actor=Actor.from_request(request))
    messages.success(request, f"Named “{person}”." if person.name else "The name was removed.")
    return redirect("enrichment:person", pk=person.pk)


@login_required
@require_POST
def merge_person(request, pk):
    person = people.person_or_404(request.user, pk)
    visible = people.visible_people(request.user)
    others = list(visible.filter(pk__in=[v for v in request.POST.getlist("people") if v.isdigit()]))
    people.merge_people(person, others, actor=Actor.from_request(request))
    messages.success(request, f"Merged {len(others)} into “{person}”.")
    return redirect("enrichment:person", pk=person.pk)


@login_required
@require_POST
def split_person(request, pk):
    person = people.person_or_404(request.user, pk)
    faces = [v for v in request.POST.getlist("faces") if v.isdigit()]
    new = people.split_person(person, faces, actor=Actor.from_request(request), name=request.POST.get("name", ""))
    messages.success(request, f"Moved {len(faces)} face{'s' * (len(faces) != 1)} to “{new}”.")
    return redirect("enrichment:person", pk=new.pk)


@login_required
@require_http_methods(["GET", "POST"])
def delete_person(request, pk):
    """GET asks for confirmation (the person's face descriptors go with them); POST deletes."""
    person = people.person_or_404(request.user, pk)
    if request.method == "GET":
        return render(request, "enrichment/person_delete.html", {"person": person})
    people.delete_person(person, actor=Actor.from_request(request))
    messages.success(request, f"Deleted “{person}” and their face descriptors.")
    return redirect("enrichment:people")


@login_required
@require_http_methods(["GET", "POST"])
def collection_face_recognition(request, slug):
    """POST ``enabled=on|off``; turning it off (which deletes descriptors) is confirmed on a page first."""
    collection = get_object_or_404(permissions.collections_with_role(request.user, "admin"), slug=slug)
    enabled = request.POST.get("enabled") == "on"
    if request.method == "GET" or (not enabled and request.POST.get("confirm") != "yes"):
        return render(request, "enrichment/recognition_off.html", {"collection": collection})
    count = people.set_face_recognition(collection, enabled, actor=Actor.from_request(request))
    if enabled:
        messages.success(request, f"Face recognition is on for “{collection}”: {count} image{'s' * (count != 1)} "
                                  "queued; people appear as they are recognised.")
    else:
        messages.success(request, f"Face recognition is off for “{collection}”; face descriptors of "
                                  f"{count} face{'s' * (count != 1)} were deleted.")
    return redirect("enrichment:people")


@login_required
@require_GET
def face_image(request, pk):
    """A square crop around one face, from the image's largest preview; only for those who may see the image."""
    face = get_object_or_404(people.visible_faces(request.user).select_related("version"), pk=pk)
    crop = face_crop(face)
    if crop is None:
        raise Http404("No preview of this image yet.")
    response = HttpResponse(crop, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response
