"""The admin: pages render, asset and collection edits are audited, the audit log cannot be changed."""
import io

import pytest
from django.urls import reverse
from PIL import Image

from assets.models import AuditEntry
from assets.services.audit import Actor
from assets.services.ingest import ingest_file

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


@pytest.mark.parametrize("name", ["collection", "asset", "auditentry"])
def test_changelists_render(admin_client, asset, name):
    assert admin_client.get(reverse(f"admin:assets_{name}_changelist")).status_code == 200


def test_asset_page_shows_versions_read_only(admin_client, asset):
    page = admin_client.get(reverse("admin:assets_asset_change", args=[asset.pk])).content.decode()
    assert "red.png" in page
    assert 'name="versions-0-original_filename"' not in page


def test_admin_edit_is_audited(admin_client, asset):
    url = reverse("admin:assets_asset_change", args=[asset.pk])
    response = admin_client.post(url, {"title": "Renamed", "caption": "", "collections": [],
                                       "versions-TOTAL_FORMS": "1", "versions-INITIAL_FORMS": "1",
                                       "versions-MIN_NUM_FORMS": "0", "versions-MAX_NUM_FORMS": "1000",
                                       "versions-0-id": asset.current_version_id, "versions-0-asset": asset.pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(action="asset.admin_change")
    assert entry.before == {"title": "red"} and entry.after == {"title": "Renamed"}


def test_audit_log_is_append_only(admin_client, asset):
    entry = AuditEntry.objects.first()
    assert admin_client.get(reverse("admin:assets_auditentry_add")).status_code == 403
    assert admin_client.post(reverse("admin:assets_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    page = admin_client.get(reverse("admin:assets_auditentry_change", args=[entry.pk])).content.decode()
    assert 'name="_save"' not in page
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
