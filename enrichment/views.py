"""Label review on the asset page: thin POST views over the label services, back to the page with a message."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from assets import permissions
from assets.services.audit import Actor
from enrichment.forms import AddLabelForm
from enrichment.services import add_label, reject_label, undo_rejection
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
