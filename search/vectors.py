"""Vector retrieval for search: a SQL fragment that the search statement embeds, chosen by filter size.

Plain pgvector fails filtered search in two ways (docs/benchmarks.md, "Vector search"): an HNSW scan
that stops at ``ef_search`` candidates returns too few rows when a filter rejects most of them, and an
exact scan over a filtered set reads 2 KB TOASTed vectors one random page at a time. So the fragment
picks one of four plans; each returns k rows whenever k rows pass the filter:

- ``label``: the caller says every wanted version carries one of some concepts, and those concepts
  have at most ``LABEL_EXACT_ROWS`` rows. Their vectors are stored clustered by concept
  (``search_vector_label``): the plan reads them from consecutive pages, ranks all of them
  exactly, then checks the caller's filter (permissions, rights, ...) nearest first until k pass (or,
  with ``max_distance``, until the rows get too far). Exact.
- ``concept_hnsw``: one concept with more rows than that has its own partial HNSW index (built by
  ``ensure_concept_indexes``); an iterative scan of it checks the filter as it streams. Falls back to
  ``label`` in the same statement if it finds fewer than k.
- ``hnsw``: otherwise, the model's partial HNSW index the same way (iterative, filter checked per
  candidate), falling back to ``exact`` if it finds fewer than k because of the filter (a filter far
  narrower than hinted; see ``EXACT_FALLBACK_ROWS``).
- ``exact``: the caller expects a small filtered set (or the fallback above): the filter's rows are
  computed, each one's vector looked up by key, all ranked. Exact.

With ``max_distance``, an HNSW scan that finds no row within it is followed by one that skips farther
rows as it streams, so it keeps walking the graph until k near rows pass: on clustered vectors the
first candidates of a query can all lie in another cluster (its descent through the graph's upper
layers ended there), and scans that stopped at k of them returned no near row at all for 1 to 3 of 50
"more like this" searches at 1M rows, depending on the build of the graph (docs/benchmarks.md).

The filter is checked one candidate at a time (``_Search.check``), so it must be cheap for one version:
a correlated ``version_id = ...`` should reach indexes, not re-aggregate a table per call.

Vectors live in side tables kept by triggers on ``enrichment_embedding``, ``enrichment_machinelabel``
and ``enrichment_labeldecision`` (tables, view, functions and triggers come with search's migration
0005); ``ensure_vector_indexes(model_run)`` opts a model in (copies its vectors, builds its indexes) —
no migration per model. Rows hold
``halfvec`` with plain storage: 1 KB inline per 512-d vector instead of a 2 KB TOASTed ``vector``.

Prepared statements: Django's psycopg backend binds parameters client-side and prepares nothing, so
every statement gets a custom plan; the settings also force ``plan_cache_mode`` in case someone enables
server-side binding, and model ids, dimensions, concept ids of partial indexes and thresholds are
inlined, so index matching never depends on a parameter.
"""
import hashlib
import re
import time
from dataclasses import dataclass

from django.db import connection, transaction

from core.sql import execute_with_settings
from search.sql import TABLES

# Label rows ranked exactly per query (read in concept order, ~0.5 µs each when cached). At 1M rows a
# 1% concept (10k rows) ranks exactly in 7.6 ms p50 / 9.1 ms p95 at recall 1.0, where its HNSW index
# gave 0.97 (0.92 with permissions); docs/benchmarks.md, "Vector search".
LABEL_EXACT_ROWS = 20_000
CONCEPT_INDEX_ROWS = LABEL_EXACT_ROWS  # only concepts too big to rank exactly get their own HNSW index
EXACT_ROWS = 3_000         # filtered rows ranked exactly when the caller expects no more than this
EF_SEARCH = 100            # HNSW candidates per iteration (docs/benchmarks.md: recall@10 vs ef_search)
MAX_SCAN_TUPLES = 20_000   # HNSW candidates visited before giving up (then the exact fallback may run)
# The budget with ``max_distance``, where a second scan skips far rows (see ``with_fallback``): a query
# with no near row at all walks the graph until it is spent (~25 µs per candidate at 1M rows).
NEAR_SCAN_TUPLES = 2_000
# A short HNSW scan (fewer than k rows passed the filter) means a filter too narrow for its rows to be
# among the candidates visited; the exact fallback finds them, but only over a filtered set of at most
# this many rows: counting a library-wide filter to find it too big took 250 ms at 1M rows.
EXACT_FALLBACK_ROWS = 20_000
# Graph build parameters (m, ef_construction). The model's graph spans every row and needs the denser
# one (recall 0.955 unfiltered at 1M rows with 32/128 and ef_search 100, docs/benchmarks.md); a
# concept's graph covers one concept's rows, and 16/64 builds it in half the time.
MODEL_GRAPH = (32, 128)
CONCEPT_GRAPH = (16, 64)
_CONCEPT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")  # ids are inlined for partial-index matching


