"""Enrichment endpoints: ask the permission gate, call the label services, serialize the summary."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from assets import permissions
from assets.services.audit import Actor
from enrichment.api.serializers import ConceptInputSerializer, EnrichmentSerializer, LabelDecisionSerializer
from enrichment.services import add_label, reject_label, undo_rejection
from enrichment.summary import summarise
from ontology.models import Concept


def visible_asset(request, uid):
    return get_object_or_404(permissions.visible_assets(request.user).select_related("current_version"), uid=uid)


def changeable_asset(request, uid):
    asset = visible_asset(request, uid)
    if not permissions.can_change(request.user, asset):
        raise PermissionDenied("You may not change this asset's labels.")
    return asset


class EnrichmentView(APIView):
    @extend_schema(responses=EnrichmentSerializer, summary="What the models found on the current version")
    def get(self, request, uid):
        summary = summarise(visible_asset(request, uid))
        if summary is None:
            raise NotFound("This asset has no version yet.")
        return Response(EnrichmentSerializer(summary).data)


class LabelsView(APIView):
    @extend_schema(request=ConceptInputSerializer, responses={201: LabelDecisionSerializer},
                   summary="Add a label as a person")
    def post(self, request, uid):
        asset = changeable_asset(request, uid)
        given = ConceptInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        decision = add_label(asset, given.validated_data["concept"], actor=Actor.from_request(request))
        return Response(LabelDecisionSerializer(decision).data, status=201)


class RejectLabelView(APIView):
    @extend_schema(request=None, responses=LabelDecisionSerializer,
                   summary="Reject a concept: machine labels for it are hidden, now and after re-runs")
    def post(self, request, uid, concept_id):
        asset = changeable_asset(request, uid)
        concept = get_object_or_404(Concept, pk=concept_id)
        decision = reject_label(asset, concept, actor=Actor.from_request(request))
        return Response(LabelDecisionSerializer(decision).data)

    @extend_schema(request=None, responses={204: None, 404: None},
                   summary="Undo a rejection: machine labels for the concept count again")
    def delete(self, request, uid, concept_id):
        asset = changeable_asset(request, uid)
        concept = get_object_or_404(Concept, pk=concept_id)
        if not undo_rejection(asset, concept, actor=Actor.from_request(request)):
            raise NotFound("This concept was not rejected for this asset.")
        return Response(status=204)
