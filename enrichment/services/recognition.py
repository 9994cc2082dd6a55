"""Who may have face descriptors, and turning a version's faces into descriptors grouped into people.

Face recognition is opt-in per collection (``RecognisedCollection``): an asset gets descriptors only while it
is in such a collection and its faces are not blurred (``Asset.requires_face_blur``): blurred faces are
hidden from people, so they are not kept as biometric data either. ``forget_unrecognised`` deletes the
descriptors of assets that stop qualifying, whichever way they stop.
"""
from django.db.models import Exists, OuterRef
from pgvector.django import L2Distance

from assets.models import Asset
from enrichment.models import FaceDescriptor, Person, RecognisedCollection

# Euclidean distance of two dlib descriptors at or under which two faces are one person. dlib's documented
# threshold is 0.6; on the shared samples (small faces, 17-63 px) different people came as close as 0.54,
# while one person scaled and mirrored stayed at 0.19-0.23 (skimage's astronaut). 0.5 keeps those apart
# with room on both sides; a person the recogniser split can be merged in one step.
MATCH_DISTANCE = 0.5
# Faces smaller than this (in the analysed image's pixels) give descriptors too noisy to group.
MIN_FACE_SIDE = 32

NOT_OPTED_IN = "Face recognition is off for this image's collections (each collection opts in)."
BLURRED = "Faces are blurred in this image, so no face descriptors are kept."


def eligible_assets():
    """Assets whose faces may be recognised: in a collection that opted in, none blurring faces."""
    collections = Asset.collections.through.objects.filter(asset_id=OuterRef("pk"))
    return Asset.objects.filter(
        Exists(collections.filter(collection__face_recognition__isnull=False)), anonymise_faces=False,
    ).exclude(Exists(collections.filter(collection__anonymise_faces=True)))


def recognition_refusal(asset):
    """Why ``asset``'s faces are not recognised, or None."""
    if asset.requires_face_blur():
        return BLURRED
    if not RecognisedCollection.objects.filter(collection__assets=asset).exists():
        return NOT_OPTED_IN
    return None


def forget_unrecognised(assets=None):
    """Delete the face descriptors of ``assets`` (a queryset; all when None) that no longer qualify, and the
    people left without a face. Returns how many descriptors went."""
    faces = FaceDescriptor.objects.all() if assets is None else \
        FaceDescriptor.objects.filter(version__asset__in=assets)
    deleted, _ = faces.exclude(version__asset__in=eligible_assets()).delete()
    drop_faceless_people()
    return deleted


def drop_faceless_people():
    Person.objects.filter(~Exists(FaceDescriptor.objects.filter(person=OuterRef("pk")))).delete()


def nearest_person(vector, model):
    """The person of the closest known face within ``MATCH_DISTANCE`` (pgvector's HNSW index), or None."""
    nearest = (FaceDescriptor.objects.filter(model=model).annotate(distance=L2Distance("vector", vector))
               .order_by("distance").values_list("person_id", "distance").first())
    return nearest[0] if nearest is not None and nearest[1] <= MATCH_DISTANCE else None


def store_faces(version, run, faces, vectors):
    """Replace ``version``'s descriptors with ``vectors`` (one per detection in ``faces``), each joined to the
    person of its nearest known face or to a new person. The version's previous descriptors are matched
    first (so re-detected faces keep their person and its name), then deleted."""
    previous = list(FaceDescriptor.objects.filter(version=version).values_list("pk", flat=True))
    FaceDescriptor.objects.filter(pk__in=previous).update(detection=None)  # the new ones take the detections
    created = []
    for detection, vector in zip(faces, vectors):
        person_id = nearest_person(vector.tolist(), run) or Person.objects.create().pk
        created.append(FaceDescriptor.objects.create(
            detection=detection, version=version, model=run, person_id=person_id, vector=vector.tolist(),
            box=[detection.x, detection.y, detection.w, detection.h]))
    FaceDescriptor.objects.filter(pk__in=previous).delete()
    drop_faceless_people()
    return created
