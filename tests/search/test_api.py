"""GET /api/search/ and friends: the same search as the page, with keyset cursors, facets, explanations,
sense choices, search by image (real classifier) and saved searches."""
import io
import time

import numpy as np
import pytest
from django.db import transaction
from rest_framework.test import APIClient
from skimage import data

from assets.services.ingest import ingest_file
from enrichment.models import Capability, ColourPalette, ModelRun
from enrichment.services import jobs
from enrichment.services.working_image import load_original
from medical_samples import pydicom_file, synthetic_nifti
from search.models import SavedSearch
from search.statement import SearchStatement
from support import MODELS

pytestmark = pytest.mark.django_db
CRANE_BIRD, CRANE_MACHINE = "n02012849", "n03126707"


@pytest.fixture
def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_search_returns_hits_with_explanations_facets_and_interpretation(api, library):
    body = api.get("/api/search/", {"q": "animals"}).json()
    assert body["count"] == 3 and body["next"] is None
    chelsea = next(hit for hit in body["results"] if hit["title"] == "Chelsea on the sofa")
    assert chelsea["uid"] == str(library["cat"].uid) and chelsea["format"] == "png"
    assert chelsea["html_url"].endswith(f"/assets/{library['cat'].uid}/")
    assert chelsea["explanation"]["concepts"][0]["label"] == "tabby"
    assert {"format", "orientation", "year", "concept", "rights"} <= set(body["facets"])
    assert body["interpretation"]["concepts"][0]["phrase"] == "animal"
    assert body["vector_text_search"] == {
        "available": False,
        "reason": "Searching by what an image looks like from words is not set up here; results come from "
                  "concepts and text.",
    }


def test_hits_have_exactly_the_fields_the_schema_documents(api, library):
    """Hits are written out by hand (for speed); the schema, made from the declared fields, must match."""
    schemas = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()["components"]["schemas"]
    hit = api.get("/api/search/", {"q": "animals"}).json()["results"][0]
    assert set(hit) == set(schemas["Hit"]["properties"])
    assert set(hit["explanation"]) == set(schemas["Explanation"]["properties"])
    assert set(hit["explanation"]["concepts"][0]) == set(schemas["ConceptEvidence"]["properties"])


def test_facets_can_be_left_out_and_the_hits_stay_the_same(api, library):
    with_facets = api.get("/api/search/", {"q": "animals"}).json()
    without = api.get("/api/search/", {"q": "animals", "facets": "false"}).json()
    assert without["facets"] == {} and with_facets["facets"]
    assert without["results"] == with_facets["results"] and without["count"] == with_facets["count"]


SLOW_STATEMENT = ("SELECT pg_sleep(2)", [])  # what a broad word costs at a million assets, in a test's time


def test_a_search_past_its_time_budget_is_refused_in_words_and_cancelled(api, library, settings, monkeypatch):
    settings.LUMEN_SEARCH_BUDGET_MS = 300
    monkeypatch.setattr(SearchStatement, "page_sql", lambda statement: SLOW_STATEMENT)
    started = time.monotonic()
    with transaction.atomic():  # the request's own transaction (autocommit's), which the cancelled statement ends
        response = api.get("/api/search/", {"q": "animals"})
        transaction.set_rollback(True)
    assert time.monotonic() - started < 1.5  # Postgres stopped the statement: the request did not wait for it
    assert response.status_code == 503 and response.json()["error"] == "search_too_broad"
    assert response.json()["message"] == ("This search matches too much to rank within 0.3 seconds. Add a word or "
                                          "a filter (a collection, a format, a date) and search again.")
    monkeypatch.undo()
    assert api.get("/api/search/", {"q": "animals"}).json()["count"] == 3  # the connection serves the next one


def test_facets_past_the_time_budget_are_left_out_and_the_hits_shown(api, library, settings, monkeypatch):
    settings.LUMEN_SEARCH_BUDGET_MS = 300
    monkeypatch.setattr(SearchStatement, "facets_sql", lambda statement, hit_ids=None: SLOW_STATEMENT)
    body = api.get("/api/search/", {"q": "animals"}).json()
    assert body["count"] == 3 and len(body["results"]) == 3 and body["facets"] == {}


def test_format_is_a_filter_not_a_renderer(api, library):
    response = api.get("/api/search/", {"format": "png", "q": "cat"})
    assert response.status_code == 200 and response.json()["count"] == 1


def test_ambiguous_words_list_their_senses_with_counts(api, library):
    concepts = api.get("/api/search/", {"q": "crane"}).json()["interpretation"]["concepts"]
    assert concepts[0]["ambiguous"] and concepts[0]["chosen"] is None
    assert {(s["id"], s["count"]) for s in concepts[0]["senses"]} == {(CRANE_BIRD, 1), (CRANE_MACHINE, 1)}
    picked = api.get("/api/search/", {"q": "crane", "concept": CRANE_BIRD}).json()
    assert picked["count"] == 1 and picked["interpretation"]["concepts"][0]["chosen"] == CRANE_BIRD


