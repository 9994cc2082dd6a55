"""People: real YuNet boxes and real dlib descriptors of skimage's astronaut (mirrored and scaled copies) and of
shared samples showing other people; opt-in per collection, none under face blur; name, merge, split, delete."""
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from PIL import Image, ImageOps
from rest_framework.test import APIClient
from skimage import data

from core.audit import SYSTEM, Actor
from core.models import AuditEntry
from core.refusals import Refused
from enrichment.models import Capability, EnrichmentJob, FaceDescriptor, Person
from enrichment.services import jobs, people, recognition
from support import MODELS, SAMPLES

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not (MODELS / "face_detection_yunet_2023mar.onnx").is_file(), reason=f"no YuNet at {MODELS}"),
]

ASTRONAUT = Image.fromarray(data.astronaut())
# Another person, alone in the frame (YuNet finds one face of 58 px).
STRANGER = SAMPLES / "jpg" / "invalid" / "image00971.jpg"


@pytest.fixture
def family(make_collection, user):
    collection = make_collection("Family", alice="admin")
    people.set_face_recognition(collection, True, actor=Actor(user=user))
    return collection


@pytest.fixture
def recognised(version_with_rendition):
    """Ingest an image with a rendition at full size, then detect and recognise its faces as the pipeline does."""

    def make(image, *, collections=(), anonymise_faces=False):
        version = version_with_rendition(image, width=image.width, collections=collections,
                                         anonymise_faces=anonymise_faces)
        jobs.run_step(Capability.FACES, [version])
        jobs.run_step(Capability.PEOPLE, [version])
        return version

    return make


def job(version):
    return EnrichmentJob.objects.get(version=version, capability=Capability.PEOPLE)


def person_of(version):
    (face,) = FaceDescriptor.objects.filter(version=version)
    return face.person


def test_one_person_scaled_and_mirrored_is_one_person_and_a_stranger_another(family, recognised):
    original = recognised(ASTRONAUT, collections=[family])
    mirrored = recognised(ImageOps.mirror(ASTRONAUT), collections=[family])
    smaller = recognised(ASTRONAUT.resize((300, 300)), collections=[family])
    stranger = recognised(Image.open(STRANGER), collections=[family])
    assert job(original).status == EnrichmentJob.Status.DONE and job(original).detail == "1 face of 1 person."
    assert person_of(original) == person_of(mirrored) == person_of(smaller)
    assert person_of(stranger) != person_of(original)
    assert Person.objects.count() == 2


def test_nothing_is_recognised_without_opting_in(recognised):
    version = recognised(ASTRONAUT)
    assert job(version).status == EnrichmentJob.Status.SKIPPED and job(version).detail == recognition.NOT_OPTED_IN
    assert not FaceDescriptor.objects.exists()


def test_no_descriptors_where_faces_are_blurred(family, recognised, make_collection):
    blurred_upload = recognised(ASTRONAUT, collections=[family], anonymise_faces=True)
    assert job(blurred_upload).detail == recognition.BLURRED and not FaceDescriptor.objects.exists()

    version = recognised(ImageOps.mirror(ASTRONAUT), collections=[family])
    assert FaceDescriptor.objects.filter(version=version).exists()
    family.anonymise_faces = True
    family.save()
    assert not FaceDescriptor.objects.exists() and not Person.objects.exists()


def test_opting_out_deletes_the_descriptors(family, recognised, user):
    recognised(ASTRONAUT, collections=[family])
    assert people.set_face_recognition(family, False, actor=Actor(user=user)) == 1
    assert not FaceDescriptor.objects.exists() and not Person.objects.exists()
    entry = AuditEntry.objects.get(action="collection.face_recognition", after={"enabled": False})
    assert entry.actor == user


def test_only_collection_admins_opt_in(make_collection, make_user):
    bob = make_user("bob")
    collection = make_collection("Press", bob="editor")
    with pytest.raises(PermissionDenied):
        people.set_face_recognition(collection, True, actor=Actor(user=bob))


