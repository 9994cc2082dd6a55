"""Editing an asset's details: one audited change that search, JSON-LD and downloads follow at once."""
import pytest
from django.core.exceptions import PermissionDenied

from assets.jsonld import image_object
from assets.models import Asset
from assets.services.editing import edit_metadata
from core.audit import Actor
from core.models import AuditEntry
from core.refusals import Refused
from search.models import SearchDocument
from search.query import SearchQuery
from search.service import search

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user):
    return make_user("owner")


def test_an_edit_is_audited_with_what_changed_and_bumps_the_metadata_revision(owner, make_asset):
    asset = make_asset(owner, title="Before")
    edited = edit_metadata(asset, actor=Actor(owner), title="  After  the   storm ", caption="Line one\nline two",
                           keywords=[" Storm", "storm", "", "sea "], alt_text="Waves")
    assert (edited.title, edited.caption, edited.keywords, edited.alt_text) == (
        "After the storm", "Line one\nline two", ["Storm", "sea"], "Waves")
    entry = AuditEntry.objects.get(action="asset.edit_metadata")
    assert entry.actor == owner and entry.asset_id == asset.pk
    assert entry.before == {"title": "Before", "caption": "", "keywords": [], "alt_text": ""}
    assert entry.after == {"title": "After the storm", "caption": "Line one\nline two", "keywords": ["Storm", "sea"],
                           "alt_text": "Waves"}
    assert Asset.objects.get(pk=asset.pk).metadata_revision == 1
    edit_metadata(asset, actor=Actor(owner), title="After the storm")
    assert AuditEntry.objects.filter(action="asset.edit_metadata").count() == 1, "no change, nothing written"
    assert Asset.objects.get(pk=asset.pk).metadata_revision == 1


def test_search_finds_the_new_words_and_jsonld_follows(owner, make_asset):
    asset = make_asset(owner, title="Untitled")
    edit_metadata(asset, actor=Actor(owner), keywords=["lighthouse"], creator="Grace Hopper", credit="Navy",
                  copyright="© Grace Hopper", alt_text="A lighthouse at night")
    document = SearchDocument.objects.get(asset_id=asset.pk)
    assert document.creator == "Grace Hopper"
    assert [hit.asset_id for hit in search(SearchQuery(text="lighthouse"), owner).hits] == [asset.pk]
    assert [hit.asset_id for hit in search(SearchQuery(creator="grace hopper"), owner).hits] == [asset.pk]
    data = image_object(Asset.objects.get(pk=asset.pk))
    assert data["keywords"] == ["lighthouse"] and data["creator"] == {"@type": "Person", "name": "Grace Hopper"}
    assert data["creditText"] == "Navy" and data["copyrightNotice"] == "© Grace Hopper"
    assert data["copyrightHolder"] == data["creator"] and data["accessibilitySummary"] == "A lighthouse at night"


def test_only_those_who_may_change_the_asset_edit_it(owner, make_user, make_asset, make_collection):
    viewer = make_user("viewer")
    asset = make_asset(owner, collections=[make_collection("Shared", viewer="viewer")])
    with pytest.raises(PermissionDenied):
        edit_metadata(asset, actor=Actor(viewer), title="Mine now")
    assert Asset.objects.get(pk=asset.pk).title != "Mine now"


def test_values_that_do_not_fit_are_refused_in_words(owner, make_asset):
    asset = make_asset(owner)
    with pytest.raises(Refused, match="Title: Ensure this value has at most 500 characters"):
        edit_metadata(asset, actor=Actor(owner), title="x" * 501)
    with pytest.raises(Refused, match="At most 100 keywords"):
        edit_metadata(asset, actor=Actor(owner), keywords=[f"k{n}" for n in range(101)])
    with pytest.raises(TypeError):
        edit_metadata(asset, actor=Actor(owner), status="ready")
    assert not AuditEntry.objects.filter(action="asset.edit_metadata").exists()
