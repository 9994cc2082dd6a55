"""Acting on many assets at once, through the service, the library's selection bar and POST /api/assets/bulk/:
the single actions' permission checks per asset, and one result per asset."""
import pytest
from django.urls import reverse

from assets.models import Asset
from core.audit import Actor
from core.models import AuditEntry
from governance.models import UsageRights
from governance.services import bulk, retention
from search.query import SearchQuery
from search.service import search

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(make_user, make_collection, make_asset):
    """Eve edits News, which holds Bob's photo; Vic only views Sport, which holds Bob's other one."""
    eve, bob, vic = make_user("eve"), make_user("bob"), make_user("vic")
    news = make_collection("News", eve="editor", bob="contributor")
    sport = make_collection("Sport", vic="viewer", bob="admin")
    return {
        "eve": eve, "bob": bob, "vic": vic, "news": news, "sport": sport,
        "own": make_asset(eve, title="Eve's own"),
        "news_photo": make_asset(bob, title="Bob in News", collections=[news]),
        "sport_photo": make_asset(bob, title="Bob in Sport", collections=[sport]),
        "hidden": make_asset(bob, title="Bob's private"),
    }


def uids(*assets):
    return [str(asset.uid) for asset in assets]


def test_each_asset_is_answered_on_its_own_with_the_single_actions_checks(desk, make_user):
    eve = desk["eve"]
    retention.set_legal_hold(desk["news_photo"], True, actor=Actor(make_user("root", is_superuser=True)))
    chosen = uids(desk["own"], desk["news_photo"], desk["sport_photo"], desk["hidden"])
    results = bulk.act_on_many(chosen, "trash", actor=Actor(eve), reason="cleanup")
    assert [(r.ok, r.error) for r in results] == [(True, ""), (False, "legal_hold"), (False, "not_found"),
                                                  (False, "not_found")]
    assert "legal hold" in results[1].message
    assert Asset.objects.get(pk=desk["own"].pk).deleted_at is not None
    assert Asset.objects.filter(deleted_at__isnull=False).count() == 1
    assert AuditEntry.objects.get(action="asset.trash").after == {"reason": "cleanup"}

    vic_results = bulk.act_on_many(uids(desk["sport_photo"]), "add_keywords", actor=Actor(desk["vic"]),
                                   keywords=["goal"])
    assert vic_results[0].error == "permission_denied" and vic_results[0].message == "You may not change this asset."


def test_keywords_are_added_once_audited_and_found_by_search(desk):
    eve, photo = desk["eve"], desk["news_photo"]
    results = bulk.act_on_many(uids(desk["own"], photo), "add_keywords", actor=Actor(eve),
                               keywords=["Harbour", " harbour ", "night shot"])
    assert all(r.ok and r.changed for r in results)
    again = bulk.act_on_many(uids(photo), "add_keywords", actor=Actor(eve), keywords=["HARBOUR"])
    assert again[0].ok and not again[0].changed, "already there, ignoring case"
    photo.refresh_from_db()
    assert photo.keywords == ["Harbour", "night shot"]
    entry = AuditEntry.objects.filter(action="asset.edit_metadata", asset=photo).get()
    assert entry.before == {"keywords": []} and entry.after == {"keywords": ["Harbour", "night shot"]}
    found = search(SearchQuery(text="harbour"), eve)
    assert {hit.asset_id for hit in found.hits} == {desk["own"].pk, photo.pk}


def test_collections_need_a_filing_role_for_the_whole_request(desk, make_user):
    eve, bob = desk["eve"], desk["bob"]
    with pytest.raises(Exception, match="You may not file assets into or take them out of “Sport”"):
        bulk.act_on_many(uids(desk["own"]), "add_to_collection", actor=Actor(eve), collection=desk["sport"])
    added = bulk.act_on_many(uids(desk["news_photo"], desk["sport_photo"]), "add_to_collection", actor=Actor(bob),
                             collection=desk["sport"])
    assert [(r.ok, r.changed) for r in added] == [(True, True), (True, False)]
    removed = bulk.act_on_many(uids(desk["news_photo"]), "remove_from_collection", actor=Actor(bob),
                               collection=desk["news"])
    assert removed[0].ok and not desk["news_photo"].collections.filter(pk=desk["news"].pk).exists()
    assert AuditEntry.objects.filter(action="asset.remove_from_collection").count() == 1


