"""The search statement's SQL: one statement for filters, permissions, rights, ranking and the page.

``SearchStatement`` turns a ``SearchQuery`` and its ``Interpretation`` into CTEs:

    filtered        documents of assets ``assets.permissions.visible_assets`` allows, usable per
                    ``search.rights``, passing every filter
    expanded/labels the query's concepts and every narrower one (``ancestors @> ARRAY[id]``) and
                    the labels of filtered assets among them (a class named exactly from the lowest
                    stored probability, narrower classes from ``NARROWER_FLOOR``)
    concept_hits    per phrase (and per colour asked for) a calibrated score: each model's evidence
                    (a classifier's summed probability, the detector's best box weighed by
                    ``DETECTOR_WEIGHT``, a person's label 1) combined as independent sources (noisy-OR);
                    phrases all present rank above some present
    text_hits       ``document @@ tsquery``, scored by the share of query words found (people's fields
                    count fully, OCR text ``OCR_WEIGHT`` and not for words that named a concept)
    vector_hits     the k nearest of the filtered set (``search.vectors``' plan), below a distance cut
    scored          evidence fused by reciprocal rank fusion or a weighted sum (each source reads
                    ``filtered`` once; hits take their dates by key)
    results/page    sort key, total, keyset cursor, LIMIT; the final SELECT adds the explanations and
                    each hit's summary columns (``SUMMARY_COLUMNS``)

Labels (``MachineLabel.objects.effective()`` on current versions, plus labels people added) are
always read per asset or per concept through ``label_rows_sql``, never as one library-wide set.

Facets reuse the same CTEs in a second statement; suggestions have a statement of their own.
Permissions and "effective labels" are embedded from their querysets (``query.sql_with_params()``),
so when their owners change them, search follows without a change here. ``search.service`` runs
these statements and turns their rows into results; tests/search/sql/ holds what they write for
representative queries.
"""
import logging
from functools import cache, cached_property

from django.conf import settings
from django.db import OperationalError, connection
from django.db.models import F, Q
from pgvector import Vector

from assets.pagination import COUNT_CAP
from core.refusals import Refused
from core.sql import client_bound_cursor, execute_with_settings, ran_out_of_time, statement_timeout_sql
from enrichment.models import MachineLabel
from ontology.labels import normalise
from ontology.models import Concept
from search import rights, vectors
from search.query import OCR_WEIGHTS, TITLE_WEIGHTS, field_tsquery, text_tsquery, text_words
from search.sql import TABLES, Sql, permitted_sql, queryset_sql

logger = logging.getLogger(__name__)

# Evidence for a phrase (docs/search.md, "Scores"; chosen on the judged set, docs/benchmarks.md "Retrieval").
CLASS_FLOOR = 0.001         # a class named exactly: every probability stored (enrichment keeps ≥ 0.001)
NARROWER_FLOOR = 0.005      # narrower classes summed for a concept: below this they add little and cost reads
DETECTOR_WEIGHT = 0.5       # the detector's best box counts at its measured precision: about half its labels are right
PRESENT = 0.05              # a phrase counts as present at this score: every phrase present ranks above some
OCR_WEIGHT = 0.5            # a query word read in the image (OCR) counts this much, one people wrote fully
COLOUR_FULL_SHARE = 0.6     # a colour covering this share of the image is fully present
CONCEPT_THRESHOLD = 0.15    # "labelled with": filters, sense counts, suggestions and related concepts
VECTOR_TOP_K = 50
# Cosine distance beyond which vector evidence is not evidence, per kind of vector: classifier features
# of unrelated photos sit at 0.4–0.55; CLIP puts a caption and its image at a similarity of only
# 0.25–0.35 (unrelated pairs 0.1–0.2), so a text query keeps images up to distance 0.78.
VECTOR_MAX_DISTANCE = {"similarity": 0.5, "clip": 0.78}
RRF_K = 60
WEIGHTS = {"concept": 0.5, "text": 0.3, "vector": 0.2}
EXPLAINED_LABELS = 5  # labels per phrase in a hit's explanation
FACET_LABEL_CONFIDENCE = 0.3
FACET_CONCEPTS = 15
FACET_PEOPLE = 15
# The month an image belongs to in the timeline (and the ``month`` filter): taken, or uploaded when unknown.
MONTH_OF = "to_char(coalesce({taken}, {created}), 'YYYY-MM')"
FACET_SAMPLE = 20_000  # facets of more hits than this are estimated from a sample of about this many
BROWSE_FACET_SAMPLE = 2_000  # browsing: facets of about this many documents (each reads its labels: ~0.1 ms)
# Browsing (no words, no image) counts this many hits and then says "10,000+", as the library's lists do (and a
# total counted after the page is remembered as theirs is: ``assets.pagination.remembered_count``).
TOTAL_CAP = COUNT_CAP
# Browsing a large library: the facets' sample of documents decides "10,000+" without counting when it holds
# at least this many hits and three times the cap's share (a miss needs a 3x error on ≥ 60 sampled hits).
SURE_SAMPLE_HITS = 60

SNIPPET_START, SNIPPET_STOP = "\ue000", "\ue001"
HEADLINE_OPTIONS = f"StartSel={SNIPPET_START}, StopSel={SNIPPET_STOP}, MaxWords=18, MinWords=6, MaxFragments=2"
UNINDEXED = "unindexed"  # the plan of the exact scan used while a model has no vector index


