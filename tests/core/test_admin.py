"""The audit log in the admin: listed and shown, never added, changed or deleted."""
import pytest
from django.urls import reverse

from core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user, make_asset):
    make_asset(admin_user)  # one upload, so the log has an entry
    client.force_login(admin_user)
    return client


def test_the_changelist_renders(admin_client):
    assert admin_client.get(reverse("admin:core_auditentry_changelist")).status_code == 200


def test_audit_log_is_append_only(admin_client):
    entry = AuditEntry.objects.first()
    assert admin_client.get(reverse("admin:core_auditentry_add")).status_code == 403
    assert admin_client.post(reverse("admin:core_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    page = admin_client.get(reverse("admin:core_auditentry_change", args=[entry.pk])).content.decode()
    assert 'name="_save"' not in page
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