def test_every_sense_is_counted_with_the_facets_and_none_is_a_wrong_zero_without(api, library):
    concepts = api.get("/api/search/", {"q": "dogs"}).json()["interpretation"]["concepts"]
    assert [(s["label"], s["count"]) for s in concepts[0]["senses"]] == [("dog", 1)]
    without = api.get("/api/search/", {"q": "dogs", "facets": "false"}).json()["interpretation"]["concepts"]
    assert [s["count"] for s in without[0]["senses"]] == [None]


def test_colours_are_words_a_filter_and_a_facet(api, library, classifier_run):
    colours_run = ModelRun.objects.create(capability=Capability.COLOURS, name="cielab-kmeans", version="test")
    for name, palette in (("motorcycle", [("red", 0.5), ("grey", 0.5)]), ("bus", [("yellow", 0.7), ("red", 0.04)]),
                          ("cat", [("brown", 0.6), ("red", 0.1), ("white", 0.3)])):
        ColourPalette.objects.create(version_id=library[name].current_version_id, model=colours_run,
                                     colours=[{"name": c, "share": share, "hex": "#000000"} for c, share in palette])
    red = api.get("/api/search/", {"colour": "red"}).json()
    assert {hit["uid"] for hit in red["results"]} == {str(library["motorcycle"].uid), str(library["cat"].uid)}
    assert {v["value"]: v["count"] for v in red["facets"]["colour"]} == {"red": 2, "grey": 1, "brown": 1, "white": 1}
    words = api.get("/api/search/", {"q": "red cat"}).json()
    assert words["interpretation"]["colours"] == ["red"]
    assert words["results"][0]["uid"] == str(library["cat"].uid)
    assert words["results"][0]["explanation"]["colours"] == [{"colour": "red", "share": 0.1}]
    bad = api.get("/api/search/", {"colour": "mauve"})
    assert bad.status_code == 400 and "colour" in bad.json()["details"]


def test_a_word_with_nothing_of_its_own_says_which_related_concepts_were_searched(api, library):
    body = api.get("/api/search/", {"q": "mottled"}).json()
    (match,) = body["interpretation"]["concepts"]
    assert match["related"] is True and body["count"] >= 1
    assert body["results"][0]["uid"] == str(library["cat"].uid)


def test_cursor_pages_walk_the_whole_result_once(api, library):
    seen, url, params = [], "/api/search/", {"page_size": 3, "sort": "newest"}
    while url:
        body = api.get(url, params).json()
        seen += [hit["uid"] for hit in body["results"]]
        url, params = body["next"], None
    assert len(seen) == len(set(seen)) == 8


def test_browsing_a_large_library_counts_within_the_list_budget_or_says_null(api, uncounted_browsing, settings,
                                                                             monkeypatch):
    """A total the page statement left unknown is counted within ``LUMEN_COUNT_BUDGET_MS``, as /api/assets/
    does; past it the count is null, and count=exact waits for it."""
    body = api.get("/api/search/", {"q": "", "page_size": 1, "facets": "false"}).json()
    assert (body["count"], body["count_is_exact"], len(body["results"])) == (1, False, 1)
    budgets = []
    monkeypatch.setattr("search.service.remembered_count", lambda sql, params, budget_ms: budgets.append(budget_ms))
    assert api.get("/api/search/", {"q": "", "page_size": 1}).json()["count"] is None
    api.get("/api/search/", {"q": "", "page_size": 1, "count": "exact"})
    assert budgets == [settings.LUMEN_COUNT_BUDGET_MS, settings.LUMEN_SEARCH_BUDGET_MS]