ADDED_LABELS = f"SELECT ld.asset_id, ld.concept_id FROM {TABLES.label_decision} ld WHERE ld.decision = 'added'"


@cache
def machine_labels_sql():
    """Labels per version as enrichment defines them (active models, minus what people rejected);
    compiled once per process (its SQL holds no value that changes)."""
    return queryset_sql(MachineLabel.objects.effective().annotate(source=F("model__capability")), "version_id",
                        "concept_id", "confidence", "model_id", "source")


def label_rows_sql(machine_where, added_where):
    """Label rows ``(asset_id, concept_id, confidence, model_id, source)``: enrichment's labels on current
    versions (source: the model's capability) and the labels people added (confidence 1, source
    'person'), each source narrowed by its own condition.

    The conditions go inside the branches because Postgres cannot push a join or a correlation into
    this UNION (its machine branch is itself a join): narrowed from outside, it builds every label in
    the library first, per probe (a 'more like this' with a concept filter took 8 s instead of 20 ms
    at 100k assets, suggestions 47 s instead of 0.1 s; docs/benchmarks.md).
    """
    effective, params = machine_labels_sql()
    return (
        f"SELECT labelled.id AS asset_id, ml.concept_id, ml.confidence, ml.model_id, ml.source::text "
        f"FROM ({effective}) ml "
        f"JOIN {TABLES.asset} labelled ON labelled.current_version_id = ml.version_id WHERE {machine_where} "
        "UNION ALL SELECT added.asset_id, added.concept_id, 1.0::float8, NULL::bigint, 'person'::text "
        f"FROM ({ADDED_LABELS}) added WHERE {added_where}",
        params,
    )


def labels_of_asset_sql(asset, version):
    """The label rows of one asset, given SQL naming its id and current version (index lookups)."""
    return label_rows_sql(f"ml.version_id = {version}", f"added.asset_id = {asset}")


def labels_of_concept_sql(concept, floor=None):
    """The label rows of one concept (exactly that one), given SQL naming its id (index lookups); with
    ``floor`` (SQL), only machine labels of at least that confidence (the (concept, confidence) index)."""
    machine = f"ml.concept_id = {concept}" + (f" AND ml.confidence >= {floor}" if floor else "")
    return label_rows_sql(machine, f"added.concept_id = {concept}")


def within_sql(alias, concept):
    """Concept row ``alias`` is ``concept`` (SQL naming an id) or one of its narrower concepts."""
    return f"({alias}.id = {concept} OR {alias}.ancestors @> ARRAY[{concept}]::varchar[])"


def subtree_labels_sql(concept, confidence, concept_params=()):
    """``FROM``/``WHERE`` body: label rows ``al`` of ``concept`` and of its narrower concepts, at
    ``confidence`` or more. ``concept`` is SQL naming a concept id (a column, or ``%s`` with its
    value in ``concept_params``)."""
    labels, params = labels_of_concept_sql("narrower.id")
    return (
        f"{TABLES.concept} narrower CROSS JOIN LATERAL ({labels}) al "
        f"WHERE {within_sql('narrower', concept)} AND al.confidence >= %s",
        [*params, *concept_params, *concept_params, confidence],
    )


def labelled_with_sql(concept_id, *, probed):
    """Asset ``a`` carries ``concept_id`` or a narrower concept with enough confidence: a filter.

    ``probed``: the statement checks its filter one vector candidate at a time, so the labels of
    that one asset are looked up. Otherwise the filter runs over the whole library, where the
    concept's labelled assets are collected once and hashed: 10x faster than probing every asset
    (2.3 s vs 0.22 s for a 1% concept over 100k assets, docs/benchmarks.md).
    """
    if probed:
        labels, params = labels_of_asset_sql("a.id", "a.current_version_id")
        return (
            f"EXISTS (SELECT 1 FROM ({labels}) al JOIN {TABLES.concept} c ON c.id = al.concept_id "
            f"WHERE al.confidence >= %s AND {within_sql('c', '%s')})",
            [*params, CONCEPT_THRESHOLD, concept_id, concept_id],
        )
    subtree, params = subtree_labels_sql("%s", CONCEPT_THRESHOLD, (concept_id,))
    return f"a.id IN (SELECT al.asset_id FROM {subtree})", params


QUERY_VECTOR = "(SELECT vector FROM query_vector)"  # the statement's CTE holding the query vector


def _concept_subtree(concept_id):
    subtree = Concept.objects.filter(Q(pk=concept_id) | Q(ancestors__contains=[concept_id]))
    return list(subtree.values_list("pk", flat=True))


def vector_plan(model, query):  # model: the active ModelRun whose vectors rank the query
    """``search.vectors``' retrieval of the vectors nearest ``QUERY_VECTOR`` in the CTE ``filtered``.

    A model not yet opted into the vector index (``manage.py vector_indexes``) is ranked by an
    exact scan of its stored vectors instead, so search keeps working until it is.
    """
    concepts = _concept_subtree(query.has_concepts[0]) if query.has_concepts else None
    max_distance = VECTOR_MAX_DISTANCE[model.capability]
    try:
        return vectors.vector_candidates(model.id, QUERY_VECTOR, k=VECTOR_TOP_K, max_distance=max_distance,
                                         filtered_sql="SELECT version_id FROM filtered", concepts=concepts)
    except vectors.VectorIndexMissing:
        logger.warning("model run %s has no vector index; ranking its vectors exactly", model.id)
        return vectors.VectorQuery(
            f"SELECT * FROM (SELECT f.version_id, e.vector <=> {QUERY_VECTOR} AS distance FROM filtered f "
            f"JOIN {TABLES.embedding} e ON e.version_id = f.version_id AND e.model_id = {int(model.id)}) ranked "
            f"WHERE distance <= {max_distance!r} ORDER BY distance LIMIT {VECTOR_TOP_K}", [],
            settings_sql="", plan=UNINDEXED)