class VectorIndexMissing(LookupError):
    """The model has no vector index yet: run ``manage.py vector_indexes`` (or ``ensure_vector_indexes``)."""


@dataclass(frozen=True)
class VectorQuery:
    """``sql`` is a CTE body yielding ``(version_id, distance)``, nearest first, at most ``k`` rows.

    Run the statement with ``execute`` (one round trip on ``core.sql.client_bound_cursor``), or run ``settings_sql`` first in the same
    transaction (it uses ``set_config(..., true)``). ``plan`` names the strategy (label,
    concept_hnsw, hnsw, exact) for logs and tests.
    """

    sql: str
    params: list
    settings_sql: str
    plan: str

    def execute(self, cursor, statement, params):
        """Run ``statement`` (which embeds ``sql``) after the settings (``core.sql.execute_with_settings``: one
        round trip on a client-bound cursor, a transaction on any other)."""
        execute_with_settings(cursor, [self.settings_sql] if self.settings_sql else [], statement, params)


def vector_candidates(model_run, query_vector, *, k, filtered_sql=None, filtered_params=(), concepts=None,
                      expected_rows=None, max_distance=None):
    """Top ``k`` versions by cosine distance to ``query_vector`` among the rows of ``filtered_sql``.

    ``query_vector``: a sequence of floats, or an SQL expression (``str``) evaluating to a vector,
    e.g. ``"(SELECT vector FROM query_vector)"`` for "more like this".

    ``filtered_sql`` selects one column of distinct version ids (no ORDER BY needed; it may name a CTE
    of the enclosing statement, e.g. ``"SELECT version_id FROM filtered"``); it is evaluated per
    candidate or materialised, never filtered in Python. ``None`` means every vector of the model
    (old versions included), which only benchmarks want.

    ``concepts`` (optional): concept ids such that every version of ``filtered_sql`` has at least one
    of them as a machine label or, on its asset, a person's "added" decision (e.g. one ``has_concepts``
    filter with its narrower concepts). It makes label-filtered queries exact or index-assisted; pass
    ``None`` when the filter means anything else. Costs one small query (at most
    ``LABEL_EXACT_ROWS + 1`` index entries counted).

    ``expected_rows`` (optional): the caller's estimate of the filtered set size (e.g. a collection's
    size); at or below ``EXACT_ROWS`` the filtered set is ranked exactly.

    ``max_distance`` (optional): rows farther than this are not wanted. The exact plans then stop
    checking the filter at the first row beyond it (the check is the costly part of a filtered
    search: a "more like this" over a 1% concept checked 157 candidates where 35 were near enough);
    an HNSW scan that returns none within it is followed by one that skips far rows (``with_fallback``).

    Typical use inside the search statement::

        plan = vector_candidates(run, vector, k=100, filtered_sql="SELECT version_id FROM filtered")
        sql.add(f", nearest AS ({plan.sql})", *plan.params)
        with client_bound_cursor() as cursor:
            plan.execute(cursor, statement, params)
            rows = cursor.fetchall()
    """
    model_id = int(getattr(model_run, "pk", model_run))
    if isinstance(query_vector, str):
        # Converted inside its own subquery, so once per statement: a cast applied to the subquery's
        # result would run per row compared (10k rows of a 1% concept: +20 ms at 1M rows).
        dims = _registered_dims(model_id)
        vector_sql, vector_params = f"(SELECT ({query_vector})::halfvec({dims}))", []
    else:
        dims = _registered_dims(model_id, len(query_vector))
        vector_sql, vector_params = "%s", ["[" + ",".join(f"{float(x):.8g}" for x in query_vector) + "]"]
    search = _Search(model_id, dims, vector_sql, vector_params, int(k), filtered_sql, list(filtered_params),
                     None if max_distance is None else float(max_distance))
    settings = _settings_sql(search.k, scan_tuples=MAX_SCAN_TUPLES if max_distance is None else NEAR_SCAN_TUPLES)
    if filtered_sql is None:
        sql, params = search.hnsw("search_vector", "true", skip_far=max_distance is not None)
        # An iterative scan may return rows slightly out of order: sort them again (a materialised CTE,
        # since the planner would take the index scan's order for granted through a plain subquery).
        return VectorQuery(f"WITH relaxed AS MATERIALIZED ({sql}) SELECT * FROM relaxed ORDER BY distance", params,
                           settings, "hnsw")
    if expected_rows is not None and expected_rows <= EXACT_ROWS:
        return VectorQuery(*search.exact(), settings, "exact")
    if concepts:
        concepts = list(concepts)
        rows, indexed = _label_stats(model_id, concepts)
        if rows <= LABEL_EXACT_ROWS:
            return VectorQuery(*search.by_label(concepts), settings, "label")
        if indexed:
            return VectorQuery(*search.with_fallback("search_vector_label", _concept_match(concepts[0]),
                                                     search.by_label(concepts)), settings, "concept_hnsw")
    return VectorQuery(*search.with_fallback("search_vector", "true"), settings, "hnsw")


