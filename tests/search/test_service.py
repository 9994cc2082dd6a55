"""The search on real Postgres: concepts through the ontology, text, filters, permissions, paging.

Images are ingested through the real ingest service; labels, detections and OCR text are written
as rows, so each expectation can be checked against a brute-force computation in Python.
"""
import json
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils import timezone

from assets.models import Asset, AssetVersion, Collection
from core.audit import Actor
from enrichment.models import (
    Capability,
    Detection,
    Embedding,
    FaceDescriptor,
    LabelDecision,
    MachineLabel,
    ModelRun,
    Person,
)
from governance.services.rights import set_rights
from governance.services.roles import grant_role
from ontology.models import Concept
from search import service
from search.concepts import interpret
from search.indexing import reindex_asset
from search.query import Cursor, RightsUse, SearchQuery
from search.statement import CLASS_FLOOR, DETECTOR_WEIGHT, NARROWER_FLOOR, PRESENT, SearchStatement
from search.vectors import ensure_vector_indexes

# WordNet ids the library fixture (conftest.py) labels with, and broader ones queries reach.
TABBY, TIGER_CAT, CRANE_BIRD, CRANE_MACHINE = "n02123045", "n02123159", "n02012849", "n03126707"
PERSON, CAT, ANIMAL = "n00007846", "n02121620", "n00015388"

pytestmark = pytest.mark.django_db


def ids(results):
    return {hit.asset_id for hit in results.hits}


def run(user, **fields):
    return service.search(SearchQuery(**fields), user)


def brute_force_concept_scores(words):
    """{asset id: concept score} the concept part must find, computed in Python from the label rows and
    Concept.ancestors: per phrase and model, a classifier's summed probabilities (a class named from
    CLASS_FLOOR, narrower ones from NARROWER_FLOOR), the detector's best score times DETECTOR_WEIGHT;
    models combined as 1 - prod(1 - score); phrases averaged, each present one lifting the asset."""
    groups = interpret(words).concept_groups
    concepts = {c.pk: c for c in Concept.objects.all()}
    found = {}
    for label in MachineLabel.objects.filter(model__active=True).select_related("version", "model"):
        if label.version.asset.current_version_id != label.version_id:
            continue
        for number, group in enumerate(groups):
            for query_concept in group:
                exact = label.concept_id == query_concept
                if exact or query_concept in concepts[label.concept_id].ancestors:
                    if label.confidence >= (CLASS_FLOOR if exact else NARROWER_FLOOR):
                        key = (label.version.asset_id, number, label.model_id, label.model.capability)
                        found.setdefault(key, []).append(label.confidence)
                    break
    per_group = {}
    for (asset_id, number, _, capability), confidences in found.items():
        score = DETECTOR_WEIGHT * max(confidences) if capability == "detect" else min(1.0, sum(confidences))
        per_group[(asset_id, number)] = 1 - (1 - per_group.get((asset_id, number), 0)) * (1 - score)
    scores = {}
    for (asset_id, _), score in per_group.items():
        scores.setdefault(asset_id, []).append(score)
    n = len(groups)
    return {asset_id: (max(sum(s >= PRESENT for s in found) - 1, 0) + sum(found) / n) / n
            for asset_id, found in scores.items()}


@pytest.mark.parametrize("words", ["cat", "cats", "animal", "vehicle", "dog", "crane", "animals and vehicles", "bus"])
def test_concept_hits_equal_a_brute_force_computation(library, user, words):
    results = run(user, text=words)
    expected = brute_force_concept_scores(words)
    assert ids(results) >= set(expected)
    assert results.total == len(ids(results))
    concept_hits = {hit.asset_id: hit.concept_score for hit in results.hits if hit.concept_score is not None}
    assert concept_hits == pytest.approx(expected)


def test_broader_words_find_narrower_labels(library, user):
    assert ids(run(user, text="cat")) == {library["cat"].pk}
    assert ids(run(user, text="animal")) == {library["cat"].pk, library["dog"].pk, library["crane_bird"].pk}
    assert library["motorcycle"].pk in ids(run(user, text="vehicle"))
    assert ids(run(user, text="buses")) == {library["bus"].pk}


