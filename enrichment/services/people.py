"""People: which ones a user sees, and every change to them (opt-in per collection, name, merge, split, delete),
each in one transaction with its audit entry.

A user sees a person when they may see an image holding one of the person's faces, and sees only those faces.
Changing a person changes what every image of theirs says, so it needs the right to change each of them
(site admins have it); opting a collection in or out is for its admins.
"""
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver
from django.shortcuts import get_object_or_404

from assets.models import Asset, Collection
from assets.permissions import can_manage_roles, permitted_assets, visible_assets
from core import audit
from core.refusals import Refused
from enrichment.models import Capability, EnrichmentJob, FaceDescriptor, Person, RecognisedCollection
from enrichment.services.recognition import eligible_assets, forget_unrecognised
from enrichment.tasks import recognise

MAX_NAME = 200


def visible_faces(user):
    """Face descriptors on the current versions of the images ``user`` may see."""
    return FaceDescriptor.objects.filter(version_id__in=visible_assets(user).values("current_version_id"))


def visible_people(user):
    """People with a face ``user`` may see, each with ``image_count`` and ``cover`` (its best visible face's
    id), most photographed first."""
    faces = visible_faces(user)
    per_person = faces.filter(person=OuterRef("pk")).order_by()
    counted = per_person.values("person").annotate(n=Count("version", distinct=True)).values("n")
    best = per_person.order_by("-detection__score", "pk").values("pk")[:1]
    return (Person.objects.filter(pk__in=faces.values("person_id"))
            .annotate(image_count=Subquery(counted), cover=Subquery(best))
            .order_by("-image_count", "name", "pk"))


def person_or_404(user, pk):
    return get_object_or_404(visible_people(user), pk=pk)


def person_assets(person):
    return Asset.objects.filter(current_version__face_descriptors__person=person).distinct()


def may_manage(user, person):
    """Whether ``user`` may change every image holding ``person``'s faces (and so name, merge, split, delete)."""
    assets = person_assets(person)
    return permitted_assets(user, "change", assets).count() == assets.count()


def _require_manage(actor, person):
    if actor.user is not None and not may_manage(actor.user, person):
        raise PermissionDenied("You may not change this person: some of their photos are not yours to change.")


def rename_person(person, name, *, actor):
    name = " ".join(str(name).split())
    if len(name) > MAX_NAME:
        raise Refused(f"A name has at most {MAX_NAME} characters.", code="name_too_long")
    with transaction.atomic():
        _require_manage(actor, person)
        before = person.name
        person.name = name
        person.save(update_fields=["name", "updated_at"])
        audit.record(actor, "person.rename", obj=person, before={"name": before}, after={"name": name})
    return person


def merge_people(person, others, *, actor):
    """``others``' faces become ``person``'s; ``others`` go. ``person`` keeps its name, or takes the first other's."""
    others = [other for other in others if other.pk != person.pk]
    if not others:
        raise Refused("Choose another person to merge with.", code="nothing_to_merge")
    with transaction.atomic():
        for each in (person, *others):
            _require_manage(actor, each)
        moved = FaceDescriptor.objects.filter(person__in=others).update(person=person)
        if not person.name:
            person.name = next((other.name for other in others if other.name), "")
            person.save(update_fields=["name", "updated_at"])
        audit.record(actor, "person.merge", obj=person, before={"people": [[o.pk, o.name] for o in others]},
                     after={"person": person.pk, "name": person.name, "faces_moved": moved})
        Person.objects.filter(pk__in=[other.pk for other in others]).delete()
    return person


def split_person(person, face_ids, *, actor, name=""):
    """The faces ``face_ids`` of ``person`` become a new person (named ``name``)."""
    with transaction.atomic():
        _require_manage(actor, person)
        faces = FaceDescriptor.objects.filter(person=person, pk__in=face_ids)
        if not faces.exists():
            raise Refused("Choose the faces that are someone else.", code="nothing_to_split")
        if not person.faces.exclude(pk__in=face_ids).exists():
            raise Refused("Those are all of this person's faces: rename the person instead.", code="whole_person")
        new = Person.objects.create(name=" ".join(str(name).split())[:MAX_NAME])
        moved = faces.update(person=new)
        audit.record(actor, "person.split", obj=person, after={"new_person": new.pk, "faces_moved": moved})
    return new


def delete_person(person, *, actor):
    """The person and their face descriptors go (the face boxes stay: they are not biometric)."""
    with transaction.atomic():
        _require_manage(actor, person)
        faces = person.faces.count()
        audit.record(actor, "person.delete", obj=person, before={"name": person.name, "faces": faces})
        person.delete()
    return faces


def set_face_recognition(collection, enabled, *, actor):
    """Opt ``collection`` in (its images' faces are recognised, now and from then on) or out (their descriptors
    are deleted unless another collection keeps them). Returns the number of images queued or forgotten."""
    if actor.user is not None and not can_manage_roles(actor.user, collection):
        raise PermissionDenied("Only the collection's admins may turn face recognition on or off.")
    with transaction.atomic():
        was = RecognisedCollection.objects.filter(collection=collection).exists()
        if enabled and not was:
            RecognisedCollection.objects.create(collection=collection, enabled_by=actor.user)
        elif was and not enabled:
            RecognisedCollection.objects.filter(collection=collection).delete()
        if was != enabled:
            audit.record(actor, "collection.face_recognition", obj=collection, before={"enabled": was},
                         after={"enabled": enabled})
        if enabled:
            return _recognise_later(Asset.objects.filter(collections=collection))
        return forget_unrecognised(Asset.objects.filter(collections=collection))


def _recognise_later(assets):
    """Queue recognition, on commit, for those of ``assets`` that qualify and whose faces were already looked
    for (the others get it from their enrichment pipeline, right after face detection)."""
    faces_found = EnrichmentJob.objects.filter(version_id=OuterRef("current_version_id"),
                                               capability=Capability.FACES, status=EnrichmentJob.Status.DONE)
    versions = list(eligible_assets().filter(pk__in=assets.values("pk")).filter(Exists(faces_found))
                    .values_list("current_version_id", flat=True))
    transaction.on_commit(lambda: [recognise.delay(pk) for pk in versions])
    return len(versions)


def is_recognised(collection):
    return RecognisedCollection.objects.filter(collection=collection).exists()


@receiver(post_save, sender=Collection, dispatch_uid="enrichment.people.collection_saved")
def collection_saved(sender, instance, raw=False, **kwargs):
    """A collection that starts blurring faces takes its images' descriptors with it."""
    if not raw and instance.anonymise_faces:
        forget_unrecognised(Asset.objects.filter(collections=instance))


@receiver(m2m_changed, sender=Asset.collections.through, dispatch_uid="enrichment.people.collections_changed")
def collections_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """An image leaving a recognised collection (or joining a blurring one) loses its descriptors; one
    joining a recognised collection is recognised."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:  # collection.assets changed; a clear names no asset, so every descriptor is checked
        assets = None if pk_set is None else Asset.objects.filter(pk__in=pk_set)
    else:
        assets = Asset.objects.filter(pk=instance.pk)
    forget_unrecognised(assets)
    if action == "post_add" and assets is not None:
        _recognise_later(assets)