def test_name_merge_split_and_delete(family, recognised, user):
    actor = Actor(user=user)
    first = recognised(ASTRONAUT, collections=[family])
    stranger = recognised(Image.open(STRANGER), collections=[family])
    astronaut, other = person_of(first), person_of(stranger)

    people.rename_person(astronaut, "  Eileen   Collins ", actor=actor)
    assert Person.objects.get(pk=astronaut.pk).name == "Eileen Collins"

    people.merge_people(astronaut, [other], actor=actor)
    assert FaceDescriptor.objects.filter(person=astronaut).count() == 2 and not Person.objects.filter(pk=other.pk)

    moved = FaceDescriptor.objects.get(version=stranger)
    split = people.split_person(astronaut, [moved.pk], actor=actor, name="Someone else")
    assert person_of(stranger) == split and split.name == "Someone else"
    with pytest.raises(Refused):
        people.split_person(split, [moved.pk], actor=actor)

    assert people.delete_person(split, actor=actor) == 1
    assert not FaceDescriptor.objects.filter(version=stranger).exists()
    actions = list(AuditEntry.objects.filter(action__startswith="person.").values_list("action", flat=True))
    assert sorted(actions) == ["person.delete", "person.merge", "person.rename", "person.split"]


def test_a_person_is_seen_and_changed_only_through_their_photos(family, recognised, make_user, grant):
    version = recognised(ASTRONAUT, collections=[family])
    person = person_of(version)
    viewer, outsider = make_user("vera"), make_user("otto")
    grant(family, "vera", "viewer")
    assert list(people.visible_people(viewer)) == [person] and people.visible_people(viewer)[0].image_count == 1
    assert not people.visible_people(outsider).exists()
    with pytest.raises(PermissionDenied):
        people.rename_person(person, "Eileen", actor=Actor(user=viewer))
    people.rename_person(person, "Eileen", actor=SYSTEM)


def test_someone_without_a_role_never_sees_a_persons_faces_in_another_collection(
        family, recognised, make_collection, make_user, grant):
    """One person in two collections: a viewer of one sees only that collection's face; an outsider sees no one,
    in the pages, the API and search."""
    vera = make_user("vera")
    work = make_collection("Work")
    grant(work, "vera", "viewer")
    people.set_face_recognition(work, True, actor=SYSTEM)
    at_home = recognised(ASTRONAUT, collections=[family])
    at_work = recognised(ImageOps.mirror(ASTRONAUT), collections=[work])
    person = person_of(at_home)
    assert person_of(at_work) == person
    home_face = person.faces.get(version=at_home)
    api = APIClient()

    api.force_authenticate(vera)
    seen = api.get(reverse("enrichment-api:person", kwargs={"pk": person.pk})).json()
    assert seen["image_count"] == 1
    faces = api.get(reverse("enrichment-api:person-faces", kwargs={"pk": person.pk})).json()
    assert [face["asset"] for face in faces] == [str(at_work.asset.uid)]
    found = api.get(reverse("search-api:search"), {"person": person.pk}).json()
    assert found["count"] == 1 and [p["count"] for p in found["facets"]["person"]] == [1]

    outsider = make_user("otto")
    api.force_authenticate(outsider)
    assert api.get(reverse("enrichment-api:people")).json() == []
    assert api.get(reverse("enrichment-api:person", kwargs={"pk": person.pk})).status_code == 404
    assert api.get(reverse("enrichment-api:person-faces", kwargs={"pk": person.pk})).status_code == 404
    nothing = api.get(reverse("search-api:search"), {"person": person.pk}).json()
    assert nothing["count"] == 0 and not nothing["facets"].get("person")
    client = Client()
    client.force_login(outsider)
    assert client.get(reverse("enrichment:person", kwargs={"pk": person.pk})).status_code == 404
    assert client.get(reverse("enrichment:face_image", kwargs={"pk": home_face.pk})).status_code == 404
    assert "No people yet" in client.get(reverse("enrichment:people")).content.decode()


def test_a_new_detection_keeps_the_name(family, recognised):
    version = recognised(ASTRONAUT, collections=[family])
    people.rename_person(person_of(version), "Eileen", actor=SYSTEM)
    jobs.run_step(Capability.FACES, [version])
    jobs.run_step(Capability.PEOPLE, [version])
    assert person_of(version).name == "Eileen" and FaceDescriptor.objects.count() == 1


