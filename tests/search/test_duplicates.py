"""Near-duplicates by dHash: grouped in SQL over what the user may see; keeping one archives the rest."""
import io

import pytest
from django.contrib.auth.models import AnonymousUser
from PIL import Image
from skimage import data

from assets.models import AuditEntry
from assets.services.audit import Actor
from search import duplicates, service
from search.models import DuplicateArchive
from search.query import SearchQuery

pytestmark = pytest.mark.django_db


def chelsea_jpeg(quality, size=None):
    image = Image.fromarray(data.chelsea())
    if size:
        image = image.resize(size)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue()))


@pytest.fixture
def copies(ingest):
    return [
        ingest("chelsea", title="Chelsea original"),
        ingest(chelsea_jpeg(40), title="Chelsea recompressed"),
        ingest(chelsea_jpeg(85, size=(225, 150)), title="Chelsea small"),
        ingest("coffee", title="Coffee"),
    ]


def test_near_identical_images_form_one_group(copies, user):
    (group,) = duplicates.duplicate_groups(user)
    assert [asset.pk for asset in group] == [asset.pk for asset in copies[:3]]
    assert duplicates.duplicate_groups(AnonymousUser()) == []


def test_keeping_one_archives_the_others_with_an_audit_entry(copies, actor, user):
    kept, *others = copies[:3]
    duplicates.keep_one(kept, others, actor=actor)
    assert set(DuplicateArchive.objects.values_list("asset_id", flat=True)) == {a.pk for a in others}
    assert AuditEntry.objects.filter(action="asset.archive_duplicate").count() == 2
    assert duplicates.duplicate_groups(user) == []
    found = {hit.asset_id for hit in service.search(SearchQuery(), user).hits}
    assert found == {kept.pk, copies[3].pk}


def test_a_stranger_cannot_be_archived_as_a_duplicate(copies, actor):
    with pytest.raises(ValueError):
        duplicates.keep_one(copies[0], [copies[3]], actor=actor)
    assert not DuplicateArchive.objects.exists()


def test_only_people_who_may_change_them_archive_duplicates(copies, django_user_model):
    from django.core.exceptions import PermissionDenied

    stranger = Actor(user=django_user_model.objects.create_user("mallory", password="x"))
    with pytest.raises((PermissionDenied, ValueError)):
        duplicates.keep_one(copies[0], copies[1:3], actor=stranger)
    assert not DuplicateArchive.objects.exists()