def test_explanation_names_the_phrase_the_narrower_concept_its_confidence_and_model(library, user):
    hit = run(user, text="cats").hits[0]
    tabby = hit.explanation["concepts"][0]
    assert tabby == {"phrase": "cat", "query_concept": CAT, "query_label": "cat", "concept": TABBY, "label": "tabby",
                     "exact": False, "confidence": 0.55, "model": "mobilenetv2-12-int8.onnx"}
    assert hit.concept_score == pytest.approx(0.55 + 0.2)  # a classifier's classes are exclusive: they add up


def test_summed_probability_of_narrower_classes_outranks_a_smaller_exact_one(library, user, label):
    label(library["dog"], CAT, 0.65)  # the concept itself, but less than tabby + tiger cat (0.75)
    results = run(user, text="cat", fusion="weighted")
    assert [hit.asset_id for hit in results.hits][:2] == [library["cat"].pk, library["dog"].pk]
    assert results.hits[1].explanation["concepts"][0]["exact"] is True


def test_a_class_name_finds_its_class_where_it_was_not_the_top_label(library, user, label):
    """What the classifier knew: a photo whose "tabby" probability is low but the highest still comes first."""
    label(library["dog"], TABBY, 0.004)
    results = run(user, text="tabby")
    assert [hit.asset_id for hit in results.hits][:3] == [library["cat"].pk, library["dog"].pk, library["page"].pk]


def test_the_detector_counts_its_best_box_weighed_not_a_sum(library, user, label, detector_run):
    label(library["cat"], CAT, 0.9, model=detector_run)
    (hit,) = run(user, text="cat").hits
    assert hit.concept_score == pytest.approx(1 - (1 - 0.75) * (1 - DETECTOR_WEIGHT * 0.9))


def test_every_phrase_present_ranks_above_some(library, user, label):
    label(library["cat"], "n02099712", 0.2)  # the cat photo also shows a little of a labrador
    results = run(user, text="cat and dog")
    assert results.hits[0].asset_id == library["cat"].pk
    both, one = results.hits[0].concept_score, results.hits[1].concept_score
    assert both > 0.5 > one


def test_typo_is_corrected_and_reported(library, user):
    results = run(user, text="motorcyle")
    assert ids(results) == {library["motorcycle"].pk}
    assert results.interpretation.showing_results_for == "motorcycle"


def test_ambiguous_word_uses_every_sense_unless_one_is_picked(library, user):
    both = run(user, text="crane")
    assert ids(both) == {library["crane_bird"].pk, library["crane_machine"].pk}
    assert both.interpretation.matches[0].ambiguous
    picked = run(user, text="crane", concepts=[CRANE_MACHINE])
    assert ids(picked) == {library["crane_machine"].pk}
    senses = service.facets(picked.query, user, picked.interpretation)["sense"]
    assert {v.value: v.count for v in senses} == {CRANE_BIRD: 1, CRANE_MACHINE: 1}


def test_caption_and_ocr_words_match_with_snippets(library, user):
    (coffee,) = run(user, text="morning espresso").hits[:1]
    assert coffee.asset_id == library["coffee"].pk
    assert "caption" in coffee.explanation["text"]["fields"]
    assert "<mark>Espresso</mark>" in coffee.explanation["text"]["snippets"]["caption"]
    (page,) = run(user, text="watershed").hits
    assert page.asset_id == library["page"].pk
    assert page.explanation["text"]["fields"] == ["ocr"]
    assert "<mark>watershed</mark>" in page.explanation["text"]["snippets"]["ocr"]


def test_ocr_filter_requires_every_word_in_the_image_text(library, user):
    assert ids(run(user, ocr="watershed transform")) == {library["page"].pk}
    assert ids(run(user, ocr="watershed espresso")) == set()
    assert ids(run(user, title="espresso")) == {library["coffee"].pk}


def test_words_in_no_label_and_no_text_find_nothing_when_nothing_is_related(library, user):
    results = run(user, text="zeppelin")
    assert results.total == 0 and results.hits == []
    assert results.interpretation.matches == []


def test_words_matching_nothing_search_the_nearest_concepts_with_images_and_say_so(library, user):
    """No concept is called "mottled"; the tabby's definition ("a cat with a grey or tawny coat mottled with
    black") holds the word, and the library has a tabby."""
    results = run(user, text="mottled")
    (match,) = results.interpretation.matches
    assert match.related and match.phrase == "mottled"
    assert TABBY in match.concept_ids
    assert results.hits[0].asset_id == library["cat"].pk


