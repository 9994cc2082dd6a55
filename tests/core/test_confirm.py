"""Destructive pages ask first: without ``confirmed=yes`` a POST gets the question and changes nothing."""
import pytest
from django.urls import reverse

from assets.models import Asset, CollectionRole
from core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_trash_asks_first_then_acts_when_confirmed(make_user, make_asset, login):
    owner = make_user("owner")
    asset = make_asset(owner, title="Harbour at dawn")
    client = login(owner)
    url = reverse("governance:trash_asset", kwargs={"uid": asset.uid})
    detail = "http://testserver" + reverse("assets:detail", kwargs={"uid": asset.uid})

    asked = client.post(url, {"reason": "blurry"}, HTTP_REFERER=detail)
    html = asked.content.decode()
    assert asked.status_code == 200 and 'id="confirmation"' in html
    assert "Move “Harbour at dawn” to the trash?" in html and "restored from the trash for 30 days" in html
    assert '<input type="hidden" name="reason" value="blurry">' in html, "the form's own fields are sent again"
    assert '<input type="hidden" name="confirmed" value="yes">' in html
    assert f'href="{detail}"' in html, "cancel goes back where the person came from"
    assert Asset.objects.get(pk=asset.pk).deleted_at is None
    assert not AuditEntry.objects.filter(action="asset.trash").exists()

    done = client.post(url, {"reason": "blurry", "confirmed": "yes"})
    assert done.status_code == 302 and Asset.objects.get(pk=asset.pk).deleted_at is not None
    assert AuditEntry.objects.get(action="asset.trash").after == {"reason": "blurry"}


def test_purge_and_role_revocation_ask_first(make_user, make_collection, make_asset, login):
    boss, editor = make_user("boss"), make_user("ed")
    news = make_collection("News", boss="admin", ed="editor")
    asset = make_asset(boss, collections=[news])
    client = login(boss)
    client.post(reverse("governance:trash_asset", kwargs={"uid": asset.uid}), {"confirmed": "yes"})

    purge = reverse("governance:purge", kwargs={"uid": asset.uid})
    assert "cannot be undone" in client.post(purge).content.decode()
    assert Asset.objects.filter(pk=asset.pk).exists()
    client.post(purge, {"confirmed": "yes"})
    assert not Asset.objects.filter(pk=asset.pk).exists()

    grant = CollectionRole.objects.get(user=editor)
    revoke = reverse("governance:revoke_role", kwargs={"slug": news.slug, "pk": grant.pk})
    asked = client.post(revoke).content.decode()
    assert "Take away ed&#x27;s role on News?" in asked and "stops being editor of News" in asked
    assert CollectionRole.objects.filter(pk=grant.pk).exists()
    client.post(revoke, {"confirmed": "yes"})
    assert not CollectionRole.objects.filter(pk=grant.pk).exists()


def test_someone_who_may_not_act_is_refused_before_being_asked(make_user, make_collection, login):
    boss, viewer = make_user("boss"), make_user("viewer")
    news = make_collection("News", boss="admin", viewer="viewer")
    grant = CollectionRole.objects.get(user=boss)
    response = login(viewer).post(reverse("governance:revoke_role", kwargs={"slug": news.slug, "pk": grant.pk}))
    assert response.status_code == 403 and 'id="confirmation"' not in response.content.decode()