def _settings_sql(k, *, scan_tuples=MAX_SCAN_TUPLES):
    """The statement's settings. Plain index scans stay allowed, for the label plan too: forcing a bitmap
    heap scan there (read ahead in multi-block reads) helped a cold cache only while Postgres 18 read
    through I/O workers, and turned every lookup of the filter checks into a bitmap scan, 2-3 ms per
    search with a concept at 1M rows (docs/benchmarks.md)."""
    settings = {
        "hnsw.ef_search": min(max(EF_SEARCH, k), 1000),
        "hnsw.iterative_scan": "relaxed_order",
        "hnsw.max_scan_tuples": scan_tuples,
        "jit": "off",  # a big cost estimate would otherwise spend ~50 ms compiling
        "plan_cache_mode": "force_custom_plan",
    }
    calls = ", ".join(f"set_config('{name}', '{value}', true)" for name, value in settings.items())
    return f"SELECT {calls}"


def _concept_match(concept, alias="l."):
    return f"{alias}concept_id = '{concept}'"


# What ``_label_stats`` found, per (database, model, concepts): (when, rows, indexed). They only choose
# between plans that all return the right rows, and concepts grow slowly, so they are kept a while:
# counting a 1% concept's 10-17k index entries took 1.3 ms of a 15 ms search at 1M rows.
LABEL_STATS_SECONDS = 60
_label_stats_seen = {}


def _label_stats(model_id, concepts):
    """(label rows of ``concepts``, capped at LABEL_EXACT_ROWS + 1; whether the one concept has an index)."""
    key = (connection.settings_dict["NAME"], model_id, tuple(concepts))
    seen = _label_stats_seen.get(key)
    if seen is not None and time.monotonic() - seen[0] < LABEL_STATS_SECONDS:
        return seen[1:]
    index = concept_index_name(model_id, concepts[0]) if len(concepts) == 1 and _CONCEPT_ID.match(concepts[0]) else None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM (SELECT 1 FROM search_vector_label WHERE model_id = %s "
            "AND concept_id = ANY(%s) LIMIT %s) AS counted), to_regclass(%s) IS NOT NULL",
            [model_id, concepts, LABEL_EXACT_ROWS + 1, index])
        rows, indexed = cursor.fetchone()
    if len(_label_stats_seen) >= 10_000:
        _label_stats_seen.clear()
    _label_stats_seen[key] = (time.monotonic(), rows, indexed)
    return rows, indexed


