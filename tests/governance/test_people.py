"""People without Django's admin: site admins add and invite people (a one-time link, shown and mailed), set
their site role and deactivate them, in the pages and the API, audited; collection admins look names up to grant
roles; everyone else gets a 403."""
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from core.audit import Actor
from core.models import AuditEntry
from core.refusals import Refused
from governance.services import people

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "violet-lantern-harbour-42"


@pytest.fixture
def anonymous():
    return Client()


def signs_in(username, password):
    """Through the real login form (the lockout backend wants a request)."""
    return Client().post(reverse("login"), {"username": username, "password": password}).status_code == 302


def invitation_path(html):
    url = re.search(r'id="invitation-address" value="([^"]+)"', html).group(1)
    return url.replace("http://testserver", "")


def test_an_invited_person_chooses_a_password_once_and_is_signed_in(admin_user, login, anonymous, mailoutbox):
    client = login(admin_user)
    page = client.post(reverse("governance:users"), {
        "username": "dora", "first_name": "Dora", "email": "dora@example.com", "site_role": "member",
        "access": "invite"})
    html = page.content.decode()
    assert page.status_code == 200 and "Invitation link" in html and "also mailed to dora@example.com" in html
    path = invitation_path(html)
    assert page["Cache-Control"] == "private, no-store"
    dora = get_user_model().objects.get(username="dora")
    assert not dora.has_usable_password() and people.status_of(dora) == "invited"
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["dora@example.com"] and path in mailoutbox[0].body
    assert [entry.action for entry in AuditEntry.objects.order_by("id")] == ["user.create", "user.invite"]

    form = anonymous.get(path)
    assert form.status_code == 200 and "Welcome, Dora" in form.content.decode()
    assert form["Referrer-Policy"] == "same-origin"
    weak = anonymous.post(path, {"new_password1": "dora", "new_password2": "dora"})
    assert weak.status_code == 400 and "too short" in weak.content.decode()
    done = anonymous.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("assets:library")
    assert anonymous.get(reverse("assets:library")).context["user"] == dora, "signed in"
    entry = AuditEntry.objects.get(action="user.password_set")
    assert entry.actor == dora and entry.after == {"via": "invitation"}

    again = Client().get(path)
    assert again.status_code == 410 and "already used" in again.content.decode()
    assert signs_in("dora", NEW_PASSWORD)


def test_a_person_with_a_password_now_a_taken_name_and_a_weak_password(admin_user, login):
    client = login(admin_user)
    added = client.post(reverse("governance:users"), {
        "username": "erik", "site_role": "member", "access": "password", "password": NEW_PASSWORD})
    assert added.status_code == 302
    assert signs_in("erik", NEW_PASSWORD)
    taken = client.post(reverse("governance:users"), {
        "username": "ERIK", "site_role": "member", "access": "invite"}, follow=True)
    assert "There is already someone with the username “ERIK”." in taken.content.decode()
    weak = client.post(reverse("governance:users"), {
        "username": "fay", "site_role": "member", "access": "password", "password": "fay"})
    assert weak.status_code == 400 and "too short" in weak.content.decode()
    assert not get_user_model().objects.filter(username="fay").exists()
    listed = client.get(reverse("governance:users"), {"q": "eri"}).content.decode()
    assert "/users/" in listed and f'href="/users/{admin_user.pk}/"' not in listed and "erik" in listed


def test_people_pages_and_api_are_for_site_admins_only(make_user, make_collection, login, anonymous):
    boss = make_user("boss")
    make_collection("News", boss="admin")
    client = login(boss)
    refused = client.get(reverse("governance:users"))
    assert refused.status_code == 403 and "You may not open this page" in refused.content.decode()
    assert client.get(reverse("governance-api:users")).status_code == 403
    assert client.post(reverse("governance-api:users"), {"username": "x"},
                       content_type="application/json").status_code == 403
    assert anonymous.get(reverse("governance:users")).status_code == 302, "signed out: to the login form"
    with pytest.raises(PermissionDenied, match="Only site administrators"):
        people.add_person(actor=Actor(boss), username="sneaky")


