"""The audit pages: per-asset history, the site-wide page with filters, CSV export."""
import csv
import io
import json

import pytest
from django.urls import reverse

from core.audit import Actor
from governance.services.moderation import flag

pytestmark = pytest.mark.django_db


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
    assert login(alice).get(url).status_code == 403
    client.logout()
    client = login(make_user("root", is_superuser=True))
    by_bob = client.get(url, {"actor": "bob"}).content.decode()
    assert "Reported for moderation" in by_bob and "Second" in by_bob and "First" not in by_bob
    assert "Reason:</span> a, &quot;quoted&quot; reason" in by_bob, "records read as changes, not Python dicts"
    assert "{&#x27;" not in by_bob
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