@dataclass
class _Search:
    """The SQL pieces of one search; each returns (sql, params) with params in textual order."""

    model_id: int
    dims: int
    vector_sql: str  # "%s" (the literal is in vector_params) or a parenthesised SQL expression
    vector_params: list
    k: int
    filtered_sql: str
    filtered_params: list
    max_distance: float | None

    def near(self, alias=""):
        """The rows wanted at all: those within ``max_distance`` (every row when it is None)."""
        return "true" if self.max_distance is None else f"{alias}distance <= {self.max_distance!r}"

    def check(self, column):
        """A per-row test the planner cannot turn into a join: evaluated lazily, one candidate at a time."""
        if self.filtered_sql is None:
            return "true", []
        return (f"(SELECT true FROM ({self.filtered_sql}) AS f(version_id) WHERE f.version_id = {column} LIMIT 1)",
                self.filtered_params)

    def hnsw(self, table, match, *, skip_far=False):
        """HNSW scan (the model's index, or a concept's partial one) checking the filter as it streams and,
        if ``skip_far``, skipping rows beyond ``max_distance`` (so it walks on until k near rows pass)."""
        check, params = self.check("l.version_id")
        distance = f"(l.half::halfvec({self.dims})) <=> {self.vector_sql}::halfvec({self.dims})"
        near, near_params = (f"{distance} <= {self.max_distance!r}", self.vector_params) if skip_far else ("true", [])
        return (f"SELECT l.version_id, {distance} AS distance FROM {table} l WHERE l.model_id = {self.model_id} "
                f"AND {match} AND {near} AND {check} ORDER BY distance LIMIT {self.k}",
                [*self.vector_params, *near_params, *params])

    def exact(self, rows=None):
        """Materialise the filtered set (or ``rows``, SQL naming a relation of its version ids); each row
        probes its own vector by key (LATERAL ... OFFSET 0 keeps that shape whatever the estimates) and
        all are ranked exactly.

        No DISTINCT over the filtered set: as the fallback of an HNSW scan this runs rarely, but a
        hash aggregate is sized when the statement starts, for every row the planner expects (20 ms
        for a library of 1M assets, on every search)."""
        rows, params = (f"({self.filtered_sql})", self.filtered_params) if rows is None else (rows, [])
        return ("SELECT f.version_id, v.distance FROM "
                f"{rows} AS f(version_id) "
                f"CROSS JOIN LATERAL (SELECT s.half <=> {self.vector_sql}::halfvec AS distance FROM search_vector s "
                f"WHERE s.version_id = f.version_id AND s.model_id = {self.model_id} OFFSET 0) AS v "
                f"WHERE {self.near('v.')} ORDER BY v.distance LIMIT {self.k}",
                [*params, *self.vector_params])

    def by_label(self, concepts):
        """Rank the concepts' clustered rows exactly, then check the filter nearest first until k pass."""
        several = len(concepts) > 1
        distance = f"l.half <=> {self.vector_sql}::halfvec"
        check, params = self.check("c.version_id")
        return ("SELECT c.version_id, c.distance FROM ("
                f"SELECT l.version_id, {f'min({distance})' if several else distance} AS distance "
                f"FROM search_vector_label l WHERE l.model_id = {self.model_id} AND l.concept_id = ANY(%s) "
                f"{'GROUP BY l.version_id' if several else ''} "
                "ORDER BY distance OFFSET 0) AS c "  # OFFSET 0: the filter runs above the sort, lazily
                f"WHERE {self.near('c.')} AND {check} LIMIT {self.k}", [*self.vector_params, concepts, *params])

    def with_fallback(self, table, match, exact=None):
        """One statement: the HNSW scan's rows within ``max_distance``; or, when it found none within it, a
        second scan that skips far rows (the first one's descent into the graph may have ended in another
        cluster); or, when fewer than k rows passed the filter and the filtered set is small, the ``exact``
        rows (by default ``self.exact`` over the filtered rows, which are read once: to count, then to
        rank). The second scan and the exact pass run only when needed: a query with fewer than k near
        rows that pass a wide filter (common: few similar images the user may see) costs one scan."""
        approximate, params = self.hnsw(table, match)
        exact = self.exact("capped") if exact is None else exact
        use_exact = "(SELECT use_exact FROM fallback)"
        branches = [f"(SELECT * FROM approximate WHERE {self.near()} AND NOT {use_exact})"]
        params = [*params, *self.filtered_params]
        if self.max_distance is not None:
            relocated, relocated_params = self.hnsw(table, match, skip_far=True)
            branches.append(f"(SELECT * FROM ({relocated}) AS relocated WHERE NOT {use_exact} "
                            f"AND NOT EXISTS (SELECT 1 FROM approximate WHERE {self.near()}))")
            params += relocated_params
        branches.append(f"(SELECT * FROM ({exact[0]}) AS exact WHERE {use_exact})")
        return (f"WITH approximate AS MATERIALIZED ({approximate}), "
                f"capped AS MATERIALIZED (SELECT version_id FROM ({self.filtered_sql}) AS f(version_id) "
                f"LIMIT {EXACT_FALLBACK_ROWS + 1}), "
                f"fallback AS MATERIALIZED (SELECT (SELECT count(*) FROM approximate) < {self.k} "
                f"AND (SELECT count(*) FROM capped) <= {EXACT_FALLBACK_ROWS} AS use_exact) "
                f"SELECT * FROM ({' UNION ALL '.join(branches)}) AS nearest ORDER BY distance",
                [*params, *exact[1]])


