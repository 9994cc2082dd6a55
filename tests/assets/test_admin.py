"""The admin: pages render, asset and collection edits are audited, role grants are only listed."""
import io

import pytest
from django.urls import reverse
from PIL import Image

from assets.models import Asset, Collection
from assets.renditions import ensure_default_renditions
from assets.services.ingest import ingest_file
from core.audit import Actor
from core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def asset(admin_user):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    buffer.seek(0)
    return ingest_file(buffer, filename="red.png", actor=Actor(user=admin_user)).asset


@pytest.mark.parametrize("name", ["collection", "asset", "collectionrole"])
def test_changelists_render(admin_client, asset, name):
    assert admin_client.get(reverse(f"admin:assets_{name}_changelist")).status_code == 200


def test_asset_page_shows_versions_read_only(admin_client, asset):
    page = admin_client.get(reverse("admin:assets_asset_change", args=[asset.pk])).content.decode()
    assert "red.png" in page
    assert 'name="versions-0-original_filename"' not in page


def asset_form(asset, **changes):
    return {"title": asset.title, "caption": "", "collections": [],
            "versions-TOTAL_FORMS": "1", "versions-INITIAL_FORMS": "1", "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "1000", "versions-0-id": asset.current_version_id, "versions-0-asset": asset.pk,
            **changes}


def test_admin_edit_is_audited(admin_client, asset):
    url = reverse("admin:assets_asset_change", args=[asset.pk])
    response = admin_client.post(url, asset_form(asset, title="Renamed"))
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(action="asset.admin_change")
    assert entry.before == {"title": "red"} and entry.after == {"title": "Renamed"}


def test_switching_a_collection_face_policy_on_takes_down_unblurred_renditions(
        admin_client, asset, django_capture_on_commit_callbacks):
    staff = Collection.objects.create(name="Staff", slug="staff")
    asset.collections.add(staff)
    ensure_default_renditions(asset.current_version)
    url = reverse("admin:assets_collection_change", args=[staff.pk])

    with django_capture_on_commit_callbacks() as queued:
        response = admin_client.post(url, {"name": "Staff", "slug": "staff", "description": "", "anonymise_faces": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Collection.objects.get(pk=staff.pk).anonymise_faces
    assert AuditEntry.objects.get(action="collection.face_policy").after == {"anonymise_faces": True}
    assert not asset.current_version.renditions.exists()
    assert Asset.objects.get(pk=asset.pk).status == Asset.Status.PROCESSING
    assert len(queued) == 1  # the rendition task, re-making them blurred


def test_filing_an_asset_into_a_policy_collection_in_the_admin_applies_the_policy(admin_client, asset):
    staff = Collection.objects.create(name="Staff", slug="staff", anonymise_faces=True)
    ensure_default_renditions(asset.current_version)
    response = admin_client.post(reverse("admin:assets_asset_change", args=[asset.pk]),
                                 asset_form(asset, collections=[staff.pk]))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not asset.current_version.renditions.exists()
    assert AuditEntry.objects.filter(asset=asset, action="asset.discard_renditions").exists()
