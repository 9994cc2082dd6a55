"""The face policy: which assets must show blurred faces, and re-making their renditions when it comes to cover them.

Whether it covers an asset is ``Asset.requires_face_blur`` (the upload asked, or a collection holding it
does); the blurring itself is enrichment's (``assets.signals.face_redactor_wanted``).
"""
from django.db import transaction
from django.utils import timezone

from assets.models import Asset, Collection
from assets.renditions import untransformed
from assets.tasks import delete_unused_renditions, process_version
from core import audit


def apply_face_policy(asset, *, actor):
    """The face policy has just come to cover ``asset`` (call inside that change's transaction).

    Renditions made without blurring are taken down at once, for every version; the current
    version's are queued to be re-made blurred and enriched again from the blurred pixels, and
    the workers delete the old files.
    """
    discarded = {}
    for version in asset.versions.all():
        specs = sorted(untransformed(version).values_list("spec", flat=True))
        if specs:
            untransformed(version).delete()
            discarded[f"v{version.number}"] = specs
            if version.pk != asset.current_version_id:
                transaction.on_commit(lambda sha256=version.sha256: delete_unused_renditions.delay(sha256))
    if discarded:
        audit.record(actor, "asset.discard_renditions", asset=asset, obj=asset,
                     before={"renditions": discarded}, after={"reason": "faces must be blurred"})
    current = asset.current_version_id
    if current:
        Asset.objects.filter(pk=asset.pk).update(status=Asset.Status.PROCESSING, status_detail="", updated_at=timezone.now())
        transaction.on_commit(lambda: process_version.delay(current), robust=True)  # else the sweep queues it


def set_face_policy(collection, required, *, actor):
    """Require (or stop requiring) blurred faces in the collection's renditions; turning it on re-makes
    the renditions of the assets it newly covers. Turning it off leaves blurred renditions as they are."""
    with transaction.atomic():
        collection = Collection.objects.select_for_update().get(pk=collection.pk)
        if collection.anonymise_faces == required:
            return collection
        newly_covered = list(
            Asset.objects.filter(collections=collection, anonymise_faces=False)
            .exclude(collections__anonymise_faces=True)
        ) if required else []
        collection.anonymise_faces = required
        collection.save(update_fields=["anonymise_faces"])
        audit.record(actor, "collection.face_policy", obj=collection,
                     before={"anonymise_faces": not required}, after={"anonymise_faces": required})
        for asset in newly_covered:
            apply_face_policy(asset, actor=actor)
    return collection
