"""Rules that live on the asset models themselves."""
import pytest

from assets.models import Asset, Collection

pytestmark = pytest.mark.django_db


def test_face_policy_comes_from_the_upload_or_any_collection():
    plain = Asset.objects.create(title="coffee")
    assert not plain.requires_face_blur()
    assert Asset.objects.create(title="astronaut", anonymise_faces=True).requires_face_blur()
    plain.collections.add(Collection.objects.create(name="Holidays", slug="holidays"))
    assert not plain.requires_face_blur()
    plain.collections.add(Collection.objects.create(name="Staff", slug="staff", anonymise_faces=True))
    assert plain.requires_face_blur()
