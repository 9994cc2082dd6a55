"""Moderation: who sees flagged and rejected assets, the report action, the queue page and its bulk form."""
import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from assets import permissions
from assets.models import Asset
from core.audit import Actor
from core.models import AuditEntry
from core.refusals import Refused
from governance.services.moderation import approve, decide_many, flag, reject

pytestmark = pytest.mark.django_db


@pytest.fixture
def newsroom(make_user, make_collection, make_asset):
    """owner uploads into News; viewer sees it; mod moderates it."""
    owner, viewer, mod = make_user("owner"), make_user("viewer"), make_user("mod")
    news = make_collection("News", owner="contributor", viewer="viewer", mod="moderator")
    return owner, viewer, mod, make_asset(owner, collections=[news], title="Harbour")


def test_a_report_hides_the_asset_from_viewers_but_not_from_its_owner_or_moderators(newsroom):
    owner, viewer, mod, asset = newsroom
    flag(asset, actor=Actor(viewer), reason="Shows a licence plate")
    assert not permissions.can_view(viewer, asset)
    assert permissions.can_view(owner, asset) and permissions.can_view(mod, asset)
    entry = AuditEntry.objects.get(action="moderation.flag", asset=asset)
    assert entry.actor == viewer and entry.before == {"moderation_state": "unchecked"}
    assert entry.after == {"moderation_state": "pending", "reason": "Shows a licence plate"}


def test_rejected_assets_are_hidden_from_everyone_but_moderators_and_site_admins(newsroom, make_user):
    owner, viewer, mod, asset = newsroom
    reject(asset, actor=Actor(mod), reason="Not cleared")
    assert [permissions.can_view(u, asset) for u in (owner, viewer, mod)] == [False, False, True]
    assert permissions.can_view(make_user("root", is_superuser=True), asset)
    assert Asset.objects.get(pk=asset.pk).access_epoch == 1


def test_only_moderators_decide_and_rejecting_needs_a_reason(newsroom):
    owner, viewer, mod, asset = newsroom
    with pytest.raises(PermissionDenied):
        approve(asset, actor=Actor(owner))
    with pytest.raises(Refused):
        reject(asset, actor=Actor(mod), reason="  ")
    with pytest.raises(Refused):
        flag(asset, actor=Actor(viewer), reason="")
    assert approve(asset, actor=Actor(mod), reason="fine").moderation_state == "approved"


def test_bulk_decisions_are_all_or_nothing(newsroom, make_asset, make_user, make_collection):
    owner, viewer, mod, asset = newsroom
    elsewhere = make_asset(make_user("other"), collections=[make_collection("Sport")])
    with pytest.raises(PermissionDenied):
        decide_many([asset, elsewhere], "approve", actor=Actor(mod))
    assert Asset.objects.get(pk=asset.pk).moderation_state == "unchecked"


def test_report_button_on_the_asset_page_sends_it_to_the_queue(newsroom, login):
    owner, viewer, mod, asset = newsroom
    client = login(viewer)
    response = client.post(reverse("governance:report", kwargs={"uid": asset.uid}), {"reason": "Copyright?"})
    assert response.status_code == 302
    assert Asset.objects.get(pk=asset.pk).moderation_state == "pending"
    assert client.get(reverse("assets:detail", kwargs={"uid": asset.uid})).status_code == 404


def test_queue_page_lists_pending_with_reason_and_score_for_moderators_only(newsroom, login, client):
    from enrichment.models import ModelRun, ModerationResult

    owner, viewer, mod, asset = newsroom
    flag(asset, actor=Actor(viewer), reason="Looks violent")
    run = ModelRun.objects.create(capability="moderation", name="nudenet", version="3")
    ModerationResult.objects.create(version=asset.current_version, model=run, scores={}, unsafe_score=0.87,
                                    flagged=True)
    page = login(mod).get(reverse("governance:moderation")).content.decode()
    assert "Harbour" in page and "Looks violent" in page and "0.87" in page
    client.logout()
    assert login(viewer).get(reverse("governance:moderation")).status_code == 403


def test_a_failed_automatic_check_waits_in_the_queue_with_its_reason(newsroom, login):
    from enrichment.models import Capability
    from enrichment.services.jobs import note_failure

    owner, viewer, mod, asset = newsroom
    note_failure(asset.current_version_id, Capability.MODERATION, "Gave up after 7 attempts: storage away")
    assert not permissions.can_view(viewer, asset) and permissions.can_view(owner, asset)
    page = login(mod).get(reverse("governance:moderation")).content.decode()
    assert "Harbour" in page and "Automatic check failed" in page and "storage away" in page


def test_queue_bulk_approve_and_reject_from_checkboxes(newsroom, make_asset, login):
    owner, viewer, mod, asset = newsroom
    second = make_asset(owner, collections=asset.collections.all())
    for item in (asset, second):
        flag(item, actor=Actor(viewer), reason="check")
    client = login(mod)
    url = reverse("governance:moderation")
    missing_reason = client.post(url, {"assets": [str(asset.uid)], "decision": "reject"})
    assert missing_reason.status_code == 400
    response = client.post(url, {"assets": [str(asset.uid), str(second.uid)], "decision": "reject", "reason": "no"})
    assert response.status_code == 302
    assert set(Asset.objects.filter(pk__in=[asset.pk, second.pk]).values_list("moderation_state", flat=True)) == {
        "rejected"}
    assert AuditEntry.objects.filter(action="moderation.reject", actor=mod).count() == 2


def test_moderation_api_flag_approve_and_queue(newsroom, login, client):
    owner, viewer, mod, asset = newsroom
    url = reverse("governance-api:moderate", kwargs={"uid": asset.uid})
    assert login(viewer).post(url, {"decision": "approve"}, content_type="application/json").status_code == 403
    flagged = client.post(url, {"decision": "flag", "reason": "spam"}, content_type="application/json")
    assert flagged.status_code == 200 and flagged.json()["moderation_state"] == "pending"
    client.logout()
    login(mod)
    assert [item["uid"] for item in client.get(reverse("governance-api:moderation-queue")).json()] == [str(asset.uid)]
    approved = client.post(url, {"decision": "approve"}, content_type="application/json")
    assert approved.json()["moderation_state"] == "approved"
