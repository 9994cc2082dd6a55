"""The audit log: append-only in the database, whoever writes it, and who did it (``core.audit``)."""
import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import RequestFactory

from core.audit import SYSTEM, Actor, record
from core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_entries_cannot_be_updated_or_deleted_even_in_raw_sql(make_user, make_asset):
    asset = make_asset(make_user("owner"))
    entry = AuditEntry.objects.get(asset=asset, action="asset.upload")
    for statement in ("UPDATE core_auditentry SET action = 'forged' WHERE id = %s",
                      "DELETE FROM core_auditentry WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, [entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(after={"forged": True})
    assert AuditEntry.objects.get(pk=entry.pk).action == "asset.upload"


def test_deleting_a_user_only_nulls_the_actor_and_keeps_the_entry(make_user, make_asset):
    owner = make_user("owner")
    asset = make_asset(owner)
    owner.delete()
    entry = AuditEntry.objects.get(asset=asset, action="asset.upload")
    assert entry.actor is None and entry.after["sha256"] == asset.current_version.sha256


def test_the_actor_is_the_signed_in_user_at_the_first_forwarded_address(make_user):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.1")
    request.user = make_user("ana")
    assert Actor.from_request(request) == Actor(user=request.user, ip_address="203.0.113.9")


def test_system_entries_name_no_actor_and_objects_by_type_and_id(make_user, make_asset):
    asset = make_asset(make_user("owner"))
    entry = record(SYSTEM, "asset.checked", asset=asset, obj=asset.current_version, after={"ok": True})
    assert (entry.actor, entry.object_type, entry.object_id) == (None, "AssetVersion", str(asset.current_version.pk))
