"""Near-duplicates by dHash: grouped in SQL over what the user may see; keeping one trashes the rest."""
import pytest
from django.contrib.auth.models import AnonymousUser
from PIL import Image

from assets.models import Asset, AuditEntry
from assets.services.audit import Actor
from search import duplicates, service
from search.query import SearchQuery

pytestmark = pytest.mark.django_db


@pytest.fixture
def copies(ingest, jpeg):
    return [
        ingest("chelsea", title="Chelsea original"),
        ingest(Image.open(jpeg("chelsea", quality=40)), title="Chelsea recompressed"),
        ingest(Image.open(jpeg("chelsea", quality=85, size=(225, 150))), title="Chelsea small"),
        ingest("coffee", title="Coffee"),
    ]


def test_near_identical_images_form_one_group(copies, user):
    (group,) = duplicates.duplicate_groups(user)
    assert [asset.pk for asset in group] == [asset.pk for asset in copies[:3]]
    assert duplicates.duplicate_groups(AnonymousUser()) == []


def trashed():
    return set(Asset.objects.filter(deleted_at__isnull=False).values_list("pk", flat=True))


def test_keeping_one_trashes_the_others_with_an_audit_entry(copies, actor, user):
    kept, *others = copies[:3]
    duplicates.keep_one(kept, others, actor=actor)
    assert trashed() == {a.pk for a in others}
    entries = AuditEntry.objects.filter(action="asset.trash")
    assert {e.asset_id for e in entries} == {a.pk for a in others}
    assert all(e.after == {"reason": f"near-duplicate of {kept.uid}"} for e in entries)
    assert duplicates.duplicate_groups(user) == []
    found = {hit.asset_id for hit in service.search(SearchQuery(), user).hits}
    assert found == {kept.pk, copies[3].pk}


def test_a_stranger_cannot_be_archived_as_a_duplicate(copies, actor):
    with pytest.raises(ValueError):
        duplicates.keep_one(copies[0], [copies[3]], actor=actor)
    assert trashed() == set()


def test_someone_who_cannot_see_them_cannot_trash_them(copies, django_user_model):
    stranger = Actor(user=django_user_model.objects.create_user("mallory", password="x"))
    with pytest.raises(ValueError):
        duplicates.keep_one(copies[0], copies[1:3], actor=stranger)
    assert trashed() == set()
