"""Collection changes: each one atomic and written to the audit log, whoever calls it (page, API, command)."""
from django.db import transaction
from django.utils.text import slugify

from assets.models import Collection
from assets.services import audit


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
    """Returns False (and logs nothing) when the asset was already in the collection."""
    with transaction.atomic():
        if asset.collections.filter(pk=collection.pk).exists():
            return False
        asset.collections.add(collection)
        audit.record(actor, "asset.add_to_collection", asset=asset, obj=collection, after={"collection": collection.slug})
    return True
