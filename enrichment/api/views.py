"""Enrichment endpoints: ask the permission gate, call the label and people services, serialize the results."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.api.mixins import AssetForActionMixin
from assets.models import Asset
from assets.permissions import collections_with_role
from core.audit import Actor
from enrichment.api.serializers import (
    ConceptInputSerializer,
    EnrichmentSerializer,
    FaceRecognitionSerializer,
    FaceSerializer,
    LabelDecisionSerializer,
    MergeSerializer,
    PersonNameSerializer,
    PersonSerializer,
    SplitSerializer,
)
from enrichment.services import add_label, people, reject_label, undo_rejection
from enrichment.summary import summarise
from ontology.models import Concept


class EnrichmentAPIView(AssetForActionMixin, APIView):
    def asset_queryset(self):
        return Asset.objects.select_related("current_version")


class EnrichmentView(EnrichmentAPIView):
    @extend_schema(responses=EnrichmentSerializer, summary="What the models found on the current version")
    def get(self, request, uid):
        summary = summarise(self.asset_for(uid, "view"))
        if summary is None:
            raise NotFound("This asset has no version yet.")
        return Response(EnrichmentSerializer(summary).data)


class LabelsView(EnrichmentAPIView):
    @extend_schema(request=ConceptInputSerializer, responses={201: LabelDecisionSerializer},
                   summary="Add a label as a person")
    def post(self, request, uid):
        asset = self.asset_for(uid, "change")
        given = ConceptInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        decision = add_label(asset, given.validated_data["concept"], actor=Actor.from_request(request))
        return Response(LabelDecisionSerializer(decision).data, status=201)


class RejectLabelView(EnrichmentAPIView):
    @extend_schema(request=None, responses=LabelDecisionSerializer,
                   summary="Reject a concept: machine labels for it are hidden, now and after re-runs")
    def post(self, request, uid, concept_id):
        asset = self.asset_for(uid, "change")
        concept = get_object_or_404(Concept, pk=concept_id)
        decision = reject_label(asset, concept, actor=Actor.from_request(request))
        return Response(LabelDecisionSerializer(decision).data)

    @extend_schema(request=None, responses={204: None, 404: None},
                   summary="Undo a rejection: machine labels for the concept count again")
    def delete(self, request, uid, concept_id):
        asset = self.asset_for(uid, "change")
        concept = get_object_or_404(Concept, pk=concept_id)
        if not undo_rejection(asset, concept, actor=Actor.from_request(request)):
            raise NotFound("This concept was not rejected for this asset.")
        return Response(status=204)


class PeopleView(APIView):
    """People with a face in images you may see, most photographed first."""

    @extend_schema(responses=PersonSerializer(many=True))
    def get(self, request):
        return Response(PersonSerializer(people.visible_people(request.user), many=True,
                                         context={"request": request}).data)


class PersonView(APIView):
    """One person: read, rename (PATCH ``{"name"}``), delete (their face descriptors go with them)."""

    def respond(self, request, pk, status=200):
        return Response(PersonSerializer(people.person_or_404(request.user, pk), context={"request": request}).data,
                        status=status)

    @extend_schema(responses=PersonSerializer)
    def get(self, request, pk):
        return self.respond(request, pk)

    @extend_schema(request=PersonNameSerializer, responses=PersonSerializer)
    def patch(self, request, pk):
        body = PersonNameSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        people.rename_person(people.person_or_404(request.user, pk), body.validated_data["name"],
                             actor=Actor.from_request(request))
        return self.respond(request, pk)

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        people.delete_person(people.person_or_404(request.user, pk), actor=Actor.from_request(request))
        return Response(status=204)


class PersonFacesView(APIView):
    @extend_schema(responses=FaceSerializer(many=True), summary="The person's faces in images you may see")
    def get(self, request, pk):
        person = people.person_or_404(request.user, pk)
        faces = people.visible_faces(request.user).filter(person=person).select_related("version__asset")
        return Response(FaceSerializer(faces.order_by("pk"), many=True, context={"request": request}).data)


class PersonMergeView(APIView):
    @extend_schema(request=MergeSerializer, responses=PersonSerializer,
                   summary="The listed people are this person too: their faces move here and they go")
    def post(self, request, pk):
        body = MergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        visible = people.visible_people(request.user)
        others = list(visible.filter(pk__in=body.validated_data["people"]))
        if len(others) < len(set(body.validated_data["people"]) - {pk}):
            raise NotFound("One of those people does not exist or has no face you can see.")
        person = people.merge_people(people.person_or_404(request.user, pk), others, actor=Actor.from_request(request))
        return Response(PersonSerializer(people.person_or_404(request.user, person.pk),
                                         context={"request": request}).data)


class PersonSplitView(APIView):
    @extend_schema(request=SplitSerializer, responses={201: PersonSerializer},
                   summary="The listed faces are someone else: they become a new person")
    def post(self, request, pk):
        body = SplitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        new = people.split_person(people.person_or_404(request.user, pk), body.validated_data["faces"],
                                  actor=Actor.from_request(request), name=body.validated_data["name"])
        return Response(PersonSerializer(people.person_or_404(request.user, new.pk),
                                         context={"request": request}).data, status=201)


class FaceRecognitionView(APIView):
    """Face recognition of a collection (opt-in; its admins only): PUT ``{"enabled": false}`` deletes the
    descriptors of its images."""

    def collection(self, request, slug):
        return get_object_or_404(collections_with_role(request.user, "admin"), slug=slug)

    @extend_schema(responses=FaceRecognitionSerializer)
    def get(self, request, slug):
        collection = self.collection(request, slug)
        return Response({"collection": collection.slug, "enabled": people.is_recognised(collection)})

    @extend_schema(request=FaceRecognitionSerializer, responses=FaceRecognitionSerializer)
    def put(self, request, slug):
        collection = self.collection(request, slug)
        body = FaceRecognitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        people.set_face_recognition(collection, body.validated_data["enabled"], actor=Actor.from_request(request))
        return Response({"collection": collection.slug, "enabled": people.is_recognised(collection)})
