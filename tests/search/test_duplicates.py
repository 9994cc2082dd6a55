"""Near-duplicates: dHash candidates confirmed by shape and vectors, complete-linkage groups over what the user
may see; keeping one trashes the others, each only if the person may change it; the API and the upload note."""
import numpy as np
import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient
from skimage import data

from assets.models import Asset
from core.audit import Actor
from core.models import AuditEntry
from core.refusals import Refused
from enrichment.models import Capability, Embedding, ModelRun
from search import duplicates, service
from search.duplicates import Pair, complete_linkage_groups
from search.query import SearchQuery

from .conftest import encoded

pytestmark = pytest.mark.django_db


@pytest.fixture
def copies(ingest, jpeg):
    return [
        ingest("chelsea", title="Chelsea original"),
        ingest(Image.open(jpeg("chelsea", quality=40)), title="Chelsea recompressed"),
        ingest(Image.open(jpeg("chelsea", quality=85, size=(225, 150))), title="Chelsea small"),
        ingest("coffee", title="Coffee"),
    ]


def ids(groups):
    return [[asset.pk for asset in group.assets] for group in groups]


def test_near_identical_images_form_one_group(copies, user):
    assert ids(duplicates.duplicate_groups(user)) == [[asset.pk for asset in copies[:3]]]
    assert duplicates.duplicate_groups(AnonymousUser()) == []


def test_groups_are_complete_linkage_not_chains():
    """A~B and B~C without A~C: single-link made one group of all three (the towel sculpture and the waterfall)."""
    chain = [Pair(1, 2, 2, None), Pair(2, 3, 3, None)]
    assert complete_linkage_groups(chain) == [[1, 2]]
    triangle = [*chain, Pair(1, 3, 5, None), Pair(4, 5, 1, None)]
    assert sorted(complete_linkage_groups(triangle)) == [[1, 2, 3], [4, 5]]


def test_flat_and_tiny_images_are_never_duplicates(ingest, user):
    for colour in ("white", "black", "#808080"):
        ingest(Image.new("RGB", (300, 200), colour), title=f"plain {colour}")
    gradient = np.tile(np.linspace(0, 255, 300, dtype=np.uint8), (200, 1))
    ingest(Image.fromarray(gradient), title="gradient")
    ingest(Image.fromarray(gradient[:, ::-1].copy()), title="gradient the other way")
    tiny = Image.fromarray(np.random.default_rng(1).integers(0, 255, (20, 24, 3), dtype=np.uint8))
    ingest(tiny, title="tiny")
    ingest(tiny.resize((12, 10)), title="tinier")
    assert duplicates.duplicate_pairs(user) == []


def test_another_shape_is_not_a_copy(ingest, user):
    ingest("chelsea", title="Chelsea")
    ingest(Image.fromarray(data.chelsea()).resize((300, 300)), title="Chelsea squashed square")
    assert duplicates.duplicate_groups(user) == []


def test_vectors_overrule_a_close_hash(copies, user):
    """Hashes close, pictures different by what the classifier sees: not duplicates."""
    run = ModelRun.objects.create(capability=Capability.SIMILARITY, name="mobilenetv2-12-int8.onnx", version="test")
    alike, unlike = np.ones(8), np.array([1, -1] * 4, dtype=float)
    for asset, vector in zip(copies[:3], (alike, alike, unlike)):
        Embedding.objects.create(version_id=asset.current_version_id, model=run, vector=vector.tolist())
    assert ids(duplicates.duplicate_groups(user)) == [[copies[0].pk, copies[1].pk]]


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


def test_a_stranger_cannot_be_trashed_as_a_duplicate(copies, actor):
    with pytest.raises(Refused) as refused:
        duplicates.keep_one(copies[0], [copies[3]], actor=actor)
    assert refused.value.code == "not_a_duplicate" and "is not a near-duplicate of" in refused.value.message
    assert trashed() == set()


def test_someone_who_cannot_see_them_cannot_trash_them(copies, make_user):
    stranger = Actor(user=make_user("mallory"))
    with pytest.raises(Refused):
        duplicates.keep_one(copies[0], copies[1:3], actor=stranger)
    assert trashed() == set()


@pytest.fixture
def shared_copies(make_user, make_collection, jpeg):
    """Bob's photo and Alice's copy of it in a collection where Alice is only a contributor."""
    from assets.services.ingest import ingest_file

    bob, alice = make_user("bob"), make_user("alice")
    team = make_collection("Team", bob="admin", alice="contributor")
    bobs = ingest_file(encoded("chelsea"), filename="chelsea.png", actor=Actor(user=bob), collections=[team]).asset
    alices = ingest_file(jpeg("chelsea", quality=40), filename="copy.jpg", actor=Actor(user=alice),
                         collections=[team]).asset
    return alice, bobs, alices


def test_only_assets_the_person_may_change_are_trashable(shared_copies):
    alice, bobs, alices = shared_copies
    (group,) = duplicates.duplicate_groups(alice)
    assert [a.pk for a in group.assets] == [bobs.pk, alices.pk] and group.trashable == {alices.pk}
    with pytest.raises(Refused) as refused:
        duplicates.keep_one(alices, [bobs], actor=Actor(user=alice))
    assert refused.value.status == 403 and trashed() == set()
    duplicates.keep_one(bobs, [alices], actor=Actor(user=alice))
    assert trashed() == {alices.pk}


def test_the_api_lists_groups_and_keeps_one(shared_copies):
    alice, bobs, alices = shared_copies
    api = APIClient()
    api.force_authenticate(alice)
    (group,) = api.get(reverse("search-api:duplicates")).json()
    assert [(a["uid"], a["can_trash"]) for a in group["assets"]] == [(str(bobs.uid), False), (str(alices.uid), True)]

    url = reverse("search-api:duplicates-keep")
    refused = api.post(url, {"keep": str(alices.uid), "trash": [str(bobs.uid)]}, format="json")
    assert refused.status_code == 403 and "You may not move this asset to the trash" in refused.json()["message"]
    assert api.post(url, {"keep": str(bobs.uid), "trash": []}, format="json").status_code == 400
    kept = api.post(url, {"keep": str(bobs.uid), "trash": [str(alices.uid)]}, format="json")
    assert kept.status_code == 200 and [a["uid"] for a in kept.json()] == [str(alices.uid)]
    assert trashed() == {alices.pk}


def test_an_upload_says_which_image_it_may_duplicate(user, ingest, jpeg):
    original = ingest("chelsea", title="Chelsea original")
    api = APIClient()
    api.force_authenticate(user)
    response = api.post(reverse("api:asset-list"), {"file": jpeg("chelsea", quality=40)}, format="multipart")
    assert response.status_code == 201
    (lookalike,) = response.json()["possible_duplicates"]
    assert lookalike["uid"] == str(original.uid) and lookalike["title"] == "Chelsea original"
    other = api.post(reverse("api:asset-list"), {"file": jpeg("coffee")}, format="multipart")
    assert other.json()["possible_duplicates"] == []


def test_the_upload_page_notes_a_possible_duplicate(client, user, ingest, jpeg):
    ingest("chelsea", title="Chelsea original")
    client.force_login(user)
    response = client.post(reverse("assets:upload"), {"file": jpeg("chelsea", quality=40)}, follow=True)
    assert "Possible duplicate of" in response.content.decode() and "Chelsea original" in response.content.decode()
    bulk = client.post(reverse("assets:upload_api"), {"file": jpeg("chelsea", quality=60)},
                       HTTP_ACCEPT="application/json")
    assert [found["title"] for found in bulk.json()["possible_duplicates"]][0] == "Chelsea original"
