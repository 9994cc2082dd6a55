"""Collection services: unique slugs, and every change in the audit log."""
import pytest

from assets import permissions
from assets.models import Asset
from assets.services.collections import add_to_collection, create_collection
from core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_create_collection_writes_the_audit_log(actor):
    collection = create_collection("Summer 2024", actor=actor, description="Beach shoots")
    assert (collection.slug, collection.created_by) == ("summer-2024", actor.user)
    assert permissions.collections_with_role(actor.user, "admin").filter(pk=collection.pk).exists()
    entry = AuditEntry.objects.get(action="collection.create")
    assert (entry.actor, entry.object_type, entry.object_id) == (actor.user, "Collection", str(collection.pk))
    assert entry.after == {"name": "Summer 2024", "slug": "summer-2024", "description": "Beach shoots"}
    assert entry.ip_address == "127.0.0.1"


def test_names_that_slugify_alike_get_distinct_slugs(actor):
    slugs = [create_collection(name, actor=actor).slug for name in ("Foo bar", "foo-bar", "FOO  BAR", "!!!")]
    assert slugs == ["foo-bar", "foo-bar-2", "foo-bar-3", "collection"]


def test_add_to_collection_is_logged_once(actor):
    asset = Asset.objects.create(title="Harbour", owner=actor.user)
    collection = create_collection("Harbours", actor=actor)
    assert add_to_collection(asset, collection, actor=actor) is True
    assert add_to_collection(asset, collection, actor=actor) is False
    assert list(asset.collections.all()) == [collection]
    entry = AuditEntry.objects.get(action="asset.add_to_collection")
    assert (entry.asset, entry.object_id, entry.after) == (asset, str(collection.pk), {"collection": "harbours"})
