"""The search pages through the Django test client: results with explanations, facets, chips, senses,
suggestions, saved searches and near-duplicates."""
import re

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
    assert re.search(r"Concept <strong>animal</strong> via <strong>tabby</strong>: 0\.55", html)
    assert 'class="facet"' in html and "Labrador retriever" in html and "Usage rights" in html
    assert html.count('class="asset-tile hit"') == 3
    assert "More like this" in html


def test_caption_snippet_is_highlighted_and_escaped(signed_in, library):
    Asset.objects.filter(pk=library["coffee"].pk).update(caption="Espresso & <b>bold</b> in the morning")
    reindex_asset(library["coffee"].pk)
    html = page(signed_in, q="espresso")
    assert "<mark>Espresso</mark> &amp;" in html
    assert "<b>bold</b>" not in html


def test_typo_says_what_was_searched(signed_in, library):
    assert "Showing results for <strong>motorcycle</strong>" in page(signed_in, q="motorcyle")


def test_ambiguous_word_offers_its_senses_as_chips(signed_in, library):
    html = page(signed_in, q="crane")
    assert "“crane” can mean" in html
    senses = re.findall(r'<a href="([^"]+)" title="[^"]*">crane <span class="count">\((\d)\)</span>', html)
    assert len(senses) == 2 and all(count == "1" for _, count in senses)
    picked = page(signed_in, **dict(re.findall(r"(\w+)=([\w-]+)", senses[0][0].split("?", 1)[1].replace("&amp;", "&"))))
    assert "1 result" in picked and 'class="chosen"' in picked


def test_facet_links_filter_and_chips_remove_the_filter(signed_in, library):
    html = page(signed_in, q="animal", orientation="portrait")
    assert "1 result" in html and "Wader" in html
    chip = re.search(r'<a href="([^"]+)" aria-label="Remove Orientation: portrait">', html).group(1)
    assert "orientation" not in chip and "q=animal" in chip
    labelled = page(signed_in, q="animal", has_concept="n02121620", has_faces="unknown")
    assert "1 result" in labelled and "Labelled: cat ×" in labelled and "Faces:" not in labelled


def test_invalid_parameters_show_a_message_not_an_error(signed_in, library):
    html = page(signed_in, q="cat", taken_after="last tuesday", objects="many people")
    assert "Enter the date as YYYY-MM-DD" in html and "label:count" in html


def test_next_page_link_carries_a_cursor(signed_in, library):
    html = page(signed_in, page_size=3)
    next_url = re.search(r'rel="next" href="\?([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "cursor=" in next_url
    second = signed_in.get(reverse("search:search") + "?" + next_url).content.decode()
    assert second.count('class="asset-tile hit"') == 3


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
    assert "Tall animals" in signed_in.get(reverse("search:saved")).content.decode()
    run = signed_in.get(reverse("search:saved_run", args=[saved.pk]))
    assert run.status_code == 302
    assert "1 result" in signed_in.get(run["Location"]).content.decode()

    client.force_login(django_user_model.objects.create_user("mallory", password="x"))
    assert client.get(reverse("search:saved_run", args=[saved.pk])).status_code == 403
    signed_in.force_login(saved.owner)
    assert signed_in.post(reverse("search:saved_delete", args=[saved.pk])).status_code == 302
    assert not SavedSearch.objects.exists()


def test_duplicates_page_keeps_one_and_trashes_the_rest(signed_in, ingest, jpeg):
    original = ingest("chelsea", title="Chelsea original")
    copy = ingest(Image.open(jpeg("chelsea", quality=40)), title="Chelsea copy")
    ingest("coffee")
    html = signed_in.get(reverse("search:duplicates")).content.decode()
    assert "2 near-identical images" in html and "Coffee" not in html
    response = signed_in.post(reverse("search:duplicates"), {"keep": str(original.uid),
                                                             "group": [str(original.uid), str(copy.uid)]})
    assert response.status_code == 302
    copy.refresh_from_db()
    original.refresh_from_db()
    assert copy.deleted_at is not None and original.deleted_at is None
    assert "No near-duplicates found" in signed_in.get(reverse("search:duplicates")).content.decode()


@pytest.mark.skipif(not (MODELS / "mobilenetv2-12-int8.onnx").is_file(), reason=f"no shared models at {MODELS}")
def test_search_by_image_shows_the_most_alike_first(signed_in, ingest, jpeg):
    assets = [ingest("chelsea", title="Chelsea"), ingest("coffee", title="Coffee")]
    versions = [asset.current_version for asset in assets]
    jobs.run_step(Capability.CLASSIFY, versions, images={v.pk: load_original(v) for v in versions})
    response = signed_in.post(reverse("search:image") + "?page_size=1", {"image": jpeg("chelsea", quality=50)})
    html = response.content.decode()
    assert response.status_code == 200 and "result for the image" in html
    assert html.index("Chelsea") < html.index("Save this search") and 'rel="next"' not in html