# What a hit's summary shows (uid, title, the current version's format and size), read by the page
# statement itself, so that clients showing no thumbnail need no second query (1.8 ms at 1M assets).
SUMMARY_COLUMNS = ("a.uid", "a.title", "a.current_version_id", "v.format", "v.width", "v.height")


def browse_sample_rate():
    """The share of the documents' table that holds about BROWSE_FACET_SAMPLE rows, from Postgres's row estimate.

    It goes into the facets statement as a constant: computed inside it, the planner could not tell the
    sample's size and joined it with every document and asset (420 ms at a million assets instead of 30)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [TABLES.search_document])
        rows = cursor.fetchone()[0]
    return min(1.0, BROWSE_FACET_SAMPLE / max(rows, 1))


class SearchTooBroad(Refused):
    """A search statement ran past its time budget (a word or concept that matches much of a large library)."""

    def __init__(self, budget_ms):
        super().__init__(f"This search matches too much to rank within {budget_ms / 1000:g} seconds. Add a word or "
                         "a filter (a collection, a format, a date) and search again.", code="search_too_broad",
                         status=503)


class SearchStatement:
    """The statement for one query, user and interpretation; executed for a page or for facets."""

    def __init__(self, query, interpretation, user, vector=None):
        """``vector``: the active ModelRun whose vectors rank a query for similar images."""
        self.query = query
        self.vector = vector
        self.vector_plan = vector_plan(vector, query) if vector else None
        self.interpretation = interpretation
        self.user = user
        self.groups = interpretation.concept_groups
        self.colours = list(interpretation.colours)
        self.phrases = [m.phrase for m in interpretation.matches] + self.colours
        self.tsquery = text_tsquery(query.text, interpretation.corrections) if query.text.strip() else ""
        self.text_words = text_words(query.text, interpretation.corrections, interpretation.concept_words)
        self.highlight = " | ".join(
            f"({part})" for part in (self.tsquery, field_tsquery(query.title, TITLE_WEIGHTS),
                                     field_tsquery(query.ocr, OCR_WEIGHTS)) if part
        )
        self.has_vector = bool(query.similar_to or query.vector)
        self.sources = [name for name, present in (("concept", self.groups or self.colours), ("text", self.tsquery),
                                                   ("vector", self.has_vector)) if present]
        # Only vector evidence: at most VECTOR_TOP_K hits, so the page statement returns all their ids and
        # the facets count those instead of running the vector search again (a second plan and scan).
        self.bounded = self.sources == ["vector"] and not interpretation.matches  # (and so no sense counts)
        # No evidence, sorted by upload time: the page reads the asset index of that time (keyset, no sort
        # of every hit), the total stops at TOTAL_CAP (or waits for ``count_sql``) and facets count a sample
        # of the library's pages.
        self.browsing = not self.sources and query.sort in ("relevance", "newest", "oldest")

    # ------------------------------------------------------------------ CTEs

    def _filters(self, sql):
        q = self.query
        perm, perm_params = permitted_sql(self.user)
        sql.add(f" WHERE d.asset_id IN ({perm})", *perm_params)
        for column, values in (("d.format", q.formats), ("d.orientation", q.orientations),
                               ("a.moderation_state", q.moderation)):
            if values:
                sql.add(f" AND {column} = ANY(%s)", list(values))
        for column, value in (("d.creator", q.creator), ("d.camera", q.camera)):
            if value:
                sql.add(f" AND lower({column}) = lower(%s)", value)
        for column, value, op in (("d.taken_at", q.taken_after, ">="), ("d.taken_at", q.taken_before, "<"),
                                  ("a.created_at", q.created_after, ">="), ("a.created_at", q.created_before, "<")):
            if value is not None:
                # "before" includes the day named: compare with the start of the next day.
                sql.add(f" AND {column} {op} (%s::date + {1 if op == '<' else 0})", value)
        if q.colours:
            sql.add(" AND d.colours @> %s::varchar[]", list(q.colours))
        if q.years:
            sql.add(" AND extract(year FROM coalesce(d.taken_at, a.created_at))::int = ANY(%s)", list(q.years))
        if q.months:
            sql.add(f" AND {MONTH_OF.format(taken='d.taken_at', created='a.created_at')} = ANY(%s)", list(q.months))
        for concept_id in q.has_concepts:
            labelled, labelled_params = labelled_with_sql(concept_id, probed=self.has_vector)
            sql.add(f" AND {labelled}", *labelled_params)
        if q.has_faces is not None:
            sql.add(f" AND {'' if q.has_faces else 'NOT '}EXISTS (SELECT 1 FROM {TABLES.detection} x "
                    f"JOIN {TABLES.model_run} m ON m.id = x.model_id AND m.active "
                    "WHERE x.version_id = a.current_version_id AND x.kind = 'face')")
        for person in q.people:  # an id or a name: a person's faces on the current version
            sql.add(f" AND EXISTS (SELECT 1 FROM {TABLES.face_descriptor} fd JOIN {TABLES.person} p "
                    "ON p.id = fd.person_id WHERE fd.version_id = a.current_version_id "
                    "AND (p.id::text = %s OR lower(p.name) = lower(%s)))", person, person)
        for label, count in q.min_objects:
            sql.add(f" AND (SELECT count(*) FROM {TABLES.detection} x "
                    f"JOIN {TABLES.model_run} m ON m.id = x.model_id AND m.active "
                    f"JOIN {TABLES.concept} c ON c.id = x.concept_id "
                    "CROSS JOIN LATERAL (SELECT array_agg(l.concept_id)::varchar[] AS ids "
                    f"FROM {TABLES.concept_label} l WHERE l.label_normalised = %s) named "
                    "WHERE x.version_id = a.current_version_id AND x.kind = 'object' "
                    "AND (c.id = ANY(named.ids) OR c.ancestors && named.ids)) >= %s",
                    label, count)
        if q.collection:
            column = "c.id" if q.collection.isdigit() else "c.slug"
            sql.add(f" AND EXISTS (SELECT 1 FROM {TABLES.asset_collections} ac JOIN {TABLES.collection} c "
                    f"ON c.id = ac.collection_id WHERE ac.asset_id = d.asset_id AND {column} = %s)",
                    int(q.collection) if q.collection.isdigit() else q.collection)
        if q.has_usage_terms is not None:
            sql.add(" AND d.has_usage_terms = %s", q.has_usage_terms)
        if q.rights is not None:
            usable, usable_params = queryset_sql(rights.usable_assets(q.rights))
            sql.add(f" AND d.asset_id IN ({usable})", *usable_params)
        if q.rights_statuses:
            status, status_params = rights.status_sql("d.asset_id")
            sql.add(f" AND ({status}) = ANY(%s)", *status_params, list(q.rights_statuses))
        for text, weights in ((q.title, TITLE_WEIGHTS), (q.ocr, OCR_WEIGHTS)):
            if field_tsquery(text, weights):
                sql.add(" AND d.document @@ to_tsquery('english', %s)", field_tsquery(text, weights))
        if q.similar_to:
            sql.add(" AND a.uid <> %s", q.similar_to)

    def _base(self):
        sql = Sql()
        sql.add("WITH filtered AS NOT MATERIALIZED (SELECT d.asset_id, a.current_version_id AS version_id, "
                f"a.created_at, d.taken_at, d.document, d.colours, d.colour_shares FROM {TABLES.search_document} d "
                f"JOIN {TABLES.asset} a ON a.id = d.asset_id")
        self._filters(sql)
        sql.add(")")
        if self.groups or self.colours:
            self._concept_ctes(sql)
        if self.highlight:
            sql.add(", text_query AS (SELECT to_tsquery('english', %s) AS q, to_tsquery('english', %s) AS highlight)",
                    self.tsquery, self.highlight)
        if self.tsquery:
            # The share of the query's words found: in people's fields (title, keywords, caption) fully,
            # in the OCR text at OCR_WEIGHT and only for words that named no concept. Absolute, so one
            # word read on a number plate stays weak however few documents match.
            people, anywhere, ocr = (list(column) for column in zip(*self.text_words)) if self.text_words \
                else ([], [], [])
            # Each word's tsqueries are parsed once (a CTE), not once per matching document.
            sql.add(", text_words AS MATERIALIZED (SELECT to_tsquery('english', w.people) AS people, "
                    "to_tsquery('english', w.anywhere) AS anywhere, w.ocr "
                    "FROM unnest(%s::text[], %s::text[], %s::bool[]) AS w(people, anywhere, ocr))", people, anywhere, ocr)
            sql.add(", text_hits AS (SELECT asset_id, score FROM (SELECT f.asset_id, (SELECT sum(CASE "
                    "WHEN f.document @@ w.people THEN 1.0 WHEN w.ocr AND f.document @@ w.anywhere THEN %s ELSE 0 END) "
                    "/ greatest(count(*), 1) FROM text_words w)::float8 AS score "
                    "FROM filtered f CROSS JOIN text_query t WHERE f.document @@ t.q) scored WHERE score > 0)",
                    OCR_WEIGHT)
        if self.has_vector:
            self._vector_ctes(sql)
        self._fusion_ctes(sql)
        self._results_cte(sql)
        return sql

    def _concept_ctes(self, sql):
        """``concept_hits``: per asset one score over the phrases (concept groups, then colours asked for).

        Per phrase: each model's evidence, calibrated (a classifier's classes under a concept are
        exclusive, so their probabilities add up; the detector's best box counts DETECTOR_WEIGHT of its
        score, not a sum of boxes; a person's label is certain), combined as independent sources:
        1 - prod(1 - evidence). Over the phrases: the mean, and with several phrases each one present
        (at PRESENT or more) lifts the asset above every asset with fewer present.
        """
        parts = []
        if self.groups:
            group_numbers = [n for n, ids in enumerate(self.groups) for _ in ids]
            concept_ids = [cid for ids in self.groups for cid in ids]
            sql.add(", query_concepts AS (SELECT * FROM unnest(%s::int[], %s::varchar[]) AS q(group_no, concept_id))",
                    group_numbers, concept_ids)
            sql.add(", expanded AS (SELECT DISTINCT ON (q.group_no, c.id) q.group_no, q.concept_id AS query_concept, "
                    f"c.id AS concept_id, c.id = q.concept_id AS exact FROM query_concepts q JOIN {TABLES.concept} c "
                    "ON c.id = q.concept_id OR c.ancestors @> ARRAY[q.concept_id] "
                    "ORDER BY q.group_no, c.id, c.id = q.concept_id DESC)")
            floor = f"CASE WHEN e.exact THEN {CLASS_FLOOR!r} ELSE {NARROWER_FLOOR!r} END"
            concept_labels, concept_labels_params = labels_of_concept_sql("e.concept_id", floor)
            sql.add(", labels AS (SELECT f.asset_id, e.group_no, e.query_concept, e.concept_id, e.exact, "
                    f"al.confidence, al.model_id, al.source FROM expanded e CROSS JOIN LATERAL ({concept_labels}) al "
                    "JOIN filtered f ON f.asset_id = al.asset_id)", *concept_labels_params)
            sql.add(", model_scores AS (SELECT asset_id, group_no, CASE WHEN source = 'person' THEN 1.0 "
                    "WHEN source = 'detect' THEN %s * max(confidence) ELSE least(1.0, sum(confidence)) END AS score "
                    "FROM labels GROUP BY asset_id, group_no, model_id, source)", DETECTOR_WEIGHT)
            parts.append("SELECT asset_id, group_no, 1 - exp(sum(ln(greatest(1 - score, 1e-9)))) AS score "
                         "FROM model_scores GROUP BY asset_id, group_no")
        if self.colours:
            first = len(self.groups)
            # "colours && ..." lets the documents' GIN index find the coloured ones (a scan of every filtered
            # document's colours took 200 ms at 100k assets).
            parts.append(f"SELECT f.asset_id, {first} + array_position(%s::varchar[], c.name) - 1 AS group_no, "
                         "least(1.0, c.share / %s) AS score FROM filtered f "
                         "CROSS JOIN LATERAL unnest(f.colours, f.colour_shares) AS c(name, share) "
                         "WHERE f.colours && %s::varchar[] AND c.name = ANY(%s::varchar[])")
        params = [self.colours, COLOUR_FULL_SHARE, self.colours, self.colours] if self.colours else []
        sql.add(f", group_scores AS ({' UNION ALL '.join(parts)})", *params)
        phrases = len(self.groups) + len(self.colours)
        sql.add(", concept_hits AS (SELECT asset_id, ((greatest(count(*) FILTER (WHERE score >= %s) - 1, 0) "
                "+ sum(score) / %s) / %s)::float8 AS score FROM group_scores GROUP BY asset_id)",
                PRESENT, phrases, phrases)

    def _vector_ctes(self, sql):
        if self.vector_plan is None:  # no active model of this kind: nothing is alike
            sql.add(", vector_hits AS (SELECT NULL::bigint AS asset_id, NULL::float8 AS score WHERE false)")
            return
        if self.query.vector is not None:
            sql.add(", query_vector AS (SELECT %s::vector AS vector)", Vector(self.query.vector).to_text())
        else:  # "more like this": the asset's vector, if the user may see the asset (else none: no rows)
            perm, perm_params = permitted_sql(self.user)
            sql.add(f", query_vector AS (SELECT e.vector FROM {TABLES.embedding} e JOIN {TABLES.asset} a "
                    f"ON a.current_version_id = e.version_id WHERE e.model_id = {int(self.vector.id)} "
                    f"AND a.uid = %s AND a.id IN ({perm}))", self.query.similar_to, *perm_params)
        sql.add(f", vector_nearest AS ({self.vector_plan.sql})", *self.vector_plan.params)
        # The plan returns only versions of ``filtered`` (current ones) within the distance cut, so each
        # names its asset.
        sql.add(", vector_hits AS (SELECT a.id AS asset_id, (1 - n.distance)::float8 AS score FROM vector_nearest n "
                f"JOIN {TABLES.asset} a ON a.current_version_id = n.version_id)")

    def _fusion_ctes(self, sql):
        """``scored``: one row per hit with its evidence and what sorting needs (version, dates).

        Every source already kept only rows of ``filtered``, so the few hits take their dates from
        the tables by key instead of joining ``filtered`` again (planned and run once more per use).
        """
        if not self.sources:
            sql.add(", scored AS (SELECT asset_id, version_id, created_at, taken_at, 0::float8 AS rrf, "
                    "0::float8 AS weighted, NULL::float8 AS concept_score, NULL::float8 AS text_score, "
                    "NULL::float8 AS vector_score FROM filtered)")
            return
        evidence = " UNION ALL ".join(f"SELECT asset_id, '{name}' AS source, score FROM {name}_hits"
                                      for name in self.sources)
        # Every source scores on an absolute scale of 0 to 1, so the weighted sum reads them as they are.
        sql.add(f", evidence AS ({evidence}), ranked_evidence AS (SELECT asset_id, source, score, "
                "rank() OVER (PARTITION BY source ORDER BY score DESC) AS source_rank FROM evidence)")
        sql.add(", fused AS (SELECT asset_id, sum(1.0 / (%s + source_rank))::float8 AS rrf, "
                "sum(score * CASE source WHEN 'concept' THEN %s WHEN 'text' THEN %s ELSE %s END)::float8 AS weighted, "
                "max(score) FILTER (WHERE source = 'concept') AS concept_score, "
                "max(score) FILTER (WHERE source = 'text') AS text_score, "
                "max(score) FILTER (WHERE source = 'vector') AS vector_score "
                "FROM ranked_evidence GROUP BY asset_id)",
                RRF_K, WEIGHTS["concept"], WEIGHTS["text"], WEIGHTS["vector"])
        sql.add(", scored AS (SELECT s.*, a.current_version_id AS version_id, a.created_at, d.taken_at FROM fused s "
                f"JOIN {TABLES.asset} a ON a.id = s.asset_id "
                f"JOIN {TABLES.search_document} d ON d.asset_id = s.asset_id)")

    def _results_cte(self, sql):
        keys = {
            "oldest": "-extract(epoch FROM s.created_at)",
            "taken": "extract(epoch FROM coalesce(s.taken_at, s.created_at))",
            "newest": "extract(epoch FROM s.created_at)",
        }
        fusion = self.query.fusion
        key = f"s.{fusion}" if self.query.sort == "relevance" and self.sources else keys.get(self.query.sort,
                                                                                             keys["newest"])
        results = f", results AS (SELECT s.*, s.{fusion} AS score, ({key})::float8 AS sort_key, "
        if self.browsing:
            total, params = self._browse_total()
            sql.add(results + f"{total} AS total FROM scored s)", *params)
        else:
            sql.add(results + "count(*) OVER () AS total FROM scored s)")

    @cached_property
    def _browse_sample_rate(self):
        return browse_sample_rate()

    def _browse_sample(self):
        """(sql, params) of the ids of the documents in browsing's fixed sample of the table's pages (about
        BROWSE_FACET_SAMPLE rows): the same pages for the total and for the facets, on every reload."""
        return (f"SELECT asset_id FROM {TABLES.search_document} TABLESAMPLE SYSTEM (%s) REPEATABLE (0)",
                [100 * self._browse_sample_rate])

    def _browse_total(self):
        """Browsing: (sql, params) of the total. A small library's hits are counted up to TOTAL_CAP + 1. In a large
        one, the sample of the documents says TOTAL_CAP + 1 ("10,000+") when it shows clearly more; otherwise the
        total is NULL, not known yet: counting it would run the permission gate on every asset up to the 10,001st
        visible one (a viewer of 30% of a million assets filtering by format and orientation: 25,000 probes,
        180 ms), so the page comes first and ``count_sql`` counts after it (``search.service.count_hits``)."""
        clearly_more = 3 * TOTAL_CAP * self._browse_sample_rate  # sampled hits of three times the cap
        if clearly_more > BROWSE_FACET_SAMPLE:  # a small library: its sample could not decide, counting is quick
            return "(SELECT count(*) FROM (SELECT 1 FROM filtered LIMIT %s) capped)", [TOTAL_CAP + 1]
        sample, sample_params = self._browse_sample()
        return (f"(CASE WHEN (SELECT count(*) FROM filtered f WHERE f.asset_id IN ({sample})) >= %s THEN %s END)",
                [*sample_params, max(SURE_SAMPLE_HITS, clearly_more), TOTAL_CAP + 1])

    def count_sql(self):
        """(sql, params) of the hits, up to TOTAL_CAP + 1 of them: a total the page statement left unknown."""
        sql = self._base()
        sql.add(" SELECT 1 FROM scored LIMIT %s", TOTAL_CAP + 1)
        return sql.text(), sql.params

    # ------------------------------------------------------------------ the page

    def page_sql(self):
        sql = self._base()
        sql.add(", page AS (SELECT * FROM results")
        if self.browsing:
            # The upload time itself (not its epoch) and the id, in one direction: the index's order.
            oldest = self.query.sort == "oldest"
            if self.query.cursor is not None:
                sql.add(f" WHERE (created_at, asset_id) {'>' if oldest else '<'} (to_timestamp(%s), %s)",
                        -self.query.cursor.key if oldest else self.query.cursor.key, self.query.cursor.asset_id)
            direction = "" if oldest else " DESC"
            sql.add(f" ORDER BY created_at{direction}, asset_id{direction} LIMIT %s)", self.query.page_size + 1)
        else:
            if self.query.cursor is not None:
                sql.add(" WHERE (sort_key, asset_id) < (%s, %s)", self.query.cursor.key, self.query.cursor.asset_id)
            sql.add(" ORDER BY sort_key DESC, asset_id DESC LIMIT %s)", self.query.page_size + 1)
        sql.add(" SELECT p.asset_id, p.score, p.sort_key, p.total, p.concept_score, p.text_score, p.vector_score")
        if self.groups:
            # The strongest labels per phrase (a concept's score may sum dozens of small probabilities).
            sql.add(", (SELECT jsonb_agg(jsonb_build_object('phrase', (%s::text[])[l.group_no + 1], "
                    "'query_concept', l.query_concept, "
                    "'query_label', qc.pref_label, 'concept', l.concept_id, 'label', lc.pref_label, 'exact', l.exact, "
                    "'confidence', round(l.confidence::numeric, 3), 'model', coalesce(m.name, 'person')) "
                    "ORDER BY l.group_no, l.exact DESC, l.confidence DESC) FROM (SELECT *, row_number() OVER "
                    "(PARTITION BY group_no ORDER BY exact DESC, confidence DESC, concept_id) AS place FROM labels "
                    "WHERE asset_id = p.asset_id) l "
                    f"JOIN {TABLES.concept} lc ON lc.id = l.concept_id "
                    f"JOIN {TABLES.concept} qc ON qc.id = l.query_concept "
                    f"LEFT JOIN {TABLES.model_run} m ON m.id = l.model_id WHERE l.place <= %s)",
                    self.phrases, EXPLAINED_LABELS)
        else:
            sql.add(", NULL::jsonb")
        if self.colours:
            sql.add(", (SELECT jsonb_agg(jsonb_build_object('colour', c.name, 'share', round(c.share::numeric, 3)) "
                    "ORDER BY c.share DESC) FROM unnest(d.colours, d.colour_shares) AS c(name, share) "
                    "WHERE c.name = ANY(%s::varchar[]))", self.colours)
        else:
            sql.add(", NULL::jsonb")
        if self.highlight:
            sql.add(", ARRAY(SELECT w::text FROM unnest('{a,b,c,d}'::\"char\"[]) AS w "
                    "WHERE ts_filter(d.document, ARRAY[w]) @@ t.highlight), "
                    "CASE WHEN ts_filter(d.document, '{c}') @@ t.highlight "
                    "THEN ts_headline('english', d.caption, t.highlight, %s) END, "
                    "CASE WHEN ts_filter(d.document, '{d}') @@ t.highlight "
                    "THEN ts_headline('english', d.ocr_text, t.highlight, %s) END",
                    HEADLINE_OPTIONS, HEADLINE_OPTIONS)
        else:
            sql.add(", NULL::text[], NULL::text, NULL::text")
        sql.add(", %s::text", self.vector.name if self.vector else None)
        sql.add(f", {', '.join(SUMMARY_COLUMNS)}")
        if self.bounded:
            sql.add(", (SELECT array_agg(asset_id) FROM results)")
        sql.add(f" FROM page p JOIN {TABLES.search_document} d ON d.asset_id = p.asset_id "
                f"JOIN {TABLES.asset} a ON a.id = p.asset_id "
                f"LEFT JOIN {TABLES.asset_version} v ON v.id = a.current_version_id")
        if self.highlight:
            sql.add(" CROSS JOIN text_query t")
        if self.browsing and self.query.sort == "oldest":
            sql.add(" ORDER BY p.created_at, p.asset_id")
        else:
            sql.add(" ORDER BY p.sort_key DESC, p.asset_id DESC")
        return sql.text(), sql.params

    def fetch(self, text, params):
        """Run a statement within ``LUMEN_SEARCH_BUDGET_MS`` (set in the same round trip, with the vector plan's
        settings when there is one): a search that cannot be ranked in time is refused (``SearchTooBroad``)
        rather than holding a web process and a database core for minutes."""
        statement_settings = [statement_timeout_sql(settings.LUMEN_SEARCH_BUDGET_MS)]
        if self.vector_plan is not None and self.vector_plan.settings_sql:
            statement_settings.append(self.vector_plan.settings_sql)
        with client_bound_cursor() as cursor:
            try:
                execute_with_settings(cursor, statement_settings, text, params)
            except OperationalError as error:
                if ran_out_of_time(error):
                    raise SearchTooBroad(settings.LUMEN_SEARCH_BUDGET_MS) from error
                raise
            return cursor.fetchall()

    def aggregate_sql(self, select, *params):
        """The hits (CTE ``results``: asset_id, version_id, created_at, taken_at…) read by ``select``, e.g.
        counted per month or per map cell: browsing by time and place filters like the grid."""
        sql = self._base()
        sql.add(f" {select}", *params)
        return sql.text(), sql.params

    # ------------------------------------------------------------------ facets

    def facets_sql(self, hit_ids=None):
        """``hit_ids``: every hit, known from the page statement (see ``bounded``): counted directly."""
        if hit_ids is None:
            sql = self._base()
        else:
            sql = Sql().add("WITH results AS (SELECT a.id AS asset_id, a.current_version_id AS version_id, "
                            f"count(*) OVER () AS total FROM {TABLES.asset} a WHERE a.id = ANY(%s::bigint[]))",
                            list(hit_ids))
        # Past FACET_SAMPLE hits, count a deterministic sample (by a hash of the asset id, so a reload
        # shows the same numbers) and scale up: exact counts over a million hits take seconds.
        status, status_params = rights.status_sql("sampled.asset_id")
        if self.browsing and hit_ids is None:
            # Browsing the library: the hits are (nearly) every document, so count those on a fixed sample
            # of the documents' table pages (about BROWSE_FACET_SAMPLE rows) instead of reading every hit.
            rate = self._browse_sample_rate
            sample, sample_params = self._browse_sample()
            sql.add(f", facet_hits AS MATERIALIZED (SELECT asset_id, version_id, {status} AS rights_status "
                    f"FROM (SELECT f.asset_id, f.version_id FROM filtered f WHERE f.asset_id IN ({sample})) sampled)",
                    *status_params, *sample_params)
            sql.add(", facet_scale AS (SELECT %s::float8 AS factor, %s AS approximate)", 1 / rate, rate < 1)
        else:
            sql.add(f", facet_hits AS MATERIALIZED (SELECT asset_id, version_id, total, {status} AS rights_status "
                    "FROM (SELECT asset_id, version_id, total FROM results WHERE total <= %s "
                    "OR hashint8(asset_id)::int8 + 2147483648 < 4294967296 * %s / total) sampled)",
                    *status_params, FACET_SAMPLE, FACET_SAMPLE)
            sql.add(", facet_scale AS (SELECT coalesce(max(total)::float8 / nullif(count(*), 0), 1) AS factor, "
                    "coalesce(max(total), 0) > %s AS approximate FROM facet_hits)", FACET_SAMPLE)
        scaled = "round(count{} * (SELECT factor FROM facet_scale))::bigint, (SELECT approximate FROM facet_scale)"
        year = "extract(year FROM coalesce(d.taken_at, a.created_at))::int::text"
        sql.add(" SELECT facet, value, NULL::text AS label, count, approximate FROM (SELECT CASE "
                "WHEN GROUPING(d.format) = 0 THEN 'format' WHEN GROUPING(d.orientation) = 0 THEN 'orientation' "
                "WHEN GROUPING(d.creator) = 0 THEN 'creator' WHEN GROUPING(d.camera) = 0 THEN 'camera' "
                "WHEN GROUPING(r.rights_status) = 0 THEN 'rights' ELSE 'year' END AS facet, "
                f"coalesce(d.format, d.orientation, d.creator, d.camera, r.rights_status, {year}) AS value, "
                f"{scaled.format('(*)')} FROM facet_hits r JOIN {TABLES.search_document} d ON d.asset_id = r.asset_id "
                f"JOIN {TABLES.asset} a ON a.id = r.asset_id GROUP BY GROUPING SETS ((d.format), (d.orientation), "
                f"(d.creator), (d.camera), (r.rights_status), ({year}))) AS grouped(facet, value, count, approximate)")
        labels, labels_params = labels_of_asset_sql("r.asset_id", "r.version_id")
        sql.add(f" UNION ALL (SELECT 'concept', c.id, c.pref_label, {scaled.format('(DISTINCT r.asset_id)')} "
                "FROM facet_hits r "
                f"CROSS JOIN LATERAL ({labels}) al JOIN {TABLES.concept} c ON c.id = al.concept_id "
                "WHERE al.confidence >= %s GROUP BY c.id, c.pref_label ORDER BY 4 DESC, 3 LIMIT %s)",
                *labels_params, FACET_LABEL_CONFIDENCE, FACET_CONCEPTS)
        sql.add(f" UNION ALL (SELECT 'person', p.id::text, p.name, {scaled.format('(DISTINCT r.asset_id)')} "
                f"FROM facet_hits r JOIN {TABLES.face_descriptor} fd ON fd.version_id = r.version_id "
                f"JOIN {TABLES.person} p ON p.id = fd.person_id GROUP BY p.id, p.name ORDER BY 4 DESC, 3 LIMIT %s)",
                FACET_PEOPLE)
        sql.add(" UNION ALL (SELECT 'colour', c.name, NULL, "
                f"{scaled.format('(DISTINCT r.asset_id)')} FROM facet_hits r "
                f"JOIN {TABLES.search_document} d ON d.asset_id = r.asset_id "
                "CROSS JOIN LATERAL unnest(d.colours) AS c(name) GROUP BY c.name)")
        senses = list(dict.fromkeys(s.concept_id for m in self.interpretation.matches for s in m.senses))
        if senses:
            # Senses are counted over the filtered set, not the hits, so every choice shows its size.
            subtree, subtree_params = subtree_labels_sql("s.id", CONCEPT_THRESHOLD)
            sql.add(" UNION ALL SELECT 'sense', s.id, NULL, (SELECT count(DISTINCT al.asset_id) FROM "
                    f"{subtree} AND al.asset_id IN (SELECT asset_id FROM filtered)), false "
                    "FROM unnest(%s::varchar[]) AS s(id)", *subtree_params, senses)
        return sql.text(), sql.params

    def facet_rows(self, hit_ids=None):
        return self.fetch(*self.facets_sql(hit_ids))


# ---------------------------------------------------------------------- suggestions

# {subtree} and {permitted} are filled in per call (``suggestions_sql``).
_SUGGEST_SQL = f"""
WITH candidates AS (
    SELECT concept_id, label, label_normalised FROM (
        SELECT DISTINCT ON (l.concept_id) l.concept_id, l.label, l.label_normalised
          FROM {TABLES.concept_label} l WHERE l.label_normalised LIKE ANY(%s)
         ORDER BY l.concept_id, length(l.label_normalised), l.is_pref DESC) best
     ORDER BY length(label_normalised), label_normalised LIMIT 50
)
SELECT id, pref_label, label, definition, count, more FROM (
    SELECT c.id, c.pref_label, cand.label, cand.label_normalised, c.definition, counted.count, counted.more
      FROM candidates cand JOIN {TABLES.concept} c ON c.id = cand.concept_id
     CROSS JOIN LATERAL (SELECT count(DISTINCT capped.asset_id) AS count, count(*) > %s AS more FROM (
           SELECT al.asset_id FROM {{subtree}} AND al.asset_id IN ({{permitted}}) LIMIT %s) capped) counted) shown
 ORDER BY count > 0 DESC, length(label_normalised), label = pref_label DESC, count DESC, pref_label
 LIMIT %s
"""


def suggestions_sql(prefix, user, limit, count_rows):
    """Concepts with a label starting with ``prefix`` (plain text: [a-z0-9 ]+, so LIKE needs no escaping; "cats"
    also tries "cat"), each with the count of ``user``'s visible assets labelled with it, read from at most
    ``count_rows`` label rows."""
    likes = sorted({prefix + "%", normalise(prefix) + "%"})
    subtree, subtree_params = subtree_labels_sql("c.id", CONCEPT_THRESHOLD)
    perm, perm_params = permitted_sql(user)
    text = _SUGGEST_SQL.replace("{subtree}", subtree).replace("{permitted}", perm)
    return text, [likes, count_rows, *subtree_params, *perm_params, count_rows + 1, limit]
