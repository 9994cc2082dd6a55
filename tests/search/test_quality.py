"""Search quality on the judged set (tests/search/judged/, search.evaluation), enriched by the real models.

Every judged image on this machine is ingested under a neutral file name and enriched by the real
classifier, detector and colour analysis; OCR (about 3 s an image on this machine) reads only the
images of the text queries, where it matters. bench/retrieval.py runs the whole pipeline on every
image and reports the figures in docs/benchmarks.md ("Retrieval"); this module keeps them from
slipping. The library is built once per module in a transaction rolled back afterwards.
"""
import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from PIL import Image

from assets.models import Asset
from assets.services.ingest import ingest_file
from core.audit import Actor
from enrichment.models import Capability, ModelRun
from enrichment.services import jobs
from enrichment.services.working_image import displayed_image, load_original
from search import evaluation, service
from search.query import SearchQuery
from search.vectors import ensure_vector_indexes
from support import MODELS

pytestmark = pytest.mark.skipif(not (MODELS / "mobilenetv2-12-int8.onnx").is_file(),
                                reason=f"no shared models at {MODELS}")
CAPABILITIES = (Capability.CLASSIFY, Capability.DETECT, Capability.COLOURS)
WORKING_SIZE = 1280  # the largest rendition, which the worker's models read


@pytest.fixture(scope="module")
def judged(django_db_setup, django_db_blocker):
    """{asset id: image key} of the judged images found on this machine, ingested and enriched; the user."""
    images, missing = [], []
    for image in evaluation.judged_images():
        try:
            images.append((image, evaluation.locate(image)))
        except evaluation.ImageMissing as exc:
            missing.append(str(exc))
    if len(missing) > len(images) // 10:
        pytest.skip(f"{len(missing)} judged images missing, e.g. {missing[0]}")
    text_images = {key for query in evaluation.judged_queries() if query.kind == "text" for key in query.relevant}
    # One transaction, rolled back at the end: the audit log is append-only.
    with django_db_blocker.unblock(), transaction.atomic():
        user = get_user_model().objects.create_user("judge", password="correct-horse-battery")
        actor = Actor(user=user)
        keys, versions, working = {}, [], {}
        for number, (image, path) in enumerate(images, start=1):
            with path.open("rb") as handle:
                result = ingest_file(handle, filename=f"img-{number:03d}{path.suffix.lower()}", actor=actor)
            keys[result.asset.pk] = image.key
            versions.append(result.version)
            scaled = load_original(result.version).image
            scaled.thumbnail((WORKING_SIZE, WORKING_SIZE), Image.Resampling.LANCZOS)
            working[result.version.pk] = displayed_image(result.version, scaled)
        for capability in CAPABILITIES:
            jobs.run_step(capability, versions, images=working)
        jobs.run_step(Capability.OCR, [v for v in versions if keys[v.asset_id] in text_images], images=working)
        ensure_vector_indexes(ModelRun.objects.get(capability=Capability.SIMILARITY, active=True))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # plans for the rows just loaded, not for the empty tables autovacuum saw
        yield keys, user
        transaction.set_rollback(True)


def ranked(judged, text, **fields):
    keys, user = judged
    results = service.search(SearchQuery(text=text, page_size=100, **fields), user)
    return [keys[hit.asset_id] for hit in results.hits if hit.asset_id in keys], results


def key_of(judged, key):
    return next(pk for pk, name in judged[0].items() if name == key)


@pytest.fixture(scope="module")
def scores(judged, django_db_blocker):
    with django_db_blocker.unblock():
        return {kind: row for kind, row in evaluation.by_kind(
            evaluation.evaluate(lambda query: ranked(judged, query.query)[0])).items()}


@pytest.mark.django_db
def test_class_names_and_concepts_reach_what_the_classifier_knows(scores):
    """Figures of docs/benchmarks.md ("Retrieval"), less a margin for the machine's arithmetic."""
    assert scores["classname"]["r10"] >= 0.85, scores["classname"]
    assert scores["concept"]["precision"] >= 0.55, scores["concept"]
    assert scores["all"]["ndcg10"] >= 0.6, scores["all"]


@pytest.mark.django_db
def test_no_empty_answer_for_words_with_related_images(judged):
    empty = [query.query for query in evaluation.judged_queries() if query.found and not ranked(judged, query.query)[0]]
    # "sunset" names no concept and no concept's label or definition mentions it: the ontology knows nothing
    # related (open text like this is CLIP's, when its weights are configured).
    assert empty == ["sunset"]


@pytest.mark.django_db
def test_a_word_with_no_concept_or_text_searches_the_nearest_concepts_and_says_so(judged):
    keys, results = ranked(judged, "kitchen")
    (match,) = results.interpretation.matches
    assert match.related and any("kitchen" in sense.label for sense in match.senses)
    assert keys, "the kitchen photo's appliances and utensils are related"


@pytest.mark.django_db
def test_a_colour_and_a_subject_rank_the_subject_in_that_colour_first(judged):
    keys, results = ranked(judged, "yellow motorcycle")
    assert results.interpretation.colours == ["yellow"]
    assert keys[0] == "exif-canon-digital-ixus-400", keys[:5]
    top = results.hits[0].explanation
    assert top["colours"][0]["colour"] == "yellow" and {c["phrase"] for c in top["concepts"]} == {"motorcycle"}


@pytest.mark.django_db
def test_the_colour_filter_and_facet_read_the_dominant_colours(judged):
    keys, results = ranked(judged, "", colours=["purple"])
    assert {"exif-iphone-hdr-no", "exif-img-5195-heic"} <= set(keys)
    counted = service.facets(results.query, judged[1], results.interpretation)
    assert {v.value: v.count for v in counted["colour"]}["purple"] == results.total


@pytest.mark.django_db
def test_typos_text_and_more_like_this_still_work(judged):
    keys, results = ranked(judged, "motorcyle")
    assert results.interpretation.showing_results_for == "motorcycle" and keys[0] in {
        "exif-canon-digital-ixus-400", "skimage-motorcycle-left", "skimage-motorcycle-right"}
    keys, results = ranked(judged, "segmentation")
    assert keys[0] == "skimage-page"
    assert "<mark>segmentation</mark>" in results.hits[0].explanation["text"]["snippets"]["ocr"]
    uid = str(Asset.objects.get(pk=key_of(judged, "exif-kodak-dc240")).uid)
    keys, results = ranked(judged, "", similar_to=uid)
    assert "exif-kodak-dc240" not in keys and "exif-fujifilm-finepix40i" in keys[:5], keys[:5]
    assert results.hits[0].explanation["vector"]["model"] == "mobilenetv2-12-int8.onnx"