# --------------------------------------------------------------------------- indexes and side tables

_dims = {}  # (database name, model id) -> dims of registered models; registrations are never changed


def _registered_dims(model_id, dims=None):
    """The model's registered dimension (checked against ``dims``); raises if it has no vector index."""
    key = (connection.settings_dict["NAME"], model_id)
    if key not in _dims:
        with connection.cursor() as cursor:
            cursor.execute("SELECT dims FROM search_vector_model WHERE model_id = %s", [model_id])
            row = cursor.fetchone()
            if row:
                _dims[key] = row[0]
    if key not in _dims:
        raise VectorIndexMissing(f"model run {model_id} has no vector index: run manage.py vector_indexes")
    if dims is not None and dims != _dims[key]:
        raise ValueError(f"model run {model_id} has {_dims[key]}-d vectors, the query has {dims}")
    return _dims[key]


def ensure_vector_indexes(model_run, *, dims=None, concept_indexes=True, concurrently=None):
    """Opt ``model_run`` into vector search: copy its vectors into the side tables and build its index.

    ``dims`` defaults to the dimension of its stored vectors; returns it, or ``None`` when the model
    has no vectors yet and no ``dims`` was given (call again later). Writers to embeddings and labels
    wait while the vectors are copied (so none is missed); the HNSW index is built afterwards,
    concurrently unless inside a transaction or ``concurrently`` is False, then (unless
    ``concept_indexes`` is false) the frequent concepts' indexes (``ensure_concept_indexes``).
    Safe to call repeatedly.
    """
    model_id = int(getattr(model_run, "pk", model_run))
    with transaction.atomic(), connection.cursor() as cursor:
        # One registration at a time (the table locks below are shared: two registrations of a model would
        # both find it unregistered); the lock's name is the one it had when it also guarded creating the schema.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('search_vector_schema'))")
        cursor.execute(f"LOCK TABLE {TABLES.embedding}, {TABLES.machine_label}, {TABLES.label_decision} "
                       "IN SHARE MODE")
        cursor.execute("SELECT dims FROM search_vector_model WHERE model_id = %s", [model_id])
        row = cursor.fetchone()
        if row:
            dims = row[0]
        else:
            if dims is None:
                cursor.execute(f"SELECT vector_dims(vector) FROM {TABLES.embedding} WHERE model_id = %s LIMIT 1",
                               [model_id])
                row = cursor.fetchone()
                if row is None:
                    return None
                dims = row[0]
            cursor.execute("INSERT INTO search_vector_model (model_id, dims) VALUES (%s, %s)", [model_id, dims])
            _copy_vectors(cursor, model_id)
    _build_hnsw(model_id, int(dims), concurrently)
    if concept_indexes:
        ensure_concept_indexes(model_id, concurrently=concurrently)
    return dims


def _copy_vectors(cursor, model_id):
    cursor.execute(
        "INSERT INTO search_vector (model_id, version_id, half) "
        f"SELECT model_id, version_id, vector::halfvec FROM {TABLES.embedding} WHERE model_id = %s "
        "ON CONFLICT DO NOTHING", [model_id])
    # Written in (concept, version) order: the rows of one concept share pages, read sequentially.
    cursor.execute(
        "INSERT INTO search_vector_label (model_id, concept_id, version_id, half) "
        "SELECT v.model_id, c.concept_id, v.version_id, v.half FROM search_vector v "
        "JOIN search_vector_concept c ON c.version_id = v.version_id "
        "WHERE v.model_id = %s ORDER BY c.concept_id, v.version_id ON CONFLICT DO NOTHING", [model_id])


def hnsw_index_name(model_id):
    return f"search_vector_hnsw_m{int(model_id)}"