def test_the_api_returns_a_result_per_asset(desk, login):
    client = login(desk["eve"])
    url = reverse("governance-api:bulk")
    response = client.post(url, {"action": "set_rights", "assets": uids(desk["own"], desk["news_photo"],
                                                                          desk["hidden"]),
                                 "rights": {"licence_type": "cc_by", "holder": "Eve", "territories": ["fr"]}},
                           content_type="application/json")
    body = response.json()
    assert response.status_code == 200 and (body["done"], body["refused"]) == (2, 1)
    assert body["results"][2] == {"uid": str(desk["hidden"].uid), "ok": False, "changed": False,
                                  "error": "not_found", "message": bulk.NOT_SEEN}
    assert UsageRights.objects.get(asset=desk["news_photo"]).territories == ["FR"]

    partial = client.post(url, {"action": "set_rights", "assets": uids(desk["own"]), "rights": {"holder": "Eve L."}},
                          content_type="application/json").json()
    rights = UsageRights.objects.get(asset=desk["own"])
    assert partial["done"] == 1 and (rights.holder, rights.licence_type) == ("Eve L.", "cc_by"), "others kept"

    refused = client.post(url, {"action": "add_to_collection", "assets": uids(desk["own"]),
                                "collection": desk["sport"].slug}, content_type="application/json")
    assert refused.status_code == 400 and "does not exist" in refused.json()["message"], "Sport's name stays unknown"
    missing = client.post(url, {"action": "add_keywords", "assets": uids(desk["own"])}, content_type="application/json")
    assert missing.status_code == 400 and missing.json()["message"] == "keywords: add_keywords needs keywords."
    unknown = client.post(url, {"action": "explode", "assets": uids(desk["own"])}, content_type="application/json")
    assert unknown.status_code == 400


def test_the_selection_bar_acts_and_comes_back_to_the_library_page(desk, login):
    client = login(desk["eve"])
    library = reverse("assets:library") + "?q=bob"
    url = reverse("governance:selection")
    response = client.post(url, {"assets": uids(desk["news_photo"], desk["own"]), "action": "add_keywords",
                                 "keywords": "ferry, dawn", "next": library}, follow=True)
    assert response.redirect_chain[-1][0] == library
    assert "Added the keywords to 2 images." in response.content.decode()
    nothing = client.post(url, {"action": "trash", "next": library}, follow=True)
    assert "Tick at least one image first." in nothing.content.decode()


def test_trashing_a_selection_asks_first_and_reports_what_was_not_done(desk, make_user, login):
    retention.set_legal_hold(desk["news_photo"], True, actor=Actor(make_user("root", is_superuser=True)))
    client = login(desk["eve"])
    chosen = {"assets": uids(desk["own"], desk["news_photo"]), "action": "trash", "next": reverse("assets:library")}
    asked = client.post(reverse("governance:selection"), chosen).content.decode()
    assert "Move 2 images to the trash?" in asked and "<li>“Bob in News”</li>" in asked
    assert not Asset.objects.filter(deleted_at__isnull=False).exists()
    done = client.post(reverse("governance:selection"), {**chosen, "confirmed": "yes"}, follow=True).content.decode()
    assert "Moved 1 image to the trash." in done
    assert "Not done for 1 image: This asset is under legal hold and cannot be deleted." in done


def test_the_selection_rights_form_sets_the_rights_of_every_asset_it_may(desk, login):
    client = login(desk["bob"])
    chosen = uids(desk["news_photo"], desk["sport_photo"], desk["own"])
    page = client.post(reverse("governance:selection"), {"assets": chosen, "action": "set_rights"}).content.decode()
    assert "Usage rights of 3 images" in page and "You may set the rights of 2 of them" in page
    saved = client.post(reverse("governance:selection_rights"), {
        "assets": chosen, "licence_type": "royalty_free", "holder": "Bob", "territories": "worldwide",
        "next": reverse("assets:library")}, follow=True).content.decode()
    assert "Saved the usage rights of 2 images." in saved and "Not done for 1 image" in saved
    assert set(UsageRights.objects.values_list("asset__title", flat=True)) == {"Bob in News", "Bob in Sport"}
