"""Vector search benchmark: latency and recall@10 of ``search.vectors`` against exact search and FAISS.

Loads N clustered unit vectors with assets, versions, collections, role grants and labels
straight into its own embedded Postgres (``var/bench``; data is reused between runs), then
times 200 queries per case (unfiltered, 1% label, permission only, label + permission; after 200
other queries untimed, so caches are warm) through the retrieval strategy, and 50 "more like this"
searches (after 200 others and one per concept) through the search service and the API (with and
without facets), and runs FAISS HNSW on the same vectors for the ratio. Appends the table and the
machine to docs/benchmarks.md.

    python bench/search.py --rows 100000 1000000

The generator and loader are also used by tests/search/test_vectors.py at a small scale.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
K = 10
QUERIES = 200
VISIBLE_COLLECTION_SHARE = 0.3


# --------------------------------------------------------------------------- data


@dataclass
class VectorSpace:
    """Clustered embeddings with a power-law spectrum inside each cluster, so neighbours mean something.

    Centres are random unit vectors; a point is its centre plus noise whose variance decays as
    1/(rank+1) along a per-cluster ordering of a shared random basis (about 30 effective
    dimensions), then normalised. Cluster sizes are mildly skewed.
    """

    dims: int
    clusters: int
    seed: int = 0
    noise: float = 0.9

    def __post_init__(self):
        rng = np.random.default_rng(self.seed)
        centres = rng.standard_normal((self.clusters, self.dims))
        self.centres = (centres / np.linalg.norm(centres, axis=1, keepdims=True)).astype(np.float32)
        self.basis = np.linalg.qr(rng.standard_normal((self.dims, self.dims)))[0].astype(np.float32)
        spectrum = 1.0 / np.sqrt(np.arange(1, self.dims + 1))
        self.spectrum = (spectrum * self.noise / np.linalg.norm(spectrum)).astype(np.float32)
        self.orders = np.argsort(rng.random((self.clusters, self.dims)), axis=1)
        weights = 1.0 / np.sqrt(np.arange(1, self.clusters + 1))
        self.weights = weights / weights.sum()

    def sample(self, count, rng, chunk=100_000):
        cluster = rng.choice(self.clusters, size=count, p=self.weights)
        out = np.empty((count, self.dims), dtype=np.float32)
        for start in range(0, count, chunk):
            part = cluster[start:start + chunk]
            noise = rng.standard_normal((len(part), self.dims)).astype(np.float32) * self.spectrum[self.orders[part]]
            points = self.centres[part] + noise @ self.basis.T
            out[start:start + chunk] = points / np.linalg.norm(points, axis=1, keepdims=True)
        return out, cluster


@dataclass
class Dataset:
    """Everything the loader writes, kept in numpy so ground truth is computed from the same arrays."""

    vectors: np.ndarray      # (n, dims) float32, unit length
    labels: np.ndarray       # (n, 3) concept index; ~1% of rows carry any one concept
    collections: np.ndarray  # (n, 2) collection index, -1 for none
    pending: np.ndarray      # (n,) bool: flagged by moderation, hidden from viewers
    cluster: np.ndarray      # (n,) cluster index; cluster c's own concept is c % concepts
    concepts: int
    collection_count: int

    @property
    def rows(self):
        return len(self.vectors)

    def label_mask(self, concept):
        return (self.labels == concept).any(axis=1)

    def viewer_mask(self, visible_collections):
        member = np.isin(self.collections, visible_collections).any(axis=1)
        return member & ~self.pending


def make_dataset(rows, dims=512, *, clusters=1000, concepts=300, collections=100, seed=0):
    """Labels: one from the cluster's own concept half of the time, the rest at random (3 per row).

    ``dims=0``: no vectors (the pages benchmark reads none), the same clusters, labels and collections."""
    space = VectorSpace(max(dims, 1), clusters, seed)
    rng = np.random.default_rng(seed + 1)
    if dims:
        vectors, cluster = space.sample(rows, rng)
    else:
        vectors, cluster = np.empty((rows, 0), dtype=np.float32), rng.choice(clusters, size=rows, p=space.weights)
    labels = rng.integers(0, concepts, size=(rows, 3))
    own = rng.random(rows) < 0.5
    labels[own, 0] = cluster[own] % concepts
    second = np.where(rng.random(rows) < 0.2, rng.integers(0, collections, rows), -1)
    member = np.stack([rng.integers(0, collections, rows), second], axis=1)
    pending = rng.random(rows) < 0.02
    return space, Dataset(vectors, labels, member, pending, cluster, concepts, collections)


def make_queries(space, count, seed=99):
    return space.sample(count, np.random.default_rng(seed))[0]


def exact_top_k(dataset, query, mask=None, k=K):
    """Row indexes of the k nearest rows by cosine distance among ``mask`` (numpy, float32, exact)."""
    candidates = np.arange(dataset.rows) if mask is None else np.flatnonzero(mask)
    scores = dataset.vectors[candidates] @ query
    if len(candidates) > k:
        best = np.argpartition(-scores, k)[:k]
    else:
        best = np.arange(len(candidates))
    return candidates[best[np.argsort(-scores[best])]]


# --------------------------------------------------------------------------- loading


def _insert_select(cursor, model, values, source_sql, source_params=()):
    """INSERT INTO <model table> SELECT <values> <source_sql>.

    ``values`` maps columns to SQL expressions over the source's columns; every other column gets
    the model's default, so the loader keeps working when someone adds a column with a default.
    """
    from django.db import connection

    columns, expressions, params = [], [], []
    for field in model._meta.concrete_fields:
        columns.append(connection.ops.quote_name(field.column))
        if field.column in values:
            expressions.append(values[field.column])
        else:
            expressions.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    cursor.execute(
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(expressions)} {source_sql}",
        params + list(source_params),
    )


def _copy_vectors(cursor, version_ids, model_id, vectors, chunk=50_000):
    """Binary COPY straight from numpy: about 1 s per 100k 512-d rows, no per-row Python."""
    rows, dims = vectors.shape
    layout = np.dtype([("fields", ">i2"), ("len_version", ">i4"), ("version", ">i8"), ("len_model", ">i4"),
                       ("model", ">i8"), ("len_vector", ">i4"), ("dims", ">i2"), ("unused", ">i2"),
                       ("vector", ">f4", (dims,))])
    copy_sql = "COPY enrichment_embedding (version_id, model_id, vector) FROM STDIN WITH (FORMAT BINARY)"
    with cursor.copy(copy_sql) as copy:
        copy.write(b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8)
        for start in range(0, rows, chunk):
            part = np.zeros(min(chunk, rows - start), dtype=layout)
            part["fields"], part["len_version"], part["len_model"] = 3, 8, 8
            part["len_vector"], part["dims"] = 4 + 4 * dims, dims
            part["version"] = version_ids[start:start + chunk]
            part["model"] = model_id
            part["vector"] = vectors[start:start + chunk]
            copy.write(part.tobytes())
        copy.write(b"\xff\xff")


def index_search_documents():
    """The search service reads assets through their search document; write the missing ones in bulk."""
    from django.db import connection

    from search.models import SearchDocument

    with connection.cursor() as cursor:
        _insert_select(cursor, SearchDocument, {
            "asset_id": "a.id", "document": "to_tsvector('english', a.title)", "format": "'jpeg'",
            "orientation": "'landscape'", "updated_at": "now()",
        }, "FROM assets_asset a WHERE NOT EXISTS (SELECT 1 FROM search_searchdocument d WHERE d.asset_id = a.id)")


@dataclass
class Loaded:
    """Database ids for a loaded dataset: row i of the arrays is version ``version_ids[i]``."""

    version_ids: np.ndarray
    concept_ids: list
    collection_ids: np.ndarray
    vector_model: object  # ModelRun holding the vectors (capability "similarity", what "more like this" reads)
    classifier: object    # ModelRun holding the labels

    def row_of(self, version_id):
        return int(version_id - self.version_ids[0])


def label_concepts(count):
    """ImageNet classes, as the classifier labels: none is broader than another, so a concept filter
    that includes narrower concepts (the search service's) matches exactly the rows labelled with it."""
    from ontology.models import Concept

    ids = list(Concept.objects.filter(imagenet_index__isnull=False).order_by("imagenet_index")
               .values_list("id", flat=True)[:count])
    if len(ids) < count:
        raise RuntimeError("the WordNet concepts are not loaded (ontology migration)")
    return ids


def load_dataset(dataset, *, owner, tag="bench"):
    """Write the dataset through bulk SQL (bypassing the ORM) into the current database; returns ids.

    Ids are contiguous: asset i and version i are both ``base + i``. Moderation: pending rows are
    flagged, the rest clear. Concepts are ``label_concepts``.
    """
    from django.db import connection, transaction
    from django.db.models import Max

    from assets.models import Asset, AssetVersion, Collection
    from enrichment.models import Capability, MachineLabel, ModelRun

    concept_ids = label_concepts(dataset.concepts)
    vector_model, _ = ModelRun.objects.get_or_create(capability=Capability.SIMILARITY, name=f"{tag}-vectors",
                                                     version="1")
    classifier, _ = ModelRun.objects.get_or_create(capability=Capability.CLASSIFY, name=f"{tag}-classifier",
                                                   version="1")
    rows = dataset.rows
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        trusted = cursor.fetchone()[0]
        if trusted:  # the generated rows are consistent: skip ~10 million foreign-key checks at 1M rows
            cursor.execute("SET LOCAL session_replication_role = replica")
        first_collection = (Collection.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        _insert_select(cursor, Collection, {
            "id": "first + i", "name": "tag || ' collection ' || i", "slug": "tag || '-collection-' || i",
            "created_at": "now()",
        }, "FROM generate_series(0, %s - 1) AS i, (SELECT %s::bigint AS first, %s::text AS tag) AS c",
            [dataset.collection_count, first_collection, tag])
        base = max((Asset.objects.aggregate(m=Max("id"))["m"] or 0),
                   (AssetVersion.objects.aggregate(m=Max("id"))["m"] or 0)) + 1
        # Uploaded one a minute up to now, in id order (as a library grows), so sorting by date has no ties.
        uploaded = "now() - (%s - i) * interval '1 minute'"
        _insert_select(cursor, Asset, {
            "id": "base + i", "uid": "gen_random_uuid()", "title": "'Image ' || i", "owner_id": "owner",
            "current_version_id": "base + i", "status": "'ready'", "created_at": uploaded % "total",
            "captured_at": uploaded % "total", "updated_at": "now()",
            "moderation_state": "CASE WHEN pending THEN 'pending' ELSE 'clear' END",
        }, "FROM unnest(%s::boolean[]) WITH ORDINALITY AS m(pending, n), "
           "LATERAL (SELECT n - 1 AS i, %s::bigint AS base, %s::bigint AS owner, %s::bigint AS total) AS c",
            [dataset.pending.tolist(), base, owner.pk, rows])
        _insert_select(cursor, AssetVersion, {
            "id": "base + i", "asset_id": "base + i", "number": "1", "file": "'bench/' || i || '.jpg'",
            "sha256": "md5(i::text) || md5((-i)::text)", "format": "'jpeg'", "mime_type": "'image/jpeg'",
            "width": "1024", "height": "768", "bytes": "100000", "created_at": uploaded % "c.total",
        }, "FROM generate_series(0, %s - 1) AS i, (SELECT %s::bigint AS base, %s::bigint AS total) AS c",
            [rows, base, rows])
        members = np.flatnonzero(dataset.collections.ravel() >= 0)
        cursor.execute(
            f"INSERT INTO {Asset.collections.through._meta.db_table} (asset_id, collection_id) "
            "SELECT DISTINCT %s + r, %s + c FROM unnest(%s::bigint[], %s::bigint[]) AS m(r, c)",
            [base, first_collection, (members // 2).tolist(), dataset.collections.ravel()[members].tolist()],
        )
        row_index = np.repeat(np.arange(rows), dataset.labels.shape[1])
        confidence = np.random.default_rng(7).uniform(0.3, 1.0, len(row_index))
        cursor.execute(
            f"INSERT INTO {MachineLabel._meta.db_table} (version_id, concept_id, model_id, confidence) "
            "SELECT %s + r, (%s::text[])[c + 1], %s, conf "
            "FROM unnest(%s::bigint[], %s::int[], %s::float8[]) AS l(r, c, conf) "
            "ON CONFLICT DO NOTHING",
            [base, concept_ids, classifier.pk, row_index.tolist(), dataset.labels.ravel().tolist(),
             confidence.tolist()],
        )
        version_ids = np.arange(base, base + rows, dtype=np.int64)
        if dataset.vectors.shape[1]:
            _copy_vectors(cursor, version_ids, vector_model.pk, dataset.vectors)
        for model in (Collection, Asset, AssetVersion):
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM "
                           f"{model._meta.db_table}))", [model._meta.db_table])
        index_search_documents()
        # Inside an outer transaction (tests) deferred checks would otherwise run again at every savepoint.
        cursor.execute("SET LOCAL session_replication_role = origin" if trusted else "SET CONSTRAINTS ALL IMMEDIATE")
    collection_ids = np.arange(first_collection, first_collection + dataset.collection_count)
    return Loaded(version_ids, concept_ids, collection_ids, vector_model, classifier)


# --------------------------------------------------------------------------- server


SERVER_SETTINGS = {
    # A 24 GB machine: a quarter for shared buffers, the rest left to the page cache.
    "shared_buffers": "6GB",
    "effective_cache_size": "16GB",
    "maintenance_work_mem": "4GB",
    "max_parallel_maintenance_workers": "2",
    "work_mem": "64MB",
    "random_page_cost": "1.1",
    "max_wal_size": "8GB",
    # Reads of pages in the OS page cache, but not in shared buffers, straight from the backend: the
    # default hands each to an I/O worker process, and the first "more like this" over a 1% concept
    # (its neighbours' labels, versions and documents) took 23.7 ms p95 that way against 18-19 ms.
    "io_method": "sync",
}


def start_server(var_dir):
    """Start the bench's own embedded Postgres with SERVER_SETTINGS (restarting once if they changed)."""
    import psycopg

    from dam import embedded

    url = embedded.postgres_url(var_dir)
    with psycopg.connect(url, autocommit=True) as conn:
        for name, value in SERVER_SETTINGS.items():
            conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        conn.execute("SELECT pg_reload_conf()")
        time.sleep(0.5)
        restart = conn.execute("SELECT count(*) FROM pg_settings WHERE pending_restart").fetchone()[0]
    if restart:
        server = embedded._handles["postgres"]
        server.stop()
        with server._lock:
            server.ensure_postgres_running()
        url = server.get_uri()
    return url


def use_database(url, name):
    """Point Django at database ``name`` on the bench server, creating (and migrating) it once."""
    import psycopg
    from django.core.management import call_command
    from django.db import connections

    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    connection = connections["default"]
    connection.close()
    connection.settings_dict["NAME"] = name
    call_command("migrate", verbosity=0)


# --------------------------------------------------------------------------- measuring


@dataclass
class Case:
    """One row of the report: how the filtered set is written in SQL and what numpy calls the truth."""

    name: str
    user: object = None        # None: no filter at all (every vector of the model)
    label: bool = False


CASES = (Case("unfiltered"), Case("label 1%", "admin", True), Case("permission", "viewer"),
         Case("label + permission", "viewer", True))


def filtered_sql(user, concept=None):
    """The filtered set as the app writes it: the permission gate over assets, optionally one concept."""
    from django.db.models import Exists, OuterRef

    from assets.models import Asset
    from assets.permissions import visible_assets
    from enrichment.models import MachineLabel

    assets = Asset.objects.all()
    if concept is not None:
        assets = assets.filter(Exists(MachineLabel.objects.filter(version_id=OuterRef("current_version_id"),
                                                                  concept_id=concept)))
    return visible_assets(user, assets).order_by().values("current_version_id").query.sql_with_params()


def percentile(values, q):
    return float(np.percentile(values, q)) if values else float("nan")


@dataclass
class Result:
    rows: int
    case: str
    method: str
    p50: float
    p95: float
    cpu_p50: float
    cpu_p95: float
    recall: float
    short: int = 0  # queries that returned fewer than k rows although at least k matched
    note: str = ""


SLOW_MS = 3000  # a method slower than this per query is measured on SLOW_QUERIES queries only
SLOW_QUERIES = 5


def backend_pid():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def cpu_ns(pid):
    """This thread's CPU time plus the Postgres backend's (from /proc/<pid>/schedstat, in ns).

    The machine is shared, so wall time includes waiting for a core; CPU time is what a quiet
    machine would spend.
    """
    backend = int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) if pid else 0
    return time.thread_time_ns() + backend


def measure(rows, case, method, queries, truths, search, resolve=None, database=True, warm_up=()):
    """Time ``search(i, query)`` over the queries; recall@K against ``truths`` (version ids).

    ``resolve`` maps what the search returned to version ids, outside the timing. ``warm_up``: other
    queries run first, untimed, so the figures are those of a server that has been answering
    searches (its indexes in memory), not of the first queries after a restart.
    """
    for i, query in enumerate(warm_up):
        search(i, query)
    latencies, cpu, recalls, short = [], [], [], 0
    for i, query in enumerate(queries):
        if i == SLOW_QUERIES and statistics.median(latencies) > SLOW_MS:
            break
        pid = backend_pid() if database else None
        start, start_cpu = time.perf_counter(), cpu_ns(pid)
        found = search(i, query)
        latencies.append((time.perf_counter() - start) * 1000)
        cpu.append((cpu_ns(pid) - start_cpu) / 1e6)
        found = resolve(found) if resolve else found
        truth = truths[i]
        recalls.append(len(set(found[:K]) & set(truth)) / min(K, len(truth)) if truth else 1.0)
        short += len(found) < min(K, len(truth))
    note = f"{len(latencies)} queries only (slow)" if len(latencies) < len(queries) else ""
    return Result(rows, case, method, percentile(latencies, 50), percentile(latencies, 95),
                  percentile(cpu, 50), percentile(cpu, 95), float(np.mean(recalls)), short, note)


def ground_truth(dataset, queries, masks, version_ids):
    """Exact top-K version ids per query (numpy over the same arrays the loader wrote)."""
    return [version_ids[exact_top_k(dataset, query, mask)].tolist() for query, mask in zip(queries, masks)]


def strategy_search(loaded, users, case, concepts_of_query):
    """Search through ``search.vectors``: the SQL fragment and its settings, one round trip."""
    from django.db import connection

    from search.vectors import vector_candidates

    def search(i, query):
        concept = loaded.concept_ids[concepts_of_query[i]] if case.label else None
        fsql, fparams = filtered_sql(users[case.user], concept) if case.user else (None, ())
        plan = vector_candidates(loaded.vector_model, query, k=K, filtered_sql=fsql, filtered_params=fparams,
                                 concepts=[concept] if concept else None)
        with connection.cursor() as cursor:
            plan.execute(cursor, plan.sql, plan.params)
            return [row[0] for row in cursor.fetchall()]

    return search


def baseline_search(loaded, users, case, concepts_of_query, table):
    """Plain pgvector: the planner's own plan with default settings (ef_search 40, no iterative scan).

    ``search_vector`` has the HNSW index; ``enrichment_embedding`` has none, so that plan is an exact
    scan of TOASTed 2 KB vectors.
    """
    from django.db import connection

    column = {"search_vector": "(e.half::halfvec({dims}))", "enrichment_embedding": "e.vector"}[table]

    def search(i, query):
        concept = loaded.concept_ids[concepts_of_query[i]] if case.label else None
        fsql, fparams = filtered_sql(users[case.user], concept) if case.user else (None, ())
        where = f"AND e.version_id IN ({fsql})" if fsql else ""
        dims = len(query)
        cast = f"::halfvec({dims})" if table == "search_vector" else "::vector"
        sql = (f"SELECT e.version_id FROM {table} e WHERE e.model_id = %s {where} "
               f"ORDER BY {column.format(dims=dims)} <=> %s{cast} LIMIT {K}")
        with connection.cursor() as cursor:
            cursor.execute(sql, [loaded.vector_model.pk, *fparams, "[" + ",".join(f"{x:.8g}" for x in query) + "]"])
            return [row[0] for row in cursor.fetchall()]

    return search


def service_search(users, case, concepts, uids):
    """"More like this" through ``search.service.search`` (the statement the page and the API run)."""
    from search import service
    from search.query import SearchQuery

    def search(i, query):
        wanted = SearchQuery(similar_to=str(uids[i]), has_concepts=[concepts[i]] if case.label else [], page_size=K)
        return [hit.asset_id for hit in service.search(wanted, users[case.user or "admin"]).hits]

    return search


def api_search(users, case, concepts, uids, facets=True):
    """"More like this" through ``GET /api/search/`` (Django's test client: the whole stack but the socket);
    ``facets=False`` asks for the page alone, as a client paging through results does."""
    from django.test import Client

    client = Client()
    client.force_login(users[case.user or "admin"])

    def search(i, query):
        params = {"similar_to": str(uids[i]), "page_size": K}
        if not facets:
            params["facets"] = "false"
        if case.label:
            params["has_concept"] = concepts[i]
        response = client.get("/api/search/", params)
        if response.status_code != 200:
            raise RuntimeError(f"/api/search/ answered {response.status_code}: {response.content[:300]!r}")
        return [hit["uid"] for hit in response.json()["results"]]

    return search


def asset_ids_of(uids):
    from assets.models import Asset

    by_uid = dict(Asset.objects.filter(uid__in=uids).values_list("uid", "id"))
    return [by_uid[uuid.UUID(uid)] for uid in uids]


def faiss_index(dataset, path):
    """FAISS HNSW (M=16, efConstruction=64, inner product on unit vectors = cosine), cached on disk."""
    import faiss

    if path.exists():
        return faiss.read_index(str(path)), None
    start = time.perf_counter()
    index = faiss.IndexHNSWFlat(dataset.vectors.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 64
    index.add(dataset.vectors)
    seconds = time.perf_counter() - start
    faiss.write_index(index, str(path))
    return index, seconds


def faiss_search(index, loaded, masks, ef_search):
    import faiss

    # The selectors hold raw pointers into the bitmaps: ``search`` keeps both alive (a bitmap freed
    # under its selector crashed the 1M run). IDSelectorBitmap's size is in bytes.
    bitmaps = [None if mask is None else np.packbits(mask, bitorder="little") for mask in masks]
    selectors = [None if bits is None else faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits)) for bits in bitmaps]

    def search(i, query):
        params = faiss.SearchParametersHNSW()
        params.efSearch = ef_search
        if bitmaps[i] is not None:
            params.sel = selectors[i]
        _, found = index.search(query[None], K, params=params)
        return [int(loaded.version_ids[j]) for j in found[0] if j >= 0]

    return search


# --------------------------------------------------------------------------- running


def prepare(rows, url, var_dir):
    """The dataset for ``rows`` in database ``bench_<rows>``: generated and loaded once, then reused."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from assets.models import Collection, CollectionRole
    from enrichment.models import Embedding, ModelRun
    from search.vectors import ensure_concept_indexes, ensure_vector_indexes

    use_database(url, f"bench_{rows}")
    timings = {}
    ids_path = var_dir / f"dataset_{rows}.npz"
    start = time.perf_counter()
    space, dataset = make_dataset(rows)
    timings["generate (s)"] = time.perf_counter() - start
    users = get_user_model().objects
    owner, _ = users.get_or_create(username="bench-owner")
    admin, _ = users.get_or_create(username="bench-admin", defaults={"is_superuser": True, "is_staff": True})
    viewer, _ = users.get_or_create(username="bench-viewer")
    if not Embedding.objects.exists():
        start = time.perf_counter()
        loaded = load_dataset(dataset, owner=owner)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        timings["load (s)"] = time.perf_counter() - start
        np.savez(ids_path, version_ids=loaded.version_ids, collection_ids=loaded.collection_ids)
    index_search_documents()
    ids = np.load(ids_path)
    concept_ids = label_concepts(dataset.concepts)
    loaded = Loaded(ids["version_ids"], concept_ids, ids["collection_ids"],
                    ModelRun.objects.get(name="bench-vectors"), ModelRun.objects.get(name="bench-classifier"))
    visible = loaded.collection_ids[:int(dataset.collection_count * VISIBLE_COLLECTION_SHARE)]
    for collection in Collection.objects.filter(pk__in=visible.tolist()):
        CollectionRole.objects.get_or_create(collection=collection, user=viewer, defaults={"role": "viewer"})
    # Nothing else writes here, so indexes are built in one table scan instead of concurrently's two.
    for name, step in (("side tables + model HNSW (s)", lambda: ensure_vector_indexes(
                            loaded.vector_model, concept_indexes=False, concurrently=False)),
                       ("concept HNSW indexes (s)", lambda: ensure_concept_indexes(
                           loaded.vector_model, concurrently=False))):
        start = time.perf_counter()
        step()
        if time.perf_counter() - start > 1:
            timings[name] = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE search_vector, search_vector_label")
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('search_vector')), "
                       "pg_size_pretty(pg_total_relation_size('search_vector_label')), "
                       "pg_size_pretty(pg_total_relation_size('enrichment_embedding'))")
        sizes = cursor.fetchone()
    print(f"{rows:,} rows: search_vector {sizes[0]}, search_vector_label {sizes[1]}, "
          f"enrichment_embedding {sizes[2]} (tables with their indexes)", flush=True)
    return space, dataset, loaded, {"admin": admin, "viewer": viewer}, timings


def run(rows, url, var_dir, queries_count, baseline_queries, service_queries):
    """Every case through every method; returns the results and the preparation timings."""
    import faiss

    from assets.models import Asset
    from search.statement import VECTOR_MAX_DISTANCE
    from search.vectors import EF_SEARCH

    space, dataset, loaded, users, timings = prepare(rows, url, var_dir)
    rng = np.random.default_rng(5)
    queries = make_queries(space, queries_count)
    warm_up = make_queries(space, queries_count, seed=7)
    concepts_of_query = rng.integers(0, dataset.concepts, queries_count)
    viewer = dataset.viewer_mask(np.arange(int(dataset.collection_count * VISIBLE_COLLECTION_SHARE)))
    # "More like this" (service, API) starts from an asset the viewer may see, filtered by its cluster's
    # concept ("more like this dog, labelled dog"); the asset itself is left out of the truth, and so are
    # rows beyond the service's distance cut.
    chosen = rng.choice(np.flatnonzero(viewer), service_queries + queries_count, replace=False)
    like_rows = chosen[:service_queries]
    # Warm-up: as many other assets as the retrieval's warm-up has queries, plus one asset per concept, so
    # that every concept's rows have been read once (the retrieval's warm-up queries use the timed
    # queries' own concepts), as on a server that has been answering searches.
    others = np.setdiff1d(np.flatnonzero(viewer), like_rows)
    _, one_per_concept = np.unique(dataset.cluster[others] % dataset.concepts, return_index=True)
    warm_rows = np.concatenate([chosen[service_queries:], others[one_per_concept]])
    uid_of = dict(Asset.objects.filter(pk__in=loaded.version_ids[np.concatenate([like_rows, warm_rows])].tolist())
                  .values_list("id", "uid"))
    like_concepts, warm_concepts = (dataset.cluster[r] % dataset.concepts for r in (like_rows, warm_rows))
    like_uids, warm_uids = ([uid_of[int(loaded.version_ids[r])] for r in rows] for rows in (like_rows, warm_rows))
    index, faiss_seconds = faiss_index(dataset, var_dir / f"faiss_{rows}.index")
    if faiss_seconds:
        timings["FAISS HNSW build (s)"] = faiss_seconds
    faiss.omp_set_num_threads(1)  # one core per query, like one Postgres backend

    def masks(case, count):
        if case.user is None:
            return [None] * count
        base = viewer if case.user == "viewer" else np.ones(dataset.rows, dtype=bool)
        return [base & dataset.label_mask(c) if case.label else base for c in concepts_of_query[:count]]

    results = []

    def record(result, note):
        result.note = "; ".join(part for part in (note, result.note) if part)
        results.append(result)
        print(format_result(result), flush=True)

    for case in CASES:
        case_masks = masks(case, queries_count)
        truths = ground_truth(dataset, queries, case_masks, loaded.version_ids)
        sizes = [dataset.rows if m is None else int(m.sum()) for m in case_masks]
        note = f"filtered set {int(np.median(sizes)):,} rows (median)"
        methods = [("search.vectors", strategy_search(loaded, users, case, concepts_of_query), queries_count),
                   ("pgvector defaults (planner's plan)",
                    baseline_search(loaded, users, case, concepts_of_query, "search_vector"), baseline_queries)]
        if case.label:
            methods.append(("exact on enrichment_embedding (TOAST)",
                            baseline_search(loaded, users, case, concepts_of_query, "enrichment_embedding"),
                            baseline_queries))
        methods.append((f"FAISS HNSW efSearch={EF_SEARCH}", faiss_search(index, loaded, case_masks, EF_SEARCH),
                        queries_count))
        for method, search, count in methods:
            database = not method.startswith("FAISS")
            record(measure(rows, case.name, method, queries[:count], truths[:count], search, database=database,
                           warm_up=warm_up[:count] if database else ()), note)

        like_masks = []
        for row, concept in zip(like_rows, like_concepts):
            mask = viewer.copy() if case.user == "viewer" else np.ones(dataset.rows, dtype=bool)
            mask &= dataset.label_mask(concept) if case.label else True
            mask[row] = False
            like_masks.append(mask)
        cut = VECTOR_MAX_DISTANCE["similarity"]
        like_truths = [
            [version for version, distance in zip(truth, 1 - dataset.vectors[loaded.version_ids.searchsorted(truth)]
                                                  @ dataset.vectors[row]) if distance <= cut]
            for row, truth in zip(like_rows, ground_truth(dataset, dataset.vectors[like_rows], like_masks,
                                                         loaded.version_ids))]
        like_concept_ids = [loaded.concept_ids[c] for c in like_concepts]
        warm_concept_ids = [loaded.concept_ids[c] for c in warm_concepts]
        for method, make in (
            ("service: more like this", service_search),
            ("API: GET /api/search/?similar_to=", api_search),
            ("API, facets=false", partial(api_search, facets=False)),
        ):
            warm_search = make(users, case, warm_concept_ids, warm_uids)
            for i in range(len(warm_uids)):  # untimed, as for the retrieval: a server that has been answering
                warm_search(i, None)
            resolve = None if make is service_search else asset_ids_of
            record(measure(rows, case.name, method, dataset.vectors[like_rows], like_truths,
                           make(users, case, like_concept_ids, like_uids), resolve), note)
    return results, timings


def format_result(result):
    return (f"| {result.rows:,} | {result.case} | {result.method} | {result.p50:.1f} | {result.p95:.1f} | "
            f"{result.cpu_p50:.1f} | {result.cpu_p95:.1f} | {result.recall:.3f} | {result.short} | {result.note} |")


TABLE_HEAD = ("| rows | case | method | p50 ms | p95 ms | CPU p50 ms | CPU p95 ms | recall@10 | short | note |\n"
              "|---:|---|---|---:|---:|---:|---:|---:|---:|---|")


def machine():
    from django.db import connection
    from harness import machine as machine_and_load  # run as a script: bench/ is on the path

    with connection.cursor() as cursor:
        cursor.execute("SELECT split_part(version(), ' on ', 1), "
                       "(SELECT default_version FROM pg_available_extensions WHERE name = 'vector')")
        postgres, pgvector = cursor.fetchone()
    return machine_and_load(postgres=postgres, pgvector=pgvector)


def report(results, timings, machine_before, machine_after):
    lines = [
        f"### Run {machine_before['date']}",
        "",
        f"Machine: {machine_before['cpus']} CPUs ({machine_before['cpu']}), {machine_before['ram']} RAM; "
        f"{machine_before['postgres']}, pgvector {machine_before['pgvector']}; server settings "
        + ", ".join(f"{k}={v}" for k, v in SERVER_SETTINGS.items())
        + f". Load average {machine_before['load average']} at start, {machine_after['load average']} at end "
        "(the machine is shared with other engineers' test runs).",
        "",
    ]
    for rows, values in timings.items():
        if values:
            lines.append(f"- {rows:,} rows: " + ", ".join(f"{k} {v:.0f}" for k, v in values.items()))
    lines += ["", TABLE_HEAD, *(format_result(r) for r in results), ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--queries", type=int, default=QUERIES)
    parser.add_argument("--baseline-queries", type=int, default=50,
                        help="queries for the slow plain-pgvector baselines")
    parser.add_argument("--service-queries", type=int, default=50,
                        help="'more like this' queries through the search service and the API")
    parser.add_argument("--no-docs", action="store_true", help="print only; do not append to docs/benchmarks.md")
    parser.add_argument("--prepare-only", action="store_true", help="load and index the datasets, measure nothing")
    args = parser.parse_args()

    var_dir = Path(os.environ.setdefault("LUMEN_VAR_DIR", str(REPO / "var" / "bench")))
    var_dir.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dam.settings")
    # Latency, not budgets: one user sends hundreds of searches a minute here.
    os.environ.update({f"LUMEN_THROTTLE_{scope}": "off" for scope in ("ANON", "USER", "TOKEN", "SEARCH")})
    url = start_server(var_dir)
    os.environ["DATABASE_URL"] = url
    from dam.embedded import prepare_environment

    prepare_environment(var_dir)
    import django

    django.setup()
    before = machine()
    print(TABLE_HEAD)
    results, timings = [], {}
    for rows in args.rows:
        if args.prepare_only:
            print(rows, prepare(rows, url, var_dir)[-1], flush=True)
            continue
        rows_results, timings[rows] = run(rows, url, var_dir, args.queries, args.baseline_queries,
                                          args.service_queries)
        results += rows_results
    if args.prepare_only:
        return
    text = report(results, timings, before, machine())
    print(text)
    if not args.no_docs:
        append_to_docs(text)


def append_to_docs(text):
    """Add the run under "## Vector search" in docs/benchmarks.md (other sections are left alone)."""
    path = REPO / "docs" / "benchmarks.md"
    content = path.read_text() if path.exists() else "# Benchmarks\n"
    heading = "## Vector search"
    if heading not in content:
        content = content.rstrip("\n") + f"\n\n{heading}\n\n"
    start = content.index(heading)
    following = content.find("\n## ", start + len(heading))
    end = len(content) if following < 0 else following + 1
    section = content[start:end].rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n"
    path.write_text(content[:start] + section + ("\n" + content[end:] if following >= 0 else ""))


if __name__ == "__main__":
    main()
