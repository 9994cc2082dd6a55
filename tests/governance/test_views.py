"""The governance pages not covered with their services: the asset panel's forms and the roles index."""
import pytest
from django.urls import reverse

from assets.models import Asset
from core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_panel_shows_actions_by_permission(make_user, make_collection, make_asset, login, client):
    owner, viewer = make_user("owner"), make_user("viewer")
    asset = make_asset(owner, collections=[make_collection("News", viewer="viewer")])
    url = reverse("assets:detail", kwargs={"uid": asset.uid})
    own_page = login(owner).get(url).content.decode()
    assert "Move to trash" in own_page and "Edit usage rights" in own_page and "Place legal hold" not in own_page
    client.logout()
    viewers_page = login(viewer).get(url).content.decode()
    assert "Report this asset" in viewers_page and "Move to trash" not in viewers_page
    assert "History (audit log)" not in viewers_page


def test_trash_button_and_legal_hold_form(make_user, make_asset, login, client):
    owner, root = make_user("owner"), make_user("root", is_superuser=True)
    asset = make_asset(owner)
    login(root)
    hold = client.post(reverse("governance:legal_hold", kwargs={"uid": asset.uid}), {"held": "on", "reason": "case"})
    assert hold.status_code == 302 and Asset.objects.get(pk=asset.pk).legal_hold
    page = "http://testserver" + reverse("assets:detail", kwargs={"uid": asset.uid})
    refused = client.post(reverse("governance:trash_asset", kwargs={"uid": asset.uid}), {"confirmed": "yes"},
                          HTTP_REFERER=page, follow=True)
    assert refused.redirect_chain == [(page, 302)] and Asset.objects.get(pk=asset.pk).deleted_at is None
    assert "under legal hold and cannot be deleted" in refused.content.decode()
    client.post(reverse("governance:legal_hold", kwargs={"uid": asset.uid}), {"reason": "closed"})
    client.logout()
    login(owner)
    trashed = client.post(reverse("governance:trash_asset", kwargs={"uid": asset.uid}), {"confirmed": "yes"})
    assert trashed.status_code == 302 and trashed["Location"] == reverse("governance:trash")
    assert Asset.objects.get(pk=asset.pk).deleted_by == owner
    assert client.post(reverse("governance:legal_hold", kwargs={"uid": asset.uid}), {"held": "on"}).status_code == 403
    assert not Asset.objects.get(pk=asset.pk).legal_hold, "only site admins"


def test_roles_index_lists_the_collections_a_user_administers(make_user, make_collection, login):
    boss = make_user("boss")
    make_collection("News", boss="admin")
    make_collection("Sport", boss="editor")
    page = login(boss).get(reverse("governance:managed_collections")).content.decode()
    assert "News" in page and "Sport" not in page


def test_header_links_follow_the_views_permission_checks(make_user, make_collection, login, client):
    """Each governance link shows exactly to those the page would let in (the pages are asked too)."""
    users = {name: make_user(name) for name in ("viewer", "moderator", "boss")}
    users["root"] = make_user("root", is_superuser=True)
    make_collection("News", viewer="viewer", moderator="moderator", boss="admin")
    links = {"Moderation queue": reverse("governance:moderation"), "Audit log": reverse("governance:audit"),
             "Roles": reverse("governance:managed_collections"), "Trash": reverse("governance:trash"),
             "Rights report": reverse("governance:rights_report")}
    expected = {
        "viewer": {"Trash", "Rights report"},
        "moderator": {"Moderation queue", "Trash", "Rights report"},
        "boss": {"Moderation queue", "Trash", "Rights report", "Roles"},
        "root": set(links),
    }
    for name, shown in expected.items():
        client.logout()
        login(users[name])
        page = client.get(reverse("assets:library")).content.decode()
        assert {label for label, url in links.items() if f'<a href="{url}"' in page} == shown, name
        for label in set(links) - shown - {"Roles"}:
            assert client.get(links[label]).status_code in (302, 403), f"{name} is let into {label}"
    client.logout()
    assert 'class="nav-more"' not in client.get(reverse("login")).content.decode()


def test_collection_admins_switch_the_face_policy_and_others_may_not(make_user, make_collection, make_asset, login,
                                                                     client):
    boss, editor = make_user("boss"), make_user("editor")
    news = make_collection("News", boss="admin", editor="editor")
    make_asset(boss, collections=[news])
    url = reverse("governance:face_policy", kwargs={"slug": news.slug})
    login(editor)
    assert client.post(url, {"anonymise_faces": "on"}).status_code == 403
    client.logout()
    login(boss)
    page = client.get(reverse("governance:collection_roles", kwargs={"slug": news.slug})).content.decode()
    assert 'name="anonymise_faces"' in page and " checked" not in page
    assert client.post(url, {"anonymise_faces": "on"}).status_code == 302
    news.refresh_from_db()
    assert news.anonymise_faces
    assert AuditEntry.objects.get(action="collection.face_policy").after == {"anonymise_faces": True}
    client.post(url, {})
    news.refresh_from_db()
    assert not news.anonymise_faces


def test_a_wrong_territory_is_named_plainly_in_the_page_and_the_api(make_user, make_asset, login):
    owner = make_user("owner")
    asset = make_asset(owner)
    client = login(owner)
    response = client.post(reverse("governance:edit_rights", kwargs={"uid": asset.uid}),
                           {"licence_type": "royalty_free", "territories": "FR, Germany"})
    html = response.content.decode()
    assert response.status_code == 400 and "“GERMANY” is not an ISO 3166 two-letter country code" in html
    assert "did not validate" not in html
    api = client.put(reverse("governance-api:rights", kwargs={"uid": asset.uid}),
                     {"licence_type": "royalty_free", "territories": ["FR", "Germany"]}, content_type="application/json")
    assert api.status_code == 400 and api.json()["message"].startswith("territories: “GERMANY” is not an ISO")
