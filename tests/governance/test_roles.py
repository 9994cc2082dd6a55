"""Role grants: the service (audited), the collection role page and API, and what grants let people see."""
import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from assets import permissions
from assets.models import CollectionRole
from core.audit import Actor
from core.models import AuditEntry
from governance.services.roles import grant_role, revoke_role

pytestmark = pytest.mark.django_db


def test_grant_replaces_the_previous_role_and_audits_both_states(make_user, make_collection):
    boss, bob = make_user("boss"), make_user("bob")
    news = make_collection("News", boss="admin")
    grant_role(news, "viewer", actor=Actor(boss), user=bob)
    grant = grant_role(news, "editor", actor=Actor(boss), user=bob)
    assert CollectionRole.objects.filter(collection=news, user=bob).get().role == "editor"
    entry = AuditEntry.objects.filter(action="role.grant", object_id=str(grant.pk)).first()
    assert entry.actor == boss
    assert entry.before["role"] == "viewer" and entry.after["role"] == "editor"


def test_only_collection_or_site_admins_manage_roles(make_user, make_collection):
    editor, bob = make_user("ed"), make_user("bob")
    news = make_collection("News", ed="editor")
    with pytest.raises(PermissionDenied):
        grant_role(news, "viewer", actor=Actor(editor), user=bob)
    root = make_user("root", is_superuser=True)
    grant_role(news, "viewer", actor=Actor(root), user=bob)


def test_group_role_lets_members_see_and_revoke_takes_it_away(make_user, make_collection, make_asset, grant):
    owner, member = make_user("owner"), make_user("member")
    photographers = Group.objects.create(name="photographers")
    member.groups.add(photographers)
    news = make_collection("News")
    asset = make_asset(owner, collections=[news])
    assert not permissions.can_view(member, asset)
    grant_record = grant(news, "photographers", "viewer")
    assert permissions.can_view(member, asset)
    assert not permissions.can_change(member, asset)
    revoke_role(grant_record, actor=Actor(make_user("root", is_superuser=True)))
    assert not permissions.can_view(member, asset)
    assert AuditEntry.objects.filter(action="role.revoke", before__group="photographers").exists()


def test_the_best_role_over_an_assets_collections_wins(make_user, make_collection, make_asset):
    owner, bob = make_user("owner"), make_user("bob")
    archive, news = make_collection("Archive", bob="viewer"), make_collection("News", bob="editor")
    asset = make_asset(owner, collections=[archive, news])
    assert permissions.can(bob, "change", asset)
    assert not permissions.can(bob, "moderate", asset)


def test_uploading_into_a_collection_needs_contributor(make_user, make_collection):
    viewer, contributor = make_user("viewer"), make_user("contrib")
    news = make_collection("News", viewer="viewer", contrib="contributor")
    assert permissions.can_upload(viewer) and not permissions.can_upload(viewer, news)
    assert permissions.can_upload(contributor, news)


def test_role_page_lists_grants_and_grants_through_the_form(make_user, make_collection, login):
    boss, bob = make_user("boss"), make_user("bob")
    news = make_collection("News", boss="admin")
    client = login(boss)
    url = reverse("governance:collection_roles", kwargs={"slug": news.slug})
    response = client.post(url, {"username": "bob", "role": "contributor"})
    assert response.status_code == 302
    assert CollectionRole.objects.get(collection=news, user=bob).granted_by == boss
    page = client.get(url).content.decode()
    assert "bob" in page and "Contributor" in page
    assert client.post(url, {"username": "nobody", "role": "viewer"}).status_code == 400


def test_role_page_and_api_refuse_non_admins(make_user, make_collection, login):
    make_user("boss")
    bob = make_user("bob")
    news = make_collection("News", boss="admin", bob="moderator")
    client = login(bob)
    assert client.get(reverse("governance:collection_roles", kwargs={"slug": news.slug})).status_code == 403
    assert client.get(reverse("governance-api:roles", kwargs={"slug": news.slug})).status_code == 403


def test_roles_api_grants_lists_and_revokes(make_user, make_collection, login):
    boss, bob = make_user("boss"), make_user("bob")
    news = make_collection("News", boss="admin")
    client = login(boss)
    url = reverse("governance-api:roles", kwargs={"slug": news.slug})
    created = client.post(url, {"user": "bob", "role": "viewer"}, content_type="application/json")
    assert created.status_code == 201 and created.json()["granted_by"] == "boss"
    refused = client.post(url, {"user": "bob", "group": "x", "role": "viewer"}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["error"]
    assert {grant["user"] for grant in client.get(url).json()} == {"boss", "bob"}
    grant_url = reverse("governance-api:role", kwargs={"slug": news.slug, "pk": created.json()["id"]})
    assert client.delete(grant_url).status_code == 204
    assert not CollectionRole.objects.filter(user=bob).exists()


def test_face_policy_api_is_for_collection_admins_and_audited(make_user, make_collection, login):
    boss, bob = make_user("boss"), make_user("bob")
    news = make_collection("News", boss="admin", bob="editor")
    url = reverse("governance-api:face-policy", kwargs={"slug": news.slug})
    assert login(bob).put(url, {"anonymise_faces": True}, content_type="application/json").status_code == 403

    client = login(boss)
    assert client.get(url).json() == {"slug": news.slug, "anonymise_faces": False}
    missing = client.put(url, {}, content_type="application/json")
    assert missing.status_code == 400 and "anonymise_faces" in str(missing.json())
    turned_on = client.put(url, {"anonymise_faces": True}, content_type="application/json")
    assert turned_on.status_code == 200 and turned_on.json()["anonymise_faces"] is True
    news.refresh_from_db()
    assert news.anonymise_faces
    entry = AuditEntry.objects.get(action="collection.face_policy")
    assert entry.actor == boss and entry.after == {"anonymise_faces": True}