def test_snippets_escape_html(library, user):
    Asset.objects.filter(pk=library["coffee"].pk).update(caption="Milk & espresso <img src=x onerror=alert(1)>")
    reindex_asset(library["coffee"].pk)
    snippet = run(user, text="espresso").hits[0].snippets["caption"]
    assert "&amp; <mark>espresso</mark>" in snippet
    assert "<" not in snippet.replace("<mark>", "").replace("</mark>", "")


def test_rejected_labels_do_not_count_and_added_ones_do(library, user):
    LabelDecision.objects.create(asset=library["cat"], concept_id=TABBY, decision="rejected")
    LabelDecision.objects.create(asset=library["cat"], concept_id=TIGER_CAT, decision="rejected")
    LabelDecision.objects.create(asset=library["page"], concept_id="n02084071", decision="added")
    assert ids(run(user, text="cat")) == set()
    dog_hits = {hit.asset_id: hit for hit in run(user, text="dog").hits}
    assert dog_hits[library["page"].pk].explanation["concepts"][0]["model"] == "person"


def test_inactive_models_are_not_read(library, user, detector_run):
    ModelRun.objects.filter(pk=detector_run.pk).update(active=False)
    assert library["motorcycle"].pk not in ids(run(user, text="motorcycle"))


def test_structured_filters(library, user, detector_run):
    cat, coffee, bird = library["cat"], library["coffee"], library["crane_bird"]
    assert ids(run(user, formats=["jpeg"])) == set()
    assert ids(run(user, orientations=["portrait"])) == {bird.pk}
    assert ids(run(user, orientations=["square"])) == {library["crane_machine"].pk}
    AssetVersion.objects.filter(pk=cat.current_version_id).update(metadata={
        "taken_at": "2019-06-01T10:00:00", "camera_make": "Canon",
        "camera_model": "Canon EOS 40D", "rights_usage_terms": "Editorial use only",
    })
    Asset.objects.filter(pk=cat.pk).update(creator="Ada Lovelace", keywords=["pet"])  # the asset's, as people edit
    reindex_asset(cat.pk)
    assert ids(run(user, taken_after=date(2019, 1, 1), taken_before=date(2019, 6, 1))) == {cat.pk}
    assert ids(run(user, taken_before=date(2019, 5, 31))) == set()
    assert ids(run(user, years=[2019])) == {cat.pk}
    assert ids(run(user, creator="ada lovelace")) == {cat.pk}
    assert ids(run(user, camera="Canon EOS 40D")) == {cat.pk}
    assert ids(run(user, text="pet")) == {cat.pk}
    assert ids(run(user, has_usage_terms=True)) == {cat.pk}
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert len(ids(run(user, created_before=tomorrow))) == 8
    assert ids(run(user, created_after=tomorrow)) == set()

    collection = Collection.objects.create(name="Pets", slug="pets")
    cat.collections.add(collection)
    assert ids(run(user, collection="pets")) == ids(run(user, collection=str(collection.pk))) == {cat.pk}
    Asset.objects.filter(pk=coffee.pk).update(moderation_state="pending")
    assert ids(run(user, moderation=["pending"])) == {coffee.pk}
    assert ids(run(user, has_concepts=[ANIMAL])) == {cat.pk, library["dog"].pk, bird.pk}

    box = dict(model=detector_run, x=0, y=0, w=10, h=10, score=0.9)
    Detection.objects.create(version_id=coffee.current_version_id, kind="face", label="face", **box)
    assert ids(run(user, has_faces=True)) == {coffee.pk}
    assert coffee.pk not in ids(run(user, has_faces=False))
    Detection.objects.create(version_id=cat.current_version_id, kind="object", label="person", concept_id=PERSON, **box)
    assert ids(run(user, min_objects=[("person", 1)])) == {cat.pk}
    assert ids(run(user, min_objects=[("person", 2)])) == set()
    Detection.objects.create(version_id=cat.current_version_id, kind="object", label="person", concept_id=PERSON, **box)
    assert ids(run(user, min_objects=[("person", 2)], text="cat")) == {cat.pk}