def concept_index_name(model_id, concept_id):
    """Partial HNSW index of one concept's rows; the digest keeps names unique within 63 bytes."""
    digest = hashlib.md5(concept_id.encode()).hexdigest()[:8]
    readable = re.sub(r"[^a-z0-9]", "_", concept_id.lower())[:24]
    return f"search_vector_label_m{int(model_id)}_{readable}_{digest}"


def _create_hnsw(cursor, name, table, dims, where, graph, concurrently=None):
    """Create a halfvec cosine HNSW index unless a valid one exists.

    ``concurrently`` (default: when not inside a transaction) keeps writers going during the build at
    the price of a second table scan; a bulk load with no writers can pass False.
    """
    if concurrently is None:
        concurrently = not connection.in_atomic_block
    keyword = "CONCURRENTLY" if concurrently else ""
    cursor.execute("SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                   "WHERE c.relname = %s", [name])
    row = cursor.fetchone()
    if row and row[0]:
        return False
    if row:  # an interrupted concurrent build leaves an invalid index behind
        cursor.execute(f"DROP INDEX {keyword} {name}")
    cursor.execute(
        f"CREATE INDEX {keyword} {name} ON {table} USING hnsw ((half::halfvec({dims})) halfvec_cosine_ops) "
        f"WITH (m = {graph[0]}, ef_construction = {graph[1]}) WHERE {where}")
    return True


def _build_hnsw(model_id, dims, concurrently):
    with connection.cursor() as cursor:
        _create_hnsw(cursor, hnsw_index_name(model_id), "search_vector", dims, f"model_id = {model_id}",
                     MODEL_GRAPH, concurrently)
        cursor.execute("ANALYZE search_vector")
        cursor.execute("ANALYZE search_vector_label")


def ensure_concept_indexes(model_run, *, min_rows=None, concepts=None, concurrently=None):
    """Partial HNSW indexes for the model's concepts with more than ``min_rows`` rows (among ``concepts``,
    if given); returns the concepts whose index was created.

    Frequent concepts are too big to rank exactly per query and too selective for the model's HNSW
    index (a 1% concept needs ~100 candidates per result), so each gets its own small graph. Run it
    after loads and periodically (``manage.py vector_indexes``): concepts grow.
    """
    model_id = int(getattr(model_run, "pk", model_run))
    min_rows = CONCEPT_INDEX_ROWS if min_rows is None else min_rows
    with connection.cursor() as cursor:
        cursor.execute("SELECT dims FROM search_vector_model WHERE model_id = %s", [model_id])
        dims = cursor.fetchone()[0]
        cursor.execute("SELECT concept_id FROM search_vector_label WHERE model_id = %s "
                       "AND (%s::varchar[] IS NULL OR concept_id = ANY(%s)) GROUP BY concept_id "
                       "HAVING count(*) > %s ORDER BY concept_id", [model_id, concepts, concepts, min_rows])
        concepts = [c for (c,) in cursor.fetchall() if _CONCEPT_ID.match(c)]
        created = [c for c in concepts if _create_hnsw(
            cursor, concept_index_name(model_id, c), "search_vector_label", dims,
            f"model_id = {model_id} AND {_concept_match(c, alias='')}", CONCEPT_GRAPH, concurrently)]
    _label_stats_seen.clear()
    return created


def recluster_labels():
    """Rewrite ``search_vector_label`` in concept order (rows added since the last time are scattered).

    Takes an exclusive lock for the rewrite: searches wait, so run it off-peak.
    """
    with connection.cursor() as cursor:
        cursor.execute("CLUSTER search_vector_label USING search_vector_label_pkey")
        cursor.execute("ANALYZE search_vector_label")


def drop_vector_indexes(model_run):
    """Opt a model out: its side rows and its HNSW index go (e.g. after the model is retired)."""
    model_id = int(getattr(model_run, "pk", model_run))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relname LIKE %s OR relname = %s",
                       [f"search_vector_label_m{model_id}\\_%", hnsw_index_name(model_id)])
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
        cursor.execute("DELETE FROM search_vector_model WHERE model_id = %s", [model_id])
        cursor.execute("DELETE FROM search_vector WHERE model_id = %s", [model_id])
        cursor.execute("DELETE FROM search_vector_label WHERE model_id = %s", [model_id])
    _dims.pop((connection.settings_dict["NAME"], model_id), None)
    _label_stats_seen.clear()
