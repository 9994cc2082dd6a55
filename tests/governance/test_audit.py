"""The audit log: append-only in the database, per-asset history, the admin page with filters, CSV export."""
import csv
import io
import json

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from assets.models import AuditEntry
from assets.services.audit import Actor
from governance.services.moderation import flag

pytestmark = pytest.mark.django_db


def test_entries_cannot_be_updated_or_deleted_even_in_raw_sql(make_user, make_asset):
    asset = make_asset(make_user("owner"))
    entry = AuditEntry.objects.get(asset=asset, action="asset.upload")
    for statement in ("UPDATE assets_auditentry SET action = 'forged' WHERE id = %s",
                      "DELETE FROM assets_auditentry WHERE id = %s"):
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


def test_asset_history_is_for_those_who_may_change_it(make_user, make_collection, make_asset, login, client):
    owner, viewer = make_user("owner"), make_user("viewer")
    news = make_collection("News", viewer="viewer")
    asset = make_asset(owner, collections=[news])
    url = reverse("governance:asset_audit", kwargs={"uid": asset.uid})
    page = login(owner).get(url)
    assert page.status_code == 200 and "asset.upload" in page.content.decode()
    client.logout()
    assert login(viewer).get(url).status_code == 403


@pytest.fixture
def history(make_user, make_asset):
    alice, bob = make_user("alice"), make_user("bob")
    first, second = make_asset(alice, title="First"), make_asset(bob, title="Second")
    flag(second, actor=Actor(bob), reason="a, \"quoted\" reason")
    return alice, bob, first, second


def test_audit_page_is_for_site_admins_and_filters(history, make_user, login, client):
    alice, bob, first, second = history
    url = reverse("governance:audit")
    assert login(alice).get(url).status_code == 302
    client.logout()
    client = login(make_user("root", is_superuser=True))
    by_bob = client.get(url, {"actor": "bob"}).content.decode()
    assert "moderation.flag" in by_bob and "Second" in by_bob and "First" not in by_bob
    by_prefix = client.get(url, {"action": "moderation."}).context["page"].object_list
    assert [entry.action for entry in by_prefix] == ["moderation.flag"]
    by_asset = client.get(url, {"asset": str(first.uid)}).context["page"].object_list
    assert {entry.asset_id for entry in by_asset} == {first.pk}
    assert client.get(url, {"date_from": "2999-01-01"}).context["page"].paginator.count == 0
    assert client.get(url, {"actor": "nobody"}).context["page"].paginator.count == 0


def test_csv_export_streams_the_filtered_entries(history, make_user, login):
    alice, bob, first, second = history
    client = login(make_user("root", is_superuser=True))
    response = client.get(reverse("governance:audit_export"), {"actor": "bob"})
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["action"] for row in rows] == ["asset.upload", "moderation.flag"]
    assert rows[1]["asset"] == str(second.uid)
    assert json.loads(rows[1]["after"])["reason"] == 'a, "quoted" reason'