def test_usable_for_channel_territory_and_date_follows_governance_rights(library, user, actor):
    dog, cat = library["dog"], library["cat"]
    set_rights(dog, actor=actor, licence_type="royalty_free", channels=["web"], territories=["DE", "AT"],
               expires_on=date(2031, 1, 1))
    set_rights(cat, actor=actor, licence_type="editorial_only", channels=["editorial"],
               expires_on=date(2020, 1, 1))
    assert ids(run(user, rights=RightsUse("web", "DE", date(2030, 1, 1)))) == {dog.pk}
    assert ids(run(user, rights=RightsUse("web", "FR", date(2030, 1, 1)))) == set()
    assert ids(run(user, rights=RightsUse("web", "DE", date(2032, 1, 1)))) == set()
    assert ids(run(user, rights=RightsUse("print", "", None))) == set()
    assert ids(run(user, rights_statuses=["usable"])) == {dog.pk}
    assert ids(run(user, rights_statuses=["not_usable"])) == {cat.pk}
    assert len(ids(run(user, rights_statuses=["unknown"]))) == 6
    results = run(user, text="animal")
    statuses = service.facets(results.query, user, results.interpretation)["rights"]
    assert {(v.value, v.label, v.count) for v in statuses} == {
        ("usable", "Usable today", 1), ("not_usable", "Not usable today", 1), ("unknown", "No rights recorded", 1)}


def test_anonymous_sees_nothing(library):
    anonymous = AnonymousUser()
    assert run(anonymous, text="cat").total == 0
    assert run(anonymous).hits == []
    assert service.suggest_concepts("ca", anonymous)[0].count == 0


def test_permissions_follow_roles_and_account_flags_though_their_sql_is_compiled_once(
        library, user, admin_user, django_user_model):
    newcomer = django_user_model.objects.create_user("newcomer")
    assert run(newcomer).total == 0
    shared = Collection.objects.create(name="Shared", slug="shared")
    library["cat"].collections.add(shared)
    grant_role(shared, "viewer", user=newcomer, actor=Actor(admin_user, ""))
    assert ids(run(newcomer)) == {library["cat"].pk}  # roles are read when the statement runs

    newcomer.is_superuser = True
    newcomer.save()
    assert run(newcomer).total == run(user).total > 1
    newcomer.is_active = False
    newcomer.save()
    assert run(newcomer).total == 0


def test_one_statement_for_filters_permissions_ranking_and_the_page(library, user, django_assert_num_queries):
    query = SearchQuery(text="animal morning", formats=["png"], has_faces=False, sort="relevance", page_size=2)
    interpretation = interpret(query.text)
    statement = SearchStatement(query, interpretation, user)
    with django_assert_num_queries(1):
        hits, total, _, _ = service.run_page(statement)
    assert total == 5 and len(hits) == 2  # three animals; "morning" in a title and a caption
    with django_assert_num_queries(2):  # the label lookup of the words, then the statement
        service.search(query, user)
    with django_assert_num_queries(2):  # no words: the documents' row estimate (browsing's sample), the statement
        service.search(SearchQuery(formats=["png"]), user)


@pytest.mark.parametrize("fields", [
    {"sort": "newest"}, {"sort": "oldest"}, {"sort": "taken"},
    {"text": "animal vehicle morning watershed", "sort": "relevance"},
    {"text": "animal vehicle morning watershed", "fusion": "weighted"},
])
def test_cursor_pages_cover_everything_once(library, user, fields):
    everything = run(user, page_size=100, **fields)
    seen, cursor = [], None
    while True:
        page = run(user, page_size=2, cursor=cursor, **fields)
        assert page.total == everything.total
        seen += [hit.asset_id for hit in page.hits]
        if page.next_cursor is None:
            break
        cursor = Cursor.decode(page.next_cursor)
    assert seen == [hit.asset_id for hit in everything.hits]


def test_date_sorts(library, user):
    newest = [hit.asset_id for hit in run(user, sort="newest", page_size=100).hits]
    assert newest == sorted(newest, reverse=True)
    assert [hit.asset_id for hit in run(user, sort="oldest", page_size=100).hits] == newest[::-1]


def test_fusions_rank_the_same_hits(library, user):
    rrf = run(user, text="animal morning", fusion="rrf")
    weighted = run(user, text="animal morning", fusion="weighted")
    assert ids(rrf) == ids(weighted) and rrf.total == weighted.total == 5


def test_facets_count_the_hits(library, user):
    results = run(user, text="animal")
    counted = service.facets(results.query, user, results.interpretation)
    assert {v.value: v.count for v in counted["format"]} == {"png": 3}
    assert {v.value: v.count for v in counted["orientation"]} == {"landscape": 2, "portrait": 1}
    assert {v.label for v in counted["concept"]} == {"tabby", "Labrador retriever", "crane"}


