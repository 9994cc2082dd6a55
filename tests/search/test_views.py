"""The search pages through the Django test client: results with explanations, facets, chips, senses,
suggestions, saved searches and near-duplicates."""
import re
from html import unescape

import pytest
from django.urls import reverse
from PIL import Image

from assets.models import Asset
from enrichment.models import Capability
from enrichment.services import jobs
from enrichment.services.working_image import load_original
from search.indexing import reindex_asset
from search.models import SavedSearch
from support import MODELS

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def page(client, **params):
    response = client.get(reverse("search:search"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_search_needs_a_signed_in_user(client):
    response = client.get(reverse("search:search"), {"q": "cat"})
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_empty_page_shows_the_form_only(signed_in):
    html = page(signed_in)
    assert 'role="search"' in html and "result-count" not in html


def test_results_carry_explanations_facets_and_thumbnails(signed_in, library, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        html = page(signed_in, q="animal")
    assert "3 results" in html
    assert "Chelsea on the sofa" in html and "Rex" in html and "Wader" in html
    assert re.search(r"Labelled <strong>tabby</strong>, a kind of <strong>animal</strong> · 55% sure", html)
    outside_expert_details = re.sub(r'<details class="expert-details">.*?</details>', "", html, flags=re.S)
    assert "mobilenetv2" in html and "mobilenetv2" not in outside_expert_details
    assert 'class="facet"' in html and "Labrador retriever" in html and "Usage rights" in html
    assert html.count('class="asset-tile hit"') == 3
    assert "More like this" in html


def test_a_bad_page_link_says_so_and_offers_the_first_page(signed_in, library):
    html = page(signed_in, q="animal", cursor="not-a-cursor")
    assert "The search could not run as asked." in html and "This page link is not valid" in html
    assert '<a class="button button-small" href="/search/?q=animal">Start again from the first page</a>' in html
    other_sort = page(signed_in, q="animal", sort="newest", cursor="WyJyZWxldmFuY2UiLDEsMV0")
    assert "This page link belongs to another sort order" in other_sort


def test_the_form_speaks_plainly_and_keeps_the_automatic_ranking(signed_in, library):
    html = page(signed_in, q="animal")
    assert re.search(r'<select name="fusion"[^>]*>\s*<option value="" selected>Automatic \(recommended\)', html)
    assert 'data-drop-empty' in html, "the page's script leaves empty fields out of the address"
    for jargon in ("Fusion", "label:count", "Asset uid", "true: faces"):
        assert jargon not in html, jargon
    assert "Expert options" in html


def test_chips_say_the_filters_in_words(signed_in, library):
    chelsea = library["cat"]
    html = page(signed_in, q="animal", has_faces="false", rights_status="unknown", format="jpeg",
                similar_to=str(chelsea.uid))
    chips = re.findall(r'aria-label="Remove ([^"]+)"', html)
    assert {"Faces: no", "Rights: No rights recorded", "Format: JPEG", f"Looks like: {chelsea}"} <= set(chips)


def test_caption_snippet_is_highlighted_and_escaped(signed_in, library):
    Asset.objects.filter(pk=library["coffee"].pk).update(caption="Espresso & <b>bold</b> in the morning")
    reindex_asset(library["coffee"].pk)
    html = page(signed_in, q="espresso")
    assert "<mark>Espresso</mark> &amp;" in html
    assert "<b>bold</b>" not in html


def test_a_corrected_spelling_offers_the_words_as_typed_and_back(signed_in, library):
    html = page(signed_in, q="motorcyle")
    assert "Showing results for <strong>motorcycle</strong>" in html and "1 result" in html
    instead = re.search(r'Search instead for <a href="([^"]+)">motorcyle</a>', html).group(1).replace("&amp;", "&")
    as_typed = signed_in.get(instead).content.decode()
    assert "0 results" in as_typed and "Showing results for" not in as_typed
    corrected = re.search(r'Did you mean <a href="([^"]+)">motorcycle</a>\?', as_typed).group(1).replace("&amp;", "&")
    assert "as_typed" not in corrected and "Showing results for" in signed_in.get(corrected).content.decode()
    assert 'name="as_typed"' not in as_typed, "new words typed into the box are corrected again"


def test_ambiguous_word_offers_its_senses_as_chips_named_by_their_meaning(signed_in, library):
    html = page(signed_in, q="crane")
    assert "“crane” can mean" in html
    senses = re.findall(r'<a href="([^"]+)" title="[^"]*">crane \((wading bird|lifting device)\) '
                        r'<span class="count">\((\d)\)</span>', html)
    assert sorted(meaning for _, meaning, _ in senses) == ["lifting device", "wading bird"]
    assert all(count == "1" for _, _, count in senses) and "crane.n.0" not in html
    senses = [(url, count) for url, _, count in senses]
    picked = page(signed_in, **dict(re.findall(r"(\w+)=([\w-]+)", senses[0][0].split("?", 1)[1].replace("&amp;", "&"))))
    assert "1 result" in picked and 'class="chosen"' in picked


def test_facet_links_filter_and_chips_remove_the_filter(signed_in, library):
    html = page(signed_in, q="animal", orientation="portrait")
    assert "1 result" in html and "Wader" in html
    chip = re.search(r'<a href="([^"]+)" aria-label="Remove Orientation: Portrait">', html).group(1)
    assert "orientation" not in chip and "q=animal" in chip
    labelled = page(signed_in, q="animal", has_concept="n02121620", has_faces="unknown")
    assert "1 result" in labelled and "Labelled: cat ×" in labelled and "Faces:" not in labelled


def test_invalid_parameters_show_a_message_not_an_error(signed_in, library):
    html = page(signed_in, q="cat", taken_after="last tuesday", objects="many people")
    assert "Enter the date as YYYY-MM-DD" in html
    assert "Write what and how many, e.g. “person: 2” for two people or more (not “many people”)." in html
    assert "'many people'" not in html and "label:count" not in html
    territory = page(signed_in, q="cat", usable_territory="XX")
    assert "The search could not run as asked." in territory and "0 results" not in territory
    assert "“XX” is not an ISO 3166 two-letter country code (such as DE for Germany) or “worldwide”." in unescape(territory)


@pytest.mark.parametrize("params, said", [
    ({"q": "?!"}, "“?!” has no letters or digits to search for; type a word or two."),
    ({"q": "the of"}, "“the of” is made of words too common to search for on their own"),
    ({"concept": "n99999999"}, "There is no concept “n99999999”"),
    ({"q": "cat", "has_concept": "x-nothing"}, "There is no concept “x-nothing”"),
])
def test_a_search_that_can_find_nothing_says_why_instead_of_showing_everything(signed_in, library, params, said):
    html = page(signed_in, **params)
    assert said in html and "0 results" in html and 'class="asset-tile hit"' not in html


def test_medical_formats_are_offered_as_filters_and_chips_use_names(signed_in, library):
    html = page(signed_in, q="crane", concept="n02012849", usable_territory="de", format="dicom")
    assert re.search(r'<input type="checkbox" name="format" value="dicom"[^>]*>\s*DICOM', html)
    assert re.search(r'<input type="checkbox" name="format" value="nifti"[^>]*>\s*NIfTI', html)
    chips = re.findall(r'aria-label="Remove ([^"]+)"', html)
    assert {"Concept: crane (wading bird)", "Usable in: Germany", "Format: DICOM"} <= set(chips)


def test_next_page_link_carries_a_cursor(signed_in, library):
    html = page(signed_in, page_size=3)
    next_url = re.search(r'rel="next" href="\?([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "cursor=" in next_url
    second = signed_in.get(reverse("search:search") + "?" + next_url).content.decode()
    assert second.count('class="asset-tile hit"') == 3


def test_browsing_a_large_library_shows_the_page_first_and_counts_after(signed_in, uncounted_browsing):
    """The grid comes with "Counting results…"; the count endpoint, asked with the same filters (no cursor),
    gives the words. A first page that holds every hit knows its total at once."""
    html = page(signed_in, q="", page_size=1)
    assert html.count('class="asset-tile hit"') == 1 and "Counting results…" in html
    count_url = unescape(re.search(r'data-count-url="([^"]+)"', html).group(1))
    assert count_url.startswith(reverse("search:count")) and "page_size=1" in count_url
    assert signed_in.get(count_url).json() == {"count": 1, "count_is_exact": False, "words": "1+ results"}
    whole = page(signed_in, q="", page_size=50)
    assert "data-count-url" not in whole and "1+ results" in whole
    refused = signed_in.get(reverse("search:count"), {"format": "not-a-format"})
    assert refused.status_code == 400 and "format" in refused.json()["errors"]


def test_browsing_shows_the_page_first_and_its_facets_after(signed_in, library, django_assert_max_num_queries):
    """No words: the page names where its facets are (counted over a sample, as much work as the page); the
    sidebar's HTML comes from there, with the same filters, and a page of their own serves a browser without
    scripts. With words, the facets come with the page (sense choices need their counts)."""
    with django_assert_max_num_queries(8):  # as many for a page of 1 or of 100, in a library of any size
        html = page(signed_in, q="", orientation="portrait")
    assert html.count('class="asset-tile hit"') >= 1 and 'class="facet"' not in html
    assert "Why this result" not in html, "browsing matched nothing in particular: there is no reason to show"
    facets_url = unescape(re.search(r'data-facets-url="([^"]+)"', html).group(1))
    assert facets_url.startswith(reverse("search:facets")) and "orientation=portrait" in facets_url
    with django_assert_max_num_queries(5):
        fragment = signed_in.get(facets_url, headers={"X-Fragment": "facets"}).content.decode()
    assert '<section class="facet">' in fragment and "<html" not in fragment and "Formats" in fragment
    assert "portrait" in fragment.lower() and "landscape" not in fragment.lower(), "counted over the same filters"
    own_page = signed_in.get(facets_url).content.decode()
    assert "<html" in own_page and "Formats" in own_page and "Back to the results" in own_page
    assert 'class="facet"' in page(signed_in, q="animal") and "data-facets-url" not in page(signed_in, q="animal")
    assert signed_in.get(reverse("search:facets"), {"format": "not-a-format"}).status_code == 400


def test_suggestions_say_which_other_name_they_matched(signed_in, library):
    suggestions = signed_in.get(reverse("search:suggest"), {"q": "commode"}).json()["suggestions"]
    toilet = next(s for s in suggestions if s["id"] == "n04446521")
    assert (toilet["label"], toilet["name"], toilet["also_called"]) == ("toilet", "toilet", "commode")
    cranes = signed_in.get(reverse("search:suggest"), {"q": "crane"}).json()["suggestions"]
    assert {s["name"] for s in cranes if s["label"] == "crane"} == {"crane (wading bird)", "crane (lifting device)"}
    assert all(s["also_called"] == "" for s in cranes if s["label"] == "crane")


def test_suggestions_as_json_with_counts(signed_in, library):
    response = signed_in.get(reverse("search:suggest"), {"q": "ca"})
    suggestions = response.json()["suggestions"]
    assert suggestions[0]["label"] == "cat" and suggestions[0]["count"] == 1
    present = [s["count"] > 0 for s in suggestions]
    assert present == sorted(present, reverse=True), "concepts in the library come first"


def test_save_list_run_and_delete_a_search(signed_in, library, client, django_user_model):
    response = signed_in.post(reverse("search:saved") + "?q=animal&orientation=portrait&cursor=abc", {"name": "Tall animals"})
    assert response.status_code == 302
    saved = SavedSearch.objects.get(name="Tall animals")
    assert saved.params == {"q": ["animal"], "orientation": ["portrait"]}
    listed = signed_in.get(reverse("search:saved")).content.decode()
    assert "Tall animals" in listed and "“animal” · Orientation: Portrait" in listed and "orientation=" not in listed
    run = signed_in.get(reverse("search:saved_run", args=[saved.pk]))
    assert run.status_code == 302
    assert "1 result" in signed_in.get(run["Location"]).content.decode()

    client.force_login(django_user_model.objects.create_user("mallory", password="x"))
    assert client.get(reverse("search:saved_run", args=[saved.pk])).status_code == 403
    signed_in.force_login(saved.owner)
    asked = signed_in.post(reverse("search:saved_delete", args=[saved.pk]))
    assert "Delete the saved search “Tall animals”?" in asked.content.decode() and SavedSearch.objects.exists()
    assert signed_in.post(reverse("search:saved_delete", args=[saved.pk]), {"confirmed": "yes"}).status_code == 302
    assert not SavedSearch.objects.exists()


def test_duplicates_page_asks_which_to_keep_and_confirms_before_trashing(signed_in, ingest, jpeg):
    original = ingest("chelsea", title="Chelsea original")
    copy = ingest(Image.open(jpeg("chelsea", quality=40)), title="Chelsea copy")
    ingest("coffee")
    html = signed_in.get(reverse("search:duplicates")).content.decode()
    assert "2 copies of one picture" in html and "Coffee" not in html
    assert "checked" not in html, "no image may be chosen for the person"

    review = signed_in.post(reverse("search:duplicates_keep"), {"keep": str(original.uid)})
    html = review.content.decode()
    assert review.status_code == 200 and "Move 1 to the trash" in html and "Chelsea copy" in html
    copy.refresh_from_db()
    assert copy.deleted_at is None, "reviewing trashes nothing"

    response = signed_in.post(reverse("search:duplicates_keep"),
                              {"keep": str(original.uid), "trash": [str(copy.uid)], "confirm": "yes"})
    assert response.status_code == 302
    copy.refresh_from_db()
    original.refresh_from_db()
    assert copy.deleted_at is not None and original.deleted_at is None
    assert "No near-duplicates found" in signed_in.get(reverse("search:duplicates")).content.decode()


def test_confirming_nothing_to_trash_is_refused_in_words(signed_in, ingest, jpeg):
    original = ingest("chelsea", title="Chelsea original")
    ingest(Image.open(jpeg("chelsea", quality=40)), title="Chelsea copy")
    response = signed_in.post(reverse("search:duplicates_keep"), {"keep": str(original.uid), "confirm": "yes"},
                              follow=True, HTTP_REFERER=reverse("search:duplicates"))
    assert "Choose at least one image to move to the trash." in response.content.decode()
    assert not Asset.objects.filter(deleted_at__isnull=False).exists()


@pytest.mark.skipif(not (MODELS / "mobilenetv2-12-int8.onnx").is_file(), reason=f"no shared models at {MODELS}")
def test_search_by_image_shows_the_most_alike_first(signed_in, ingest, jpeg):
    assets = [ingest("chelsea", title="Chelsea"), ingest("coffee", title="Coffee")]
    versions = [asset.current_version for asset in assets]
    jobs.run_step(Capability.CLASSIFY, versions, images={v.pk: load_original(v) for v in versions})
    response = signed_in.post(reverse("search:image") + "?page_size=1", {"image": jpeg("chelsea", quality=50)})
    html = response.content.decode()
    assert response.status_code == 200 and "result for the image" in html
    assert html.index("Chelsea") < html.index("Save this search") and 'rel="next"' not in html