def test_bad_parameters_are_a_400_that_names_them(api, library):
    response = api.get("/api/search/", {"taken_after": "yesterday"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("taken_after: Enter the date as YYYY-MM-DD")
    assert api.get("/api/search/", {"cursor": "not-a-cursor"}).status_code == 400
    assert api.get("/api/search/", {"sort": "random"}).status_code == 400


def test_a_bad_page_link_is_a_400_with_a_sentence(api, library):
    response = api.get("/api/search/", {"q": "animal", "cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert response.json()["message"] == "cursor: This page link is not valid; start the search again."


def test_medical_formats_offered_as_facets_are_filters_of_search_and_of_the_asset_list(api, library, actor):
    dicom = ingest_file(io.BytesIO(pydicom_file("CT_small.dcm").read_bytes()), filename="ct.dcm", actor=actor).asset
    volume = np.arange(4 * 5 * 6, dtype=np.int16).reshape(4, 5, 6)
    nifti = ingest_file(io.BytesIO(synthetic_nifti(volume, compressed=True)), filename="scan.nii.gz",
                        actor=actor).asset
    facet = {value["value"]: value["label"] for value in api.get("/api/search/").json()["facets"]["format"]}
    assert (facet["dicom"], facet["nifti"], facet["png"]) == ("DICOM", "NIfTI", "PNG")
    for fmt, asset in (("dicom", dicom), ("nifti", nifti)):
        found = api.get("/api/search/", {"format": fmt})
        assert found.status_code == 200, found.content
        assert [hit["uid"] for hit in found.json()["results"]] == [str(asset.uid)]
        listed = api.get("/api/assets/", {"format": fmt})
        assert listed.status_code == 200, listed.content
        assert [item["uid"] for item in listed.json()["results"]] == [str(asset.uid)]
    both = api.get("/api/search/", {"format": ["dicom", "nifti"]}).json()
    assert {hit["uid"] for hit in both["results"]} == {str(dicom.uid), str(nifti.uid)}
    refused = api.get("/api/search/", {"format": "bmp"})
    assert refused.status_code == 400 and refused.json()["message"].startswith("format: “bmp” is not one of jpeg, ")


@pytest.mark.parametrize("q", ["?!", "…", " -- ", "the of"])
def test_words_with_nothing_to_search_for_find_nothing_and_say_why(api, library, q):
    body = api.get("/api/search/", {"q": q}).json()
    assert (body["count"], body["results"], body["next"], body["facets"]) == (0, [], None, {})
    assert f"“{q.strip()}”" in body["message"]
    assert api.get("/api/search/", {"q": "cat"}).json()["message"] == ""


@pytest.mark.parametrize("param", ["concept", "has_concept"])
def test_an_unknown_concept_finds_nothing_and_says_so(api, library, param):
    body = api.get("/api/search/", {param: "n99999999"}).json()
    assert (body["count"], body["results"]) == (0, [])
    assert body["message"].startswith("There is no concept “n99999999”")
    known = api.get("/api/search/", {param: "n02121808"}).json()  # domestic cat
    assert known["count"] >= 1 and known["message"] == ""


def test_an_unknown_territory_is_refused_in_words(api, library):
    response = api.get("/api/search/", {"usable_territory": "XX"})
    assert response.status_code == 400
    assert response.json()["message"] == (
        "usable_territory: “XX” is not an ISO 3166 two-letter country code (such as DE for Germany) or “worldwide”.")
    assert api.get("/api/search/", {"usable_territory": "de"}).status_code == 200
    assert api.get("/api/search/", {"usable_territory": "worldwide"}).status_code == 200


def test_anonymous_callers_are_refused(library):
    assert APIClient().get("/api/search/", {"q": "cat"}).status_code in (401, 403)


def test_schema_documents_every_search_parameter(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    parameters = {p["name"] for p in schema["paths"]["/api/search/"]["get"]["parameters"]}
    assert {"q", "concept", "format", "orientation", "objects", "usable_channel", "cursor", "fusion"} <= parameters
    assert "/api/search/image/" in schema["paths"] and "/api/search/saved/" in schema["paths"]


@pytest.mark.skipif(not (MODELS / "mobilenetv2-12-int8.onnx").is_file(), reason=f"no shared models at {MODELS}")
def test_search_by_uploaded_image_uses_the_classifier_vectors(api, ingest, jpeg):
    assets = [ingest("chelsea"), ingest("coffee"), ingest("astronaut")]
    versions = [asset.current_version for asset in assets]
    jobs.run_step(Capability.CLASSIFY, versions, images={v.pk: load_original(v) for v in versions})
    cat_photo = data.chelsea()[20:280, 40:420]  # a crop, recompressed: not the same file
    body = api.post("/api/search/image/", {"image": jpeg(cat_photo, quality=50)}, format="multipart").json()
    assert body["results"][0]["uid"] == str(assets[0].uid)
    assert body["results"][0]["explanation"]["vector"]["similarity"] > 0.8
    filtered = api.post("/api/search/image/?orientation=portrait", {"image": jpeg(cat_photo, quality=50)},
                        format="multipart")
    assert filtered.json()["count"] == 0


def test_search_by_image_without_indexed_images_is_a_409(api, ingest, jpeg):
    ingest("chelsea")
    response = api.post("/api/search/image/", {"image": jpeg("coffee")}, format="multipart")
    assert response.status_code == 409 and "no image has a similarity vector yet" in response.json()["message"]
    not_an_image = io.BytesIO(b"plain text")
    not_an_image.name = "notes.jpg"
    assert api.post("/api/search/image/", {"image": not_an_image}, format="multipart").status_code == 400


def test_saved_searches_are_private_and_run_live(api, library, django_user_model, label):
    created = api.post("/api/search/saved/", {"name": "Animals", "params": {"q": ["animal"]}}, format="json")
    assert created.status_code == 201
    saved = created.json()
    assert saved["results_url"].endswith(f"/api/search/saved/{saved['id']}/results/")
    assert api.get(saved["results_url"]).json()["count"] == 3
    label(library["bus"], "n02084071", 0.9)  # a dog turns up: the saved search sees it at once
    assert api.get(saved["results_url"], {"page_size": 2}).json()["count"] == 4
    assert [s["name"] for s in api.get("/api/search/saved/").json()] == ["Animals"]

    other = APIClient()
    other.force_authenticate(django_user_model.objects.create_user("mallory", password="x"))
    assert other.get(saved["results_url"]).status_code == 403
    assert other.get("/api/search/saved/").json() == []
    invalid = api.post("/api/search/saved/", {"name": "Bad", "params": {"taken_after": ["soon"]}}, format="json")
    assert invalid.status_code == 400
    assert api.delete(f"/api/search/saved/{saved['id']}/").status_code == 204
    assert not SavedSearch.objects.exists()