def faces_of(person, *assets):
    """A face of ``person`` on each asset's current version, as recognition stores it."""
    run = ModelRun.objects.get_or_create(capability=Capability.PEOPLE, name="dlib", version="test")[0]
    for asset in assets:
        detection = Detection.objects.create(version_id=asset.current_version_id, model=run, kind="face", label="face",
                                             score=0.9, x=1, y=1, w=40, h=40)
        FaceDescriptor.objects.create(detection=detection, version_id=asset.current_version_id, model=run,
                                      person=person, vector=[0.0] * 128, box=[1, 1, 40, 40])


def test_person_filter_by_id_or_name_and_facet(library, user):
    eileen, unnamed = Person.objects.create(name="Eileen Collins"), Person.objects.create()
    faces_of(eileen, library["cat"], library["dog"])
    faces_of(unnamed, library["dog"])
    assert ids(run(user, people=["eileen collins"])) == {library["cat"].pk, library["dog"].pk}
    assert ids(run(user, people=[str(eileen.pk), str(unnamed.pk)])) == {library["dog"].pk}
    assert ids(run(user, people=["Nobody"])) == set()
    results = run(user)
    counted = service.facets(results.query, user, results.interpretation)
    assert [(v.label, v.count) for v in counted["person"]] == [("Eileen Collins", 2), (f"Unnamed person {unnamed.pk}", 1)]


def test_facets_of_very_many_hits_are_estimated_from_a_sample_and_say_so(library, user, monkeypatch):
    everything = run(user, sort="taken")  # every asset, but not browsing (which samples the table instead)
    exact = service.facets(everything.query, user, everything.interpretation)
    assert not any(v.approximate for values in exact.values() for v in values)
    monkeypatch.setattr("search.statement.FACET_SAMPLE", everything.total - 1)
    estimated = service.facets(everything.query, user, everything.interpretation)
    assert all(v.approximate for values in estimated.values() for v in values)
    formats = estimated["format"]
    assert abs(sum(v.count for v in formats) - everything.total) <= len(formats), "scaled back to the whole"


def test_browsing_counts_up_to_a_cap_and_facets_a_sample_of_the_table(library, user, monkeypatch):
    """No words, sorted by upload time: the total stops at TOTAL_CAP, the facets read a sample of the
    documents' table pages; while the table is smaller than BROWSE_FACET_SAMPLE that sample is every page."""
    def counted(results):
        found = service.facets(results.query, user, results.interpretation)
        return {facet: {(v.value, v.count, v.approximate) for v in values} for facet, values in found.items()}

    browsing, sorted_by_taken = run(user, page_size=100), run(user, sort="taken", page_size=100)
    assert browsing.total == sorted_by_taken.total and browsing.total_is_exact
    assert counted(browsing) == counted(sorted_by_taken)
    for module in ("statement", "service"):
        monkeypatch.setattr(f"search.{module}.TOTAL_CAP", browsing.total - 1)
    capped = run(user, page_size=100)
    assert (capped.total, capped.shown_total, capped.total_is_exact) == (browsing.total, browsing.total - 1, False)
    assert ids(capped) == ids(browsing), "the page itself is whole"
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_searchdocument")
    monkeypatch.setattr("search.statement.BROWSE_FACET_SAMPLE", 1)
    assert all(approximate for values in counted(run(user)).values() for _, _, approximate in values)


def _counted_hits_plan_runs(query, user):
    """Whether the page statement's exact count of the hits (``LIMIT`` TOTAL_CAP + 1) ran, from EXPLAIN ANALYZE."""
    text, params = SearchStatement(query, interpret(query.text), user).page_sql()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + text, params)
        (plan,) = cursor.fetchone()
    plan = json.loads(plan) if isinstance(plan, str) else plan

    def limits(node):
        return node.get("Node Type") == "Limit" or any(limits(child) for child in node.get("Plans", []))

    def counts_ran(node):
        if node.get("Parent Relationship") == "InitPlan" and limits(node):
            return node.get("Actual Loops", 0) > 0
        return any(counts_ran(child) for child in node.get("Plans", []))

    return counts_ran(plan[0]["Plan"])


