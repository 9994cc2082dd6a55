"""Collection changes: each one atomic and written to the audit log, whoever calls it (page, API, command)."""
from django.db import transaction
from django.utils.text import slugify

from assets.models import Asset, Collection
from assets.services import audit
from assets.services.processing import apply_face_policy
from enrichment.services.anonymise import anonymisation_applies


def _unique_slug(name):
    """Names are unique but their slugs may not be ("Foo bar" and "foo-bar"), so number the later one."""
    base = slugify(name)[:190] or "collection"
    slug, suffix = base, 2
    while Collection.objects.filter(slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


def create_collection(name, *, actor, description=""):
    """Create a collection administered by its creator (roles live in governance)."""
    from governance.services.roles import make_creator_admin

    with transaction.atomic():
        collection = Collection.objects.create(
            name=name, slug=_unique_slug(name), description=description, created_by=actor.user
        )
        audit.record(actor, "collection.create", obj=collection,
                     after={"name": collection.name, "slug": collection.slug, "description": description})
        make_creator_admin(collection, actor=actor)
    return collection


def add_to_collection(asset, collection, *, actor):
    """Returns False (and logs nothing) when the asset was already in the collection. A collection that
    requires face anonymisation has the asset's existing renditions re-made blurred."""
    with transaction.atomic():
        if asset.collections.filter(pk=collection.pk).exists():
            return False
        was_covered = anonymisation_applies(asset)
        asset.collections.add(collection)
        audit.record(actor, "asset.add_to_collection", asset=asset, obj=collection, after={"collection": collection.slug})
        if collection.anonymise_faces and not was_covered:
            apply_face_policy(asset, actor=actor)
    return True


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
