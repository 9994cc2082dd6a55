"""Search quality on real images enriched by the real models (classifier, detector, faces, OCR).

The judged set lives in search/evaluation.py. The library is built once per module (enrichment
takes a while) in a transaction rolled back afterwards; each test reads it inside its own savepoint.
"""
import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from assets.models import Asset
from assets.services.audit import Actor
from assets.services.ingest import ingest_file
from enrichment.models import Capability, ModelRun
from enrichment.services import jobs
from enrichment.services.working_image import load_original
from search import evaluation, service
from search.query import DEFAULT_FUSION, SearchQuery
from search.vectors import ensure_vector_indexes
from support import MODELS, REPO, SAMPLES

pytestmark = [
    pytest.mark.skipif(not (MODELS / "mobilenetv2-12-int8.onnx").is_file(), reason=f"no shared models at {MODELS}"),
    pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"no shared samples at {SAMPLES}"),
]
CAPABILITIES = (Capability.CLASSIFY, Capability.DETECT, Capability.FACES, Capability.OCR)


@pytest.fixture(scope="module")
def judged(django_db_setup, django_db_blocker):
    """{asset id: image key} of the judged images, ingested and enriched; the searching user."""
    # One transaction, rolled back at the end: the audit log is append-only, so deleting would leave
    # this module's upload entries behind for every later test to see.
    with django_db_blocker.unblock(), transaction.atomic():
        user = get_user_model().objects.create_user("judge", password="correct-horse-battery")
        actor = Actor(user=user)
        versions, keys = [], {}
        for key, source in evaluation.IMAGES.items():
            path = evaluation.image_path(source, SAMPLES)
            with path.open("rb") as handle:
                result = ingest_file(handle, filename=path.name, actor=actor)
            keys[result.asset.pk] = key
            versions.append(result.version)
        working = {version.pk: load_original(version) for version in versions}
        for capability in CAPABILITIES:
            jobs.run_step(capability, versions, images=working)
        ensure_vector_indexes(ModelRun.objects.get(capability=Capability.SIMILARITY, active=True))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # plans for the rows just loaded, not for the empty tables autovacuum saw
        yield keys, user
        transaction.set_rollback(True)


def ranked_keys(judged, text, fusion=DEFAULT_FUSION, similar_to=""):
    keys, user = judged
    uid = str(Asset.objects.get(pk=next(pk for pk, key in keys.items() if key == similar_to)).uid) if similar_to else ""
    results = service.search(SearchQuery(text=text, fusion=fusion, similar_to=uid, page_size=100), user)
    return [keys[hit.asset_id] for hit in results.hits if hit.asset_id in keys], results


@pytest.mark.django_db
@pytest.mark.parametrize("text, expected", [
    ("cat", "chelsea"), ("cats", "chelsea"), ("animal", "chelsea"), ("vehicle", "motorcycle"),
    ("motorcycle", "yellow_motorbike"), ("motorcyle", "motorcycle"), ("buses", "bus"), ("dogs", "whippet"),
    ("segmentation", "page"), ("jobagent", "jobagent_logo"), ("people", "wedding"),
])
def test_real_enrichment_is_found(judged, text, expected):
    ranked, results = ranked_keys(judged, text)
    assert expected in ranked[:10], (text, ranked, results.interpretation)


@pytest.mark.django_db
def test_explanations_name_the_model_and_the_ocr_words(judged):
    _, results = ranked_keys(judged, "animal")
    chelsea = next(hit for hit in results.hits if judged[0][hit.asset_id] == "chelsea")
    via = {item["label"] for item in chelsea.explanation["concepts"]}
    assert "Egyptian cat" in via and chelsea.explanation["concepts"][0]["model"]
    _, results = ranked_keys(judged, "segmentation")
    assert "<mark>segmentation</mark>" in results.hits[0].explanation["text"]["snippets"]["ocr"]


@pytest.mark.django_db
def test_typo_reports_what_was_searched(judged):
    _, results = ranked_keys(judged, "motorcyle")
    assert results.interpretation.showing_results_for == "motorcycle"


@pytest.mark.django_db
def test_more_like_this_finds_the_other_dog(judged):
    ranked, results = ranked_keys(judged, "", similar_to="whippet")
    assert "whippet" not in ranked
    assert "greyhound_on_rug" in ranked[:3], ranked
    assert results.hits[0].explanation["vector"]["model"] == "mobilenetv2-12-int8.onnx"


@pytest.mark.django_db
def test_fusion_quality_and_the_default_is_the_better_one(judged):
    scores = evaluation.evaluate(lambda query, fusion: ranked_keys(judged, query.text, fusion, query.similar_to)[0])
    means = evaluation.summary(scores)
    table = evaluation.markdown_table(scores)
    results_dir = REPO / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "search_quality.md").write_text(table + "\n")
    print("\n" + table)
    best = max(means, key=lambda fusion: means[fusion])
    assert means[DEFAULT_FUSION] >= means[best], f"{DEFAULT_FUSION} is not the better fusion: {means}"
    assert means[DEFAULT_FUSION][0] >= 0.6, means