def test_browsing_a_large_library_says_more_than_the_cap_from_the_sample_without_counting(library, user,
                                                                                          monkeypatch):
    whole = run(user, page_size=100).total
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_searchdocument")
    for module in ("statement", "service"):
        monkeypatch.setattr(f"search.{module}.TOTAL_CAP", 1)
    monkeypatch.setattr("search.statement.BROWSE_FACET_SAMPLE", 10 ** 6)  # the sample: every page of the table
    monkeypatch.setattr("search.statement.SURE_SAMPLE_HITS", whole)
    sampled = run(user, page_size=100)
    assert (sampled.total, sampled.shown_total, sampled.total_is_exact) == (2, 1, False)
    assert not _counted_hits_plan_runs(sampled.query, user)


def test_browsing_a_large_library_the_sample_cannot_decide_counts_after_the_page(uncounted_browsing, library, user):
    """The page statement does not count (a permission probe per candidate up to the cap's hits); the total is
    counted by ``count_hits`` after the page, unless the first page already holds every hit."""
    first = run(user, page_size=1)
    assert (first.total, first.shown_total, first.total_is_exact) == (None, None, False)
    assert len(first.hits) == 1 and first.next_cursor
    assert not _counted_hits_plan_runs(first.query, user)
    assert service.count_hits(first.query, user, budget_ms=10_000) == 2, "up to the cap's 1 + 1"
    whole = run(user, page_size=100)
    assert whole.total == len(whole.hits) > 1 and whole.next_cursor is None
    second = run(user, page_size=1, cursor=Cursor.decode(first.next_cursor))
    assert second.total is None, "a later page does not know how many came before"


def test_suggestions_put_concepts_in_the_library_first_with_counts(library, user):
    suggestions = service.suggest_concepts("cat", user)
    assert suggestions[0].label == "cat" and suggestions[0].count == 1
    assert service.suggest_concepts("cats", user)[0].label == "cat"
    assert service.suggest_concepts("c", user) == []


def test_suggestion_counts_stop_early_and_say_so(library, user, monkeypatch):
    """Typing "ani" must stay fast in a library of millions: counting stops after so many labels."""
    exact = next(s for s in service.suggest_concepts("animal", user) if s.label == "animal")
    assert exact.count == 3 and not exact.more
    monkeypatch.setattr(service, "SUGGESTION_COUNT_ROWS", 2)
    capped = next(s for s in service.suggest_concepts("animal", user) if s.label == "animal")
    assert capped.count == 2 and capped.more


@pytest.mark.parametrize("indexed", [True, False], ids=["vector index", "exact fallback"])
def test_more_like_this_ranks_by_vector_and_skips_the_source(library, user, indexed):
    run_ = ModelRun.objects.create(capability=Capability.SIMILARITY, name="mobilenetv2-12-int8.onnx", version="test")
    vectors = {"cat": [1.0, 0.0, 0.0], "dog": [0.9, 0.1, 0.0], "coffee": [0.0, 1.0, 0.0], "bus": [0.5, 0.5, 0.5]}
    for name, vector in vectors.items():
        Embedding.objects.create(version_id=library[name].current_version_id, model=run_, vector=vector)
    if indexed:
        ensure_vector_indexes(run_)
    results = run(user, similar_to=str(library["cat"].uid))
    assert [hit.asset_id for hit in results.hits] == [library["dog"].pk, library["bus"].pk]
    assert results.hits[0].explanation["vector"] == {"similarity": pytest.approx(0.994, abs=1e-3),
                                                     "model": "mobilenetv2-12-int8.onnx"}
    # Its facets count the hits the page statement listed, and agree with searching again.
    assert sorted(results.hit_ids) == sorted([library["dog"].pk, library["bus"].pk])
    counted = service.facets(results.query, user, results.interpretation, results.vector, results.hit_ids)
    assert counted["format"] and counted == service.facets(results.query, user, results.interpretation,
                                                           results.vector)
    combined = run(user, similar_to=str(library["cat"].uid), text="animal")
    assert combined.hits[0].asset_id == library["dog"].pk
    assert run(user, similar_to=str(library["cat"].uid), has_concepts=[ANIMAL]).total == 1
    assert run(AnonymousUser(), similar_to=str(library["cat"].uid)).hits == []
    assert run(user, similar_to=str(library["page"].uid)).hits == []  # no vector: nothing is alike
