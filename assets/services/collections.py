"""Collection changes: each one atomic and written to the audit log, whoever calls it (page, API, command)."""
from django.db import transaction
from django.utils.text import slugify

from assets.models import Collection, CollectionRole, Role
from assets.services.face_policy import apply_face_policy
from core import audit


def _unique_slug(name):
    """Names are unique but their slugs may not be ("Foo bar" and "foo-bar"), so number the later one."""
    base = slugify(name)[:190] or "collection"
    slug, suffix = base, 2
    while Collection.objects.filter(slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


def describe_grant(grant):
    """A role grant as the audit log keeps it."""
    return {"collection": grant.collection.slug, "user": grant.user.get_username() if grant.user_id else None,
            "group": grant.group.name if grant.group_id else None, "role": grant.role}


def create_collection(name, *, actor, description=""):
    """Create a collection administered by its creator: otherwise they could not even file into it."""
    with transaction.atomic():
        collection = Collection.objects.create(
            name=name, slug=_unique_slug(name), description=description, created_by=actor.user
        )
        audit.record(actor, "collection.create", obj=collection,
                     after={"name": collection.name, "slug": collection.slug, "description": description})
        if actor.user is not None:
            grant = CollectionRole.objects.create(collection=collection, user=actor.user, role=Role.ADMIN,
                                                  granted_by=actor.user)
            audit.record(actor, "role.grant", obj=grant, after=describe_grant(grant))
    return collection


def add_to_collection(asset, collection, *, actor):
    """Returns False (and logs nothing) when the asset was already in the collection. A collection that
    requires face anonymisation has the asset's existing renditions re-made blurred."""
    with transaction.atomic():
        if asset.collections.filter(pk=collection.pk).exists():
            return False
        was_covered = asset.requires_face_blur()
        asset.collections.add(collection)
        audit.record(actor, "asset.add_to_collection", asset=asset, obj=collection, after={"collection": collection.slug})
        if collection.anonymise_faces and not was_covered:
            apply_face_policy(asset, actor=actor)
    return True


def remove_from_collection(asset, collection, *, actor):
    """Returns False (and logs nothing) when the asset was not in the collection. Blurred renditions stay blurred:
    turning a face policy off never un-blurs either (``set_face_policy``)."""
    with transaction.atomic():
        if not asset.collections.filter(pk=collection.pk).exists():
            return False
        asset.collections.remove(collection)
        audit.record(actor, "asset.remove_from_collection", asset=asset, obj=collection,
                     before={"collection": collection.slug})
    return True