# ---------------------------------------------------------------------- pages and API


def test_people_pages_name_and_find_a_person(family, recognised, client, user):
    version = recognised(ASTRONAUT, collections=[family])
    person = person_of(version)
    client.force_login(user)
    listing = client.get(reverse("enrichment:people")).content.decode()
    assert "Add a name" in listing and "1 photo" in listing and "Face recognition in your collections" in listing
    face = client.get(reverse("enrichment:face_image", kwargs={"pk": person.faces.get().pk}))
    assert face.status_code == 200 and face["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(face.content)).size == (160, 160)

    client.post(reverse("enrichment:rename_person", kwargs={"pk": person.pk}), {"name": "Eileen Collins"})
    found = client.get(reverse("search:search"), {"q": 'person:"Eileen Collins"'}).content.decode()
    assert "1 result" in found and "People" in found and "Eileen Collins" in found

    confirm = client.get(reverse("enrichment:delete_person", kwargs={"pk": person.pk}))
    assert "Their face descriptors are deleted with them" in confirm.content.decode()
    client.post(reverse("enrichment:delete_person", kwargs={"pk": person.pk}))
    assert not Person.objects.exists() and not FaceDescriptor.objects.exists()


def test_turning_recognition_off_in_the_page_is_confirmed_first(family, recognised, client, user):
    recognised(ASTRONAUT, collections=[family])
    client.force_login(user)
    url = reverse("enrichment:collection_recognition", kwargs={"slug": family.slug})
    asked = client.post(url, {"enabled": "off"})
    assert "Turn off and delete descriptors" in asked.content.decode() and FaceDescriptor.objects.exists()
    client.post(url, {"enabled": "off", "confirm": "yes"})
    assert not FaceDescriptor.objects.exists() and not people.is_recognised(family)


def test_the_api_lists_renames_merges_splits_and_deletes(family, recognised, user, make_user, grant):
    first = recognised(ASTRONAUT, collections=[family])
    stranger = recognised(Image.open(STRANGER), collections=[family])
    api = APIClient()
    api.force_authenticate(user)
    listed = api.get(reverse("enrichment-api:people")).json()
    assert len(listed) == 2 and all(p["image_count"] == 1 and p["cover_url"].endswith(".jpg") for p in listed)
    astronaut, other = person_of(first), person_of(stranger)

    renamed = api.patch(reverse("enrichment-api:person", kwargs={"pk": astronaut.pk}), {"name": "Eileen"},
                        format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Eileen"
    merged = api.post(reverse("enrichment-api:person-merge", kwargs={"pk": astronaut.pk}), {"people": [other.pk]},
                      format="json")
    assert merged.status_code == 200 and merged.json()["image_count"] == 2
    faces = api.get(reverse("enrichment-api:person-faces", kwargs={"pk": astronaut.pk})).json()
    assert {face["asset"] for face in faces} == {str(first.asset.uid), str(stranger.asset.uid)}
    moved = next(face["id"] for face in faces if face["asset"] == str(stranger.asset.uid))
    split = api.post(reverse("enrichment-api:person-split", kwargs={"pk": astronaut.pk}), {"faces": [moved]},
                     format="json")
    assert split.status_code == 201 and split.json()["image_count"] == 1

    viewer = make_user("vera")
    grant(family, "vera", "viewer")
    api.force_authenticate(viewer)
    refused = api.delete(reverse("enrichment-api:person", kwargs={"pk": astronaut.pk}))
    assert refused.status_code == 403 and "not yours to change" in refused.json()["message"]
    assert api.put(reverse("enrichment-api:face-recognition", kwargs={"slug": family.slug}), {"enabled": False},
                   format="json").status_code == 404
    api.force_authenticate(user)
    assert api.delete(reverse("enrichment-api:person", kwargs={"pk": astronaut.pk})).status_code == 204
    off = api.put(reverse("enrichment-api:face-recognition", kwargs={"slug": family.slug}), {"enabled": False},
                  format="json")
    assert off.json() == {"collection": "family", "enabled": False} and not FaceDescriptor.objects.exists()
