"""Vector retrieval returns the true nearest rows of the filtered set, and never silently fewer of them.

One module-wide dataset (20k clustered 64-d vectors, 300 concepts at ~1% each, 100 collections of
which a viewer sees 30) is bulk-loaded inside a transaction that is rolled back at the end. Every
plan is checked for recall@10 against numpy and for returning exactly k rows whenever k match.
"""
import importlib
import io
import json
from dataclasses import dataclass

import numpy as np
import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from assets.models import Asset, AssetVersion, Collection, CollectionRole
from bench.search import exact_top_k, filtered_sql, load_dataset, make_dataset, make_queries
from enrichment.models import Embedding, LabelDecision, MachineLabel
from search import vectors
from search.statement import CONCEPT_THRESHOLD

ROWS, DIMS, K, QUERIES = 20_000, 64, 10, 20
VISIBLE = 30  # collections the viewer may see, of 100


@dataclass
class World:
    dataset: object
    loaded: object
    queries: np.ndarray
    admin: object
    viewer: object

    def truth(self, query, mask):
        return set(self.loaded.version_ids[exact_top_k(self.dataset, query, mask, K)].tolist())

    def search(self, query, user=None, concept=None, hint=True, explain=False, **options):
        """Run the fragment as the search service will: settings and statement in one transaction.
        ``explain``: also return the executed plan (EXPLAIN ANALYZE, as JSON)."""
        fsql, fparams = filtered_sql(user, concept) if user else (None, ())
        plan = vectors.vector_candidates(self.loaded.vector_model, query, k=K, filtered_sql=fsql,
                                         filtered_params=fparams, concepts=[concept] if concept and hint else None,
                                         **options)
        statement = f"WITH nearest AS ({plan.sql}) SELECT version_id FROM nearest"
        with connection.cursor() as cursor:
            plan.execute(cursor, statement, plan.params)
            found = [row[0] for row in cursor.fetchall()]
            if not explain:
                return plan.plan, found
            plan.execute(cursor, f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", plan.params)
            executed = cursor.fetchone()[0]
            return plan.plan, found, json.loads(executed) if isinstance(executed, str) else executed


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        users = get_user_model().objects
        owner = users.create_user("vector-owner")
        admin = users.create_superuser("vector-admin")
        viewer = users.create_user("vector-viewer")
        space, dataset = make_dataset(ROWS, DIMS, clusters=100, seed=3)
        loaded = load_dataset(dataset, owner=owner, tag="test")
        CollectionRole.objects.bulk_create(
            CollectionRole(collection_id=c, user=viewer, role="viewer") for c in loaded.collection_ids[:VISIBLE])
        with connection.cursor() as cursor:
            # Statistics of the loaded rows (ANALYZE counts this transaction's own rows): left to autovacuum,
            # whether plans saw 20k assets or an empty table depended on timing, and the per-candidate
            # filter checks of an empty-table plan took seconds per query.
            cursor.execute("ANALYZE")
        vectors.ensure_vector_indexes(loaded.vector_model)
        yield World(dataset, loaded, make_queries(space, QUERIES, seed=4), admin, viewer)
        transaction.set_rollback(True)


def concept_of(world, i):
    return int(np.random.default_rng(i).integers(0, world.dataset.concepts))


def check(world, found, truth, plan, expected_plan):
    assert plan == expected_plan
    assert len(found) == len(set(found)) == min(K, len(truth)), "a plan silently dropped rows"
    return len(set(found) & truth) / len(truth)


def assert_recall(recalls):
    assert np.mean(recalls) >= 0.95, f"recall@10 {np.mean(recalls):.3f}"


@pytest.mark.django_db
def test_unfiltered_search_finds_the_nearest_vectors(world):
    recalls = []
    for query in world.queries:
        plan, found = world.search(query)
        recalls.append(check(world, found, world.truth(query, None), plan, "hnsw"))
    assert_recall(recalls)


@pytest.mark.django_db
def test_one_percent_label_filter_is_ranked_exactly(world):
    recalls = []
    for i, query in enumerate(world.queries):
        concept = concept_of(world, i)
        plan, found = world.search(query, world.admin, world.loaded.concept_ids[concept])
        recalls.append(check(world, found, world.truth(query, world.dataset.label_mask(concept)), plan, "label"))
    assert_recall(recalls)


@pytest.mark.django_db
def test_label_and_permission_filter(world):
    visible = world.dataset.viewer_mask(np.arange(VISIBLE))
    recalls = []
    for i, query in enumerate(world.queries):
        concept = concept_of(world, i)
        plan, found = world.search(query, world.viewer, world.loaded.concept_ids[concept])
        recalls.append(check(world, found, world.truth(query, visible & world.dataset.label_mask(concept)), plan,
                             "label"))
    assert_recall(recalls)


@pytest.mark.django_db
def test_permission_filter_streams_through_hnsw(world):
    visible = world.dataset.viewer_mask(np.arange(VISIBLE))
    recalls = []
    for query in world.queries:
        plan, found = world.search(query, world.viewer)
        recalls.append(check(world, found, world.truth(query, visible), plan, "hnsw"))
    assert_recall(recalls)


@pytest.mark.django_db
def test_selective_filter_without_hint_still_returns_k_rows(world):
    """A 0.3% filter through the model's HNSW index: the iterative scan (or the exact fallback) delivers."""
    visible = world.dataset.viewer_mask(np.arange(VISIBLE))
    recalls = []
    for i, query in enumerate(world.queries):
        concept = concept_of(world, i)
        plan, found = world.search(query, world.viewer, world.loaded.concept_ids[concept], hint=False)
        recalls.append(check(world, found, world.truth(query, visible & world.dataset.label_mask(concept)), plan,
                             "hnsw"))
    assert_recall(recalls)


@pytest.mark.django_db
def test_expected_small_filter_is_ranked_exactly(world):
    visible = world.dataset.viewer_mask(np.arange(VISIBLE))
    for i, query in enumerate(world.queries[:5]):
        concept = concept_of(world, i)
        plan, found = world.search(query, world.viewer, world.loaded.concept_ids[concept], hint=False,
                                   expected_rows=100)
        assert check(world, found, world.truth(query, visible & world.dataset.label_mask(concept)), plan,
                     "exact") == 1


@pytest.mark.django_db
@pytest.mark.parametrize("expected_plan, options", [("label", {}), ("exact", {"hint": False, "expected_rows": 100}),
                                                    ("hnsw", {"hint": False})])
def test_max_distance_keeps_every_near_row_and_no_far_one(world, expected_plan, options):
    """The exact plans stop checking the filter past the cut; what they return within it must not change."""
    visible = world.dataset.viewer_mask(np.arange(VISIBLE))
    for i, query in enumerate(world.queries[:8]):
        concept = concept_of(world, i)
        nearest = exact_top_k(world.dataset, query, visible & world.dataset.label_mask(concept), K)
        distances = 1 - world.dataset.vectors[nearest] @ query
        cut = float(distances[4] + distances[5]) / 2  # halfway between the 5th and 6th: no ties from rounding
        plan, found = world.search(query, world.viewer, world.loaded.concept_ids[concept], max_distance=cut,
                                   **options)
        assert plan == expected_plan
        assert set(found) == set(world.loaded.version_ids[nearest[:5]].tolist())


def exact_pass_ran(executed):
    """Whether the exact ranking read any vector by key (its scan of ``search_vector`` is aliased ``s``)."""
    def nodes(node):
        yield node
        for child in node.get("Plans", []):
            yield from nodes(child)

    return any(node.get("Alias") == "s" and node["Actual Loops"] > 0 for node in nodes(executed[0]["Plan"]))


@pytest.mark.django_db
def test_query_with_few_near_rows_gets_them_without_an_exact_pass_over_the_library(world):
    """Fewer than k rows within the cut in the whole library: the HNSW scan's answer is the answer. An
    exact pass would only confirm it, over every row the filter allows (250 ms at 1M rows)."""
    query = np.random.default_rng(11).standard_normal(DIMS)
    query /= np.linalg.norm(query)
    visible = world.dataset.viewer_mask(np.arange(VISIBLE))
    for user, mask in ((world.admin, None), (world.viewer, visible)):
        nearest = exact_top_k(world.dataset, query, mask, K)
        distances = 1 - world.dataset.vectors[nearest] @ query
        cut = float(distances[2] + distances[3]) / 2  # three rows within it
        plan, found, executed = world.search(query, user, max_distance=cut, explain=True)
        assert plan == "hnsw"
        assert set(found) == set(world.loaded.version_ids[nearest[:3]].tolist())
        assert not exact_pass_ran(executed)


@pytest.mark.django_db
def test_scan_that_meets_only_far_rows_is_followed_by_one_that_skips_them(world, monkeypatch):
    """At 1M rows the index's first candidates for some queries all lay in another cluster (its descent
    through the graph ended there), so k far rows came back and the cut left none. Simulated here: the
    first scan sees only rows beyond the cut. The near rows must still come back, without an exact pass."""
    scan = vectors._Search.hnsw

    def first_scan_lost(search, table, match, *, skip_far=False):
        sql, params = scan(search, table, match, skip_far=skip_far)
        if skip_far:
            return sql, params
        far = (f"AND (l.half::halfvec({search.dims})) <=> {search.vector_sql}::halfvec({search.dims}) > "
               f"{search.max_distance!r} ORDER BY distance LIMIT")
        return sql.replace("ORDER BY distance LIMIT", far), [*params, *search.vector_params]

    monkeypatch.setattr(vectors._Search, "hnsw", first_scan_lost)
    visible = world.dataset.viewer_mask(np.arange(VISIBLE))
    for query in world.queries[:5]:
        nearest = exact_top_k(world.dataset, query, visible, K)
        distances = 1 - world.dataset.vectors[nearest] @ query
        cut = float(distances[4] + distances[5]) / 2
        plan, found, executed = world.search(query, world.viewer, max_distance=cut, explain=True)
        assert plan == "hnsw"
        assert set(found) == set(world.loaded.version_ids[nearest[:5]].tolist())
        assert not exact_pass_ran(executed)


@pytest.mark.django_db
def test_frequent_concept_uses_its_own_index(world, monkeypatch):
    monkeypatch.setattr(vectors, "LABEL_EXACT_ROWS", 50)
    concept = 7
    concept_id = world.loaded.concept_ids[concept]
    assert vectors.ensure_concept_indexes(world.loaded.vector_model, min_rows=50, concepts=[concept_id]) == [concept_id]
    visible = world.dataset.viewer_mask(np.arange(VISIBLE))
    recalls = []
    for query in world.queries:
        plan, found = world.search(query, world.viewer, concept_id)
        recalls.append(check(world, found, world.truth(query, visible & world.dataset.label_mask(concept)), plan,
                             "concept_hnsw"))
    assert_recall(recalls)


@pytest.mark.django_db
@pytest.mark.parametrize("hint", [True, False], ids=["label plan", "hnsw plan"])
def test_server_side_prepared_generic_plans_still_return_k_rows(world, hint):
    """Django binds client-side, but a prepared statement's generic plan must not drop rows either:
    model ids, dimensions and thresholds are inlined, so partial indexes still match."""
    concept_id = world.loaded.concept_ids[3]
    fsql, fparams = filtered_sql(world.viewer, concept_id)
    truth_mask = world.dataset.viewer_mask(np.arange(VISIBLE)) & world.dataset.label_mask(3)
    raw = psycopg.Cursor(connection.connection)  # server-side binding: parameters travel as $1, $2, ...
    recalls = []
    for query in world.queries[:7]:  # psycopg prepares from the fifth execution on
        plan = vectors.vector_candidates(world.loaded.vector_model, query, k=K, filtered_sql=fsql,
                                         filtered_params=fparams, concepts=[concept_id] if hint else None)
        raw.execute(plan.settings_sql.replace("force_custom_plan", "force_generic_plan"))
        raw.execute(plan.sql, plan.params, prepare=True)
        found = [row[0] for row in raw.fetchall()]
        recalls.append(check(world, found, world.truth(query, truth_mask), plan.plan, "label" if hint else "hnsw"))
    assert np.mean(recalls) >= 0.9


def label_three_versions(world, concept_id):
    versions = world.loaded.version_ids[[5, 500, 5000]].tolist()
    MachineLabel.objects.bulk_create(MachineLabel(version_id=v, concept_id=concept_id, model=world.loaded.classifier,
                                                  confidence=0.9) for v in versions)
    return set(versions)


@pytest.mark.django_db
@pytest.mark.parametrize("hint", [True, False], ids=["label plan", "hnsw plan with exact fallback"])
def test_filter_matching_fewer_than_k_rows_returns_all_of_them(world, hint):
    unused = world.loaded.concept_ids[-1] + "-unused"
    from ontology.models import Concept

    Concept.objects.create(id=unused, name=unused, pref_label=unused)
    versions = label_three_versions(world, unused)
    plan, found, executed = world.search(world.queries[0], world.admin, unused, hint=hint, explain=True)
    assert plan == ("label" if hint else "hnsw")
    assert set(found) == versions
    assert exact_pass_ran(executed) is not hint  # the hnsw plan found too few: the filter was to blame


@pytest.mark.django_db
def test_side_tables_follow_embeddings_labels_and_decisions(world):
    vector_model, classifier = world.loaded.vector_model, world.loaded.classifier
    asset = Asset.objects.create(title="new")
    version = AssetVersion.objects.create(asset=asset, number=1, file="x.jpg", sha256="0" * 64, format="jpeg",
                                          mime_type="image/jpeg", width=1, height=1, bytes=1)
    Asset.objects.filter(pk=asset.pk).update(current_version=version)
    dog, cat = world.loaded.concept_ids[:2]
    MachineLabel.objects.create(version=version, concept_id=dog, model=classifier, confidence=0.8)

    def side():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM search_vector WHERE version_id = %s", [version.pk])
            vector_rows = cursor.fetchone()[0]
            cursor.execute("SELECT concept_id FROM search_vector_label WHERE version_id = %s ORDER BY 1",
                           [version.pk])
            return vector_rows, [c for (c,) in cursor.fetchall()]

    embedding = Embedding.objects.create(version=version, model=vector_model, vector=[1.0] + [0.0] * (DIMS - 1))
    assert side() == (1, [dog])
    plan, found = world.search(np.array([1.0] + [0.0] * (DIMS - 1)), world.admin, dog)
    assert found[0] == version.pk

    decision = LabelDecision.objects.create(asset=asset, concept_id=cat, decision=LabelDecision.Decision.ADDED)
    assert side() == (1, sorted([dog, cat]))
    decision.decision = LabelDecision.Decision.REJECTED
    decision.save()
    assert side() == (1, [dog])
    MachineLabel.objects.filter(version=version).delete()
    assert side() == (1, [])

    # Labels below the "labelled with" threshold are stored for scores, not copied beside the vectors.
    weak = MachineLabel.objects.create(version=version, concept_id=cat, model=classifier, confidence=0.01)
    assert side() == (1, [])
    weak.confidence = CONCEPT_THRESHOLD
    weak.save()
    assert side() == (1, [cat])
    weak.delete()

    MachineLabel.objects.create(version=version, concept_id=dog, model=classifier, confidence=0.8)
    embedding.vector = [0.0, 1.0] + [0.0] * (DIMS - 2)
    embedding.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT half::text FROM search_vector WHERE version_id = %s", [version.pk])
        assert cursor.fetchone()[0].startswith("[0,1,")
    assert side() == (1, [dog])
    embedding.delete()
    assert side() == (0, [])


def test_the_side_tables_copy_labels_from_the_statements_threshold():
    migration = importlib.import_module("search.migrations.0008_vector_labels_above_threshold")
    assert migration.THRESHOLD == CONCEPT_THRESHOLD


@pytest.mark.django_db
def test_migrations_create_the_side_tables_view_and_triggers():
    """Every database has them after ``migrate``: opting a model in only copies its vectors and builds indexes."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('search_vector_model'), to_regclass('search_vector'), "
                       "to_regclass('search_vector_label'), to_regclass('search_vector_concept')")
        assert all(cursor.fetchone())
        cursor.execute("SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE tgname LIKE 'search_vector_%' "
                       "ORDER BY 1, 2")
        assert cursor.fetchall() == [
            ("enrichment_embedding", "search_vector_sync"), ("enrichment_embedding", "search_vector_truncate"),
            ("enrichment_labeldecision", "search_vector_sync"), ("enrichment_machinelabel", "search_vector_sync"),
            ("enrichment_machinelabel", "search_vector_truncate"),
        ]


@pytest.mark.django_db
def test_unregistered_model_is_refused(world):
    from enrichment.models import Capability, ModelRun

    other = ModelRun.objects.create(capability=Capability.CLIP, name="unindexed", version="1")
    with pytest.raises(vectors.VectorIndexMissing):
        vectors.vector_candidates(other, world.queries[0], k=K)
    with pytest.raises(ValueError):
        vectors.vector_candidates(world.loaded.vector_model, world.queries[0][:10], k=K)


@pytest.mark.django_db
def test_management_command_indexes_models_again_safely(world):
    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command("vector_indexes", "--model", str(world.loaded.vector_model.pk), stdout=out)
    assert f"{DIMS}-d vectors indexed" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("vector_indexes", "--model", "999999999", stdout=out)


@pytest.mark.django_db
def test_collections_exist_for_the_viewer(world):
    """Guards the fixture: the viewer's share of rows is what the permission tests assume."""
    assert Collection.objects.filter(roles__user=world.viewer).count() == VISIBLE
    assert 0.3 < world.dataset.viewer_mask(np.arange(VISIBLE)).mean() < 0.4