def test_site_role_and_deactivation_keep_one_site_admin_and_ask_first(admin_user, make_user, login):
    gil = make_user("gil")
    client = login(admin_user)
    url = reverse("governance:user", kwargs={"pk": gil.pk})
    saved = client.post(url, {"first_name": "Gil", "last_name": "Grey", "email": "gil@example.com",
                              "site_role": "site_admin"})
    assert saved.status_code == 302
    gil.refresh_from_db()
    assert gil.is_superuser and gil.get_full_name() == "Gil Grey"
    assert AuditEntry.objects.get(action="user.site_admin").after == {"site_admin": True}
    assert AuditEntry.objects.get(action="user.update").after["name"] == "Gil Grey"

    active_url = reverse("governance:user_active", kwargs={"pk": gil.pk})
    asked = client.post(active_url, {"active": "no"})
    assert "Deactivate gil?" in asked.content.decode()
    gil.refresh_from_db()
    assert gil.is_active, "nothing happens before the admin confirms"
    client.post(active_url, {"active": "no", "confirmed": "yes"})
    gil.refresh_from_db()
    assert not gil.is_active and not signs_in("gil", "correct-horse-battery")
    assert AuditEntry.objects.filter(action="user.deactivate", object_id=str(gil.pk)).exists()

    with pytest.raises(Refused, match="only active site administrator"):
        people.update_person(admin_user, actor=Actor(admin_user), site_admin=False)
    with pytest.raises(Refused, match="cannot deactivate yourself"):
        people.set_active(admin_user, False, actor=Actor(admin_user))
    client.post(active_url, {"active": "yes"})
    gil.refresh_from_db()
    assert gil.is_active


def test_the_api_adds_invites_changes_and_deactivates(admin_user, make_user, login, anonymous, mailoutbox):
    client = login(admin_user)
    made = client.post(reverse("governance-api:users"), {"username": "hana", "email": "hana@example.com"},
                       content_type="application/json")
    body = made.json()
    assert made.status_code == 201 and body["status"] == "invited" and body["invitation"]["emailed"] is True
    assert anonymous.get(body["invitation"]["url"]).status_code == 200
    weak = client.post(reverse("governance-api:users"), {"username": "ivo", "password": "ivo"},
                       content_type="application/json")
    assert weak.status_code == 400 and weak.json()["error"] == "weak_password"
    taken = client.post(reverse("governance-api:users"), {"username": "Hana"}, content_type="application/json")
    assert taken.status_code == 409 and taken.json()["error"] == "username_taken"

    person = reverse("governance-api:user", kwargs={"pk": body["id"]})
    changed = client.patch(person, {"site_admin": True, "last_name": "Ito"}, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["site_admin"] is True
    assert client.patch(person, {"active": False}, content_type="application/json").json()["status"] == "deactivated"
    refused = client.post(reverse("governance-api:user-invitation", kwargs={"pk": body["id"]}))
    assert refused.status_code == 409 and "reactivate them first" in refused.json()["message"]
    me = reverse("governance-api:user", kwargs={"pk": admin_user.pk})
    last = client.patch(me, {"site_admin": False}, content_type="application/json")
    assert last.status_code == 409 and last.json()["error"] == "last_site_admin"
    assert [person["username"] for person in client.get(reverse("governance-api:users"), {"q": "han"}).json()] \
        == ["hana"]


def test_collection_admins_look_people_up_and_grant_by_exact_name(make_user, make_collection, login):
    boss, editor = make_user("boss"), make_user("ed")
    make_user("jana", first_name="Jana", last_name="Novak")
    make_user("janek")
    make_user("jan-gone", is_active=False)
    news = make_collection("News", boss="admin", ed="editor")
    lookup = reverse("governance-api:users-lookup")
    found = login(boss).get(lookup, {"q": "jan"}).json()
    assert found == [{"username": "jana", "name": "Jana Novak"}, {"username": "janek", "name": ""}]
    assert login(boss).get(lookup, {"q": "novak"}).json()[0]["username"] == "jana"
    assert login(editor).get(lookup, {"q": "jan"}).status_code == 403

    client = login(boss)
    page = client.get(reverse("governance:collection_roles", kwargs={"slug": news.slug})).content.decode()
    assert 'list="people-suggestions"' in page and "people-suggest.js" in page
    unknown = client.post(reverse("governance:collection_roles", kwargs={"slug": news.slug}),
                          {"username": "jann", "role": "viewer"})
    assert unknown.status_code == 400 and "There is no active user named “jann”" in unknown.content.decode()
    api = client.post(reverse("governance-api:roles", kwargs={"slug": news.slug}), {"user": "jann", "role": "viewer"},
                      content_type="application/json")
    assert api.status_code == 400 and "There is no active user named “jann”." in api.json()["message"]
