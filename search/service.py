"""The search: one SQL statement for filters, permissions, rights, ranking and the page.

``SearchStatement`` turns a ``SearchQuery`` and its ``Interpretation`` into CTEs:

    filtered        documents of assets ``assets.permissions.visible_assets`` allows, usable per
                    ``search.rights``, passing every filter
    expanded/labels the query's concepts and every narrower one (``ancestors @> ARRAY[id]``) and
                    the labels of filtered assets among them
    concept_hits    per phrase the best model's summed confidence; kept above a threshold
    text_hits       ``document @@ tsquery``, ranked by ts_rank_cd
    vector_hits     the k nearest of the filtered set (``search.vectors``' plan), below a distance cut
    scored          evidence fused by reciprocal rank fusion or a weighted sum (each source reads
                    ``filtered`` once; hits take their dates by key)
    results/page    sort key, total, keyset cursor, LIMIT; the final SELECT adds the explanations and
                    each hit's summary columns (``SUMMARY_COLUMNS``)

Labels (``MachineLabel.objects.effective()`` on current versions, plus labels people added) are
always read per asset or per concept through ``label_rows_sql``, never as one library-wide set.

Facets reuse the same CTEs in a second statement. Permissions and "effective labels" are
embedded from their querysets (``query.sql_with_params()``), so when their owners change
them, search follows without a change here.
"""
import html
import json
import logging
from dataclasses import dataclass, field, replace
from functools import cache

from django.db import connection
from django.db.models import Prefetch, Q
from pgvector import Vector

from assets.models import Asset, AssetVersion, Rendition
from enrichment.models import MachineLabel, ModelRun
from ontology.models import Concept
from search import rights, vectors
from search.concepts import Interpretation, choose, interpret, normalise, plain_text
from search.embeddings import VectorUnavailable, active_run, text_vector
from search.query import OCR_WEIGHTS, TITLE_WEIGHTS, Cursor, field_tsquery, text_tsquery
from search.sql import Sql, permitted_sql, queryset_sql

logger = logging.getLogger(__name__)

LABEL_FLOOR = 0.05          # labels below this are noise, never evidence
CONCEPT_THRESHOLD = 0.15    # a phrase counts for an asset when its labels sum to at least this
NARROWER_WEIGHT = 0.85      # a narrower concept's label counts a little less than the concept itself
VECTOR_TOP_K = 50
# Cosine distance beyond which vector evidence is not evidence, per kind of vector: classifier features
# of unrelated photos sit at 0.4–0.55; CLIP puts a caption and its image at a similarity of only
# 0.25–0.35 (unrelated pairs 0.1–0.2), so a text query keeps images up to distance 0.78.
VECTOR_MAX_DISTANCE = {"similarity": 0.5, "clip": 0.78}
RRF_K = 60
WEIGHTS = {"concept": 0.5, "text": 0.3, "vector": 0.2}
FACET_LABEL_CONFIDENCE = 0.3
FACET_CONCEPTS = 15
FACET_SAMPLE = 20_000  # facets of more hits than this are estimated from a sample of about this many

SNIPPET_START, SNIPPET_STOP = "\ue000", "\ue001"
HEADLINE_OPTIONS = f"StartSel={SNIPPET_START}, StopSel={SNIPPET_STOP}, MaxWords=18, MinWords=6, MaxFragments=2"
FIELD_NAMES = {"a": "title", "b": "keywords", "c": "caption", "d": "ocr"}
UNINDEXED = "unindexed"  # the plan of the exact scan used while a model has no vector index


ADDED_LABELS = "SELECT ld.asset_id, ld.concept_id FROM enrichment_labeldecision ld WHERE ld.decision = 'added'"


@cache
def machine_labels_sql():
    """Labels per version as enrichment defines them (active models, minus what people rejected);
    compiled once per process (its SQL holds no value that changes)."""
    return queryset_sql(MachineLabel.objects.effective(), "version_id", "concept_id", "confidence", "model_id")


def label_rows_sql(machine_where, added_where):
    """Label rows ``(asset_id, concept_id, confidence, model_id)``: enrichment's labels on current
    versions and the labels people added (confidence 1), each source narrowed by its own condition.

    The conditions go inside the branches because Postgres cannot push a join or a correlation into
    this UNION (its machine branch is itself a join): narrowed from outside, it builds every label in
    the library first, per probe (a 'more like this' with a concept filter took 8 s instead of 20 ms
    at 100k assets, suggestions 47 s instead of 0.1 s; docs/benchmarks.md).
    """
    effective, params = machine_labels_sql()
    return (
        f"SELECT labelled.id AS asset_id, ml.concept_id, ml.confidence, ml.model_id FROM ({effective}) ml "
        f"JOIN assets_asset labelled ON labelled.current_version_id = ml.version_id WHERE {machine_where} "
        "UNION ALL SELECT added.asset_id, added.concept_id, 1.0::float8, NULL::bigint "
        f"FROM ({ADDED_LABELS}) added WHERE {added_where}",
        params,
    )


def labels_of_asset_sql(asset, version):
    """The label rows of one asset, given SQL naming its id and current version (index lookups)."""
    return label_rows_sql(f"ml.version_id = {version}", f"added.asset_id = {asset}")


def labels_of_concept_sql(concept):
    """The label rows of one concept (exactly that one), given SQL naming its id (index lookups)."""
    return label_rows_sql(f"ml.concept_id = {concept}", f"added.concept_id = {concept}")


def within_sql(alias, concept):
    """Concept row ``alias`` is ``concept`` (SQL naming an id) or one of its narrower concepts."""
    return f"({alias}.id = {concept} OR {alias}.ancestors @> ARRAY[{concept}]::varchar[])"


def subtree_labels_sql(concept, confidence, concept_params=()):
    """``FROM``/``WHERE`` body: label rows ``al`` of ``concept`` and of its narrower concepts, at
    ``confidence`` or more. ``concept`` is SQL naming a concept id (a column, or ``%s`` with its
    value in ``concept_params``)."""
    labels, params = labels_of_concept_sql("narrower.id")
    return (
        f"ontology_concept narrower CROSS JOIN LATERAL ({labels}) al "
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
            f"EXISTS (SELECT 1 FROM ({labels}) al JOIN ontology_concept c ON c.id = al.concept_id "
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
            f"JOIN enrichment_embedding e ON e.version_id = f.version_id AND e.model_id = {int(model.id)}) ranked "
            f"WHERE distance <= {max_distance!r} ORDER BY distance LIMIT {VECTOR_TOP_K}", [],
            settings_sql="", plan=UNINDEXED)


# What a hit's summary shows (uid, title, the current version's format and size), read by the page
# statement itself, so that clients showing no thumbnail need no second query (1.8 ms at 1M assets).
SUMMARY_COLUMNS = ("a.uid", "a.title", "a.current_version_id", "v.format", "v.width", "v.height")


def _summary_asset(asset_id, uid, title, version_id, version_format, width, height):
    """The asset as far as the summary columns go; any other field loads on first access, as with ``only()``."""
    asset = Asset.from_db(connection.alias, ["id", "uid", "title", "current_version_id"],
                          [asset_id, uid, title, version_id])
    if version_id is not None:
        asset.current_version = AssetVersion.from_db(connection.alias, ["id", "format", "width", "height"],
                                                     [version_id, version_format, width, height])
    return asset


@dataclass
class Hit:
    asset_id: int
    score: float
    sort_key: float
    concept_score: float | None
    text_score: float | None
    vector_score: float | None
    concepts: list = field(default_factory=list)
    text_fields: list = field(default_factory=list)
    snippets: dict = field(default_factory=dict)
    vector_model: str = ""
    asset: Asset | None = None  # with the summary columns only, until ``attach_assets``

    @property
    def explanation(self):
        """Why this asset matched, as data: concept labels, text fields and snippets, vector similarity."""
        return {
            "concepts": self.concepts,
            "text": {"fields": self.text_fields, "snippets": self.snippets} if self.text_fields else None,
            "vector": {"similarity": round(self.vector_score, 3), "model": self.vector_model}
            if self.vector_score is not None else None,
        }


@dataclass
class SearchResults:
    hits: list
    total: int
    next_cursor: str | None
    interpretation: Interpretation
    query: object
    text_vector_unavailable: str = ""
    vector: ModelRun | None = None
    hit_ids: list | None = None  # every hit's asset id, when the statement was ``bounded``

    @property
    def vector_text_search(self):
        return {"available": self.query.vector_capability == "clip", "reason": self.text_vector_unavailable}


@dataclass
class FacetValue:
    value: str
    count: int
    label: str = ""
    approximate: bool = False  # estimated from a sample of the hits (more than FACET_SAMPLE)


def snippet_html(text):
    """ts_headline output made safe: escape everything, then turn our markers into <mark>."""
    return html.escape(text).replace(SNIPPET_START, "<mark>").replace(SNIPPET_STOP, "</mark>")


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
        self.tsquery = text_tsquery(query.text, interpretation.corrections) if query.text.strip() else ""
        self.highlight = " | ".join(
            f"({part})" for part in (self.tsquery, field_tsquery(query.title, TITLE_WEIGHTS),
                                     field_tsquery(query.ocr, OCR_WEIGHTS)) if part
        )
        self.has_vector = bool(query.similar_to or query.vector)
        self.sources = [name for name, present in
                        (("concept", self.groups), ("text", self.tsquery), ("vector", self.has_vector)) if present]
        # Only vector evidence: at most VECTOR_TOP_K hits, so the page statement returns all their ids and
        # the facets count those instead of running the vector search again (a second plan and scan).
        self.bounded = self.sources == ["vector"] and not interpretation.matches  # (and so no sense counts)

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
        if q.years:
            sql.add(" AND extract(year FROM coalesce(d.taken_at, a.created_at))::int = ANY(%s)", list(q.years))
        for concept_id in q.has_concepts:
            labelled, labelled_params = labelled_with_sql(concept_id, probed=self.has_vector)
            sql.add(f" AND {labelled}", *labelled_params)
        if q.has_faces is not None:
            sql.add(f" AND {'' if q.has_faces else 'NOT '}EXISTS (SELECT 1 FROM enrichment_detection x "
                    "JOIN enrichment_modelrun m ON m.id = x.model_id AND m.active "
                    "WHERE x.version_id = a.current_version_id AND x.kind = 'face')")
        for label, count in q.min_objects:
            sql.add(" AND (SELECT count(*) FROM enrichment_detection x "
                    "JOIN enrichment_modelrun m ON m.id = x.model_id AND m.active "
                    "JOIN ontology_concept c ON c.id = x.concept_id "
                    "CROSS JOIN LATERAL (SELECT array_agg(l.concept_id)::varchar[] AS ids FROM search_conceptlabel l "
                    "WHERE l.label_normalised = %s) named "
                    "WHERE x.version_id = a.current_version_id AND x.kind = 'object' "
                    "AND (c.id = ANY(named.ids) OR c.ancestors && named.ids)) >= %s",
                    label, count)
        if q.collection:
            column = "c.id" if q.collection.isdigit() else "c.slug"
            sql.add(" AND EXISTS (SELECT 1 FROM assets_asset_collections ac JOIN assets_collection c "
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
                "a.created_at, d.taken_at, d.document FROM search_searchdocument d "
                "JOIN assets_asset a ON a.id = d.asset_id")
        self._filters(sql)
        sql.add(")")
        if self.groups:
            self._concept_ctes(sql)
        if self.highlight:
            sql.add(", text_query AS (SELECT to_tsquery('english', %s) AS q, to_tsquery('english', %s) AS highlight)",
                    self.tsquery, self.highlight)
        if self.tsquery:
            sql.add(", text_hits AS (SELECT f.asset_id, ts_rank_cd(f.document, t.q, 32)::float8 AS score "
                    "FROM filtered f CROSS JOIN text_query t WHERE f.document @@ t.q)")
        if self.has_vector:
            self._vector_ctes(sql)
        self._fusion_ctes(sql)
        self._results_cte(sql)
        return sql

    def _concept_ctes(self, sql):
        group_numbers = [n for n, ids in enumerate(self.groups) for _ in ids]
        concept_ids = [cid for ids in self.groups for cid in ids]
        sql.add(", query_concepts AS (SELECT * FROM unnest(%s::int[], %s::varchar[]) AS q(group_no, concept_id))",
                group_numbers, concept_ids)
        sql.add(", expanded AS (SELECT DISTINCT ON (q.group_no, c.id) q.group_no, q.concept_id AS query_concept, "
                "c.id AS concept_id, c.id = q.concept_id AS exact FROM query_concepts q JOIN ontology_concept c "
                "ON c.id = q.concept_id OR c.ancestors @> ARRAY[q.concept_id] "
                "ORDER BY q.group_no, c.id, c.id = q.concept_id DESC)")
        concept_labels, concept_labels_params = labels_of_concept_sql("e.concept_id")
        sql.add(", labels AS (SELECT f.asset_id, e.group_no, e.query_concept, e.concept_id, e.exact, al.confidence, "
                f"al.model_id FROM expanded e CROSS JOIN LATERAL ({concept_labels}) al "
                "JOIN filtered f ON f.asset_id = al.asset_id WHERE al.confidence >= %s)",
                *concept_labels_params, LABEL_FLOOR)
        # Within one model the classes under a concept are exclusive, so their probabilities add up.
        sql.add(", group_scores AS (SELECT asset_id, group_no, max(model_score) AS score FROM ("
                "SELECT asset_id, group_no, least(1.0, sum(confidence * CASE WHEN exact THEN 1.0 ELSE %s END)) "
                "AS model_score FROM labels GROUP BY asset_id, group_no, model_id) per_model "
                "GROUP BY asset_id, group_no)", NARROWER_WEIGHT)
        sql.add(", concept_hits AS (SELECT asset_id, (sum(score) / %s)::float8 AS score FROM group_scores "
                "WHERE score >= %s GROUP BY asset_id)", len(self.groups), CONCEPT_THRESHOLD)

    def _vector_ctes(self, sql):
        if self.vector_plan is None:  # no active model of this kind: nothing is alike
            sql.add(", vector_hits AS (SELECT NULL::bigint AS asset_id, NULL::float8 AS score WHERE false)")
            return
        if self.query.vector is not None:
            sql.add(", query_vector AS (SELECT %s::vector AS vector)", Vector(self.query.vector).to_text())
        else:  # "more like this": the asset's vector, if the user may see the asset (else none: no rows)
            perm, perm_params = permitted_sql(self.user)
            sql.add(", query_vector AS (SELECT e.vector FROM enrichment_embedding e JOIN assets_asset a "
                    f"ON a.current_version_id = e.version_id WHERE e.model_id = {int(self.vector.id)} "
                    f"AND a.uid = %s AND a.id IN ({perm}))", self.query.similar_to, *perm_params)
        sql.add(f", vector_nearest AS ({self.vector_plan.sql})", *self.vector_plan.params)
        # The plan returns only versions of ``filtered`` (current ones) within the distance cut, so each
        # names its asset.
        sql.add(", vector_hits AS (SELECT a.id AS asset_id, (1 - n.distance)::float8 AS score FROM vector_nearest n "
                "JOIN assets_asset a ON a.current_version_id = n.version_id)")

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
        # Text ranks have no absolute scale, so the weighted sum reads them relative to the best one.
        sql.add(f", evidence AS ({evidence}), ranked_evidence AS (SELECT asset_id, source, score, "
                "rank() OVER (PARTITION BY source ORDER BY score DESC) AS source_rank, "
                "CASE WHEN source = 'text' THEN score / nullif(max(score) OVER (PARTITION BY source), 0) "
                "ELSE score END AS scaled FROM evidence)")
        sql.add(", fused AS (SELECT asset_id, sum(1.0 / (%s + source_rank))::float8 AS rrf, "
                "sum(scaled * CASE source WHEN 'concept' THEN %s WHEN 'text' THEN %s ELSE %s END)::float8 AS weighted, "
                "max(score) FILTER (WHERE source = 'concept') AS concept_score, "
                "max(score) FILTER (WHERE source = 'text') AS text_score, "
                "max(score) FILTER (WHERE source = 'vector') AS vector_score "
                "FROM ranked_evidence GROUP BY asset_id)",
                RRF_K, WEIGHTS["concept"], WEIGHTS["text"], WEIGHTS["vector"])
        sql.add(", scored AS (SELECT s.*, a.current_version_id AS version_id, a.created_at, d.taken_at FROM fused s "
                "JOIN assets_asset a ON a.id = s.asset_id JOIN search_searchdocument d ON d.asset_id = s.asset_id)")

    def _results_cte(self, sql):
        keys = {
            "oldest": "-extract(epoch FROM s.created_at)",
            "taken": "extract(epoch FROM coalesce(s.taken_at, s.created_at))",
            "newest": "extract(epoch FROM s.created_at)",
        }
        fusion = self.query.fusion
        key = f"s.{fusion}" if self.query.sort == "relevance" and self.sources else keys.get(self.query.sort,
                                                                                             keys["newest"])
        sql.add(f", results AS (SELECT s.*, s.{fusion} AS score, ({key})::float8 AS sort_key, "
                "count(*) OVER () AS total FROM scored s)")

    # ------------------------------------------------------------------ the page

    def page_sql(self):
        sql = self._base()
        sql.add(", page AS (SELECT * FROM results")
        if self.query.cursor is not None:
            sql.add(" WHERE (sort_key, asset_id) < (%s, %s)", self.query.cursor.key, self.query.cursor.asset_id)
        sql.add(" ORDER BY sort_key DESC, asset_id DESC LIMIT %s)", self.query.page_size + 1)
        sql.add(" SELECT p.asset_id, p.score, p.sort_key, p.total, p.concept_score, p.text_score, p.vector_score")
        if self.groups:
            sql.add(", (SELECT jsonb_agg(jsonb_build_object('query_concept', l.query_concept, "
                    "'query_label', qc.pref_label, 'concept', l.concept_id, 'label', lc.pref_label, 'exact', l.exact, "
                    "'confidence', round(l.confidence::numeric, 3), 'model', coalesce(m.name, 'person')) "
                    "ORDER BY l.exact DESC, l.confidence DESC) FROM labels l "
                    "JOIN ontology_concept lc ON lc.id = l.concept_id "
                    "JOIN ontology_concept qc ON qc.id = l.query_concept "
                    "LEFT JOIN enrichment_modelrun m ON m.id = l.model_id WHERE l.asset_id = p.asset_id)")
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
        sql.add(" FROM page p JOIN search_searchdocument d ON d.asset_id = p.asset_id "
                "JOIN assets_asset a ON a.id = p.asset_id "
                "LEFT JOIN assets_assetversion v ON v.id = a.current_version_id")
        if self.highlight:
            sql.add(" CROSS JOIN text_query t")
        sql.add(" ORDER BY p.sort_key DESC, p.asset_id DESC")
        return sql.text(), sql.params

    def _fetch(self, text, params):
        """Run a statement (with the vector plan's settings in the same round trip, when there is one)."""
        with connection.cursor() as cursor:
            if self.vector_plan is None:
                cursor.execute(text, params)
            else:
                self.vector_plan.execute(cursor, text, params)
            return cursor.fetchall()

    def execute(self):
        """Run the page statement: one round trip. Returns (hits, total, next cursor, the ids of every hit
        when the statement is ``bounded``, else None)."""
        rows = self._fetch(*self.page_sql())
        hits = [self._hit(row[:-1] if self.bounded else row) for row in rows[: self.query.page_size]]
        next_cursor = None
        if len(rows) > self.query.page_size:
            next_cursor = Cursor(self.query.sort, hits[-1].sort_key, hits[-1].asset_id).encode()
        hit_ids = (rows[0][-1] if rows else []) if self.bounded else None
        return hits, rows[0][3] if rows else 0, next_cursor, hit_ids

    @staticmethod
    def _hit(row):
        (asset_id, score, sort_key, _total, concept_score, text_score, vector_score, concepts, weights,
         caption_snippet, ocr_snippet, vector_model, *summary) = row
        snippets = {name: snippet_html(text) for name, text in (("caption", caption_snippet), ("ocr", ocr_snippet))
                    if text}
        return Hit(
            asset_id=asset_id, score=score, sort_key=sort_key,
            concept_score=concept_score, text_score=text_score, vector_score=vector_score,
            concepts=json.loads(concepts) if isinstance(concepts, str) else concepts or [],
            text_fields=[FIELD_NAMES[w] for w in weights or []], snippets=snippets, vector_model=vector_model or "",
            asset=_summary_asset(asset_id, *summary),
        )

    # ------------------------------------------------------------------ facets

    def facets_sql(self, hit_ids=None):
        """``hit_ids``: every hit, known from the page statement (see ``bounded``): counted directly."""
        if hit_ids is None:
            sql = self._base()
        else:
            sql = Sql().add("WITH results AS (SELECT a.id AS asset_id, a.current_version_id AS version_id, "
                            "count(*) OVER () AS total FROM assets_asset a WHERE a.id = ANY(%s::bigint[]))",
                            list(hit_ids))
        # Past FACET_SAMPLE hits, count a deterministic sample (by a hash of the asset id, so a reload
        # shows the same numbers) and scale up: exact counts over a million hits take seconds.
        status, status_params = rights.status_sql("sampled.asset_id")
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
                f"{scaled.format('(*)')} FROM facet_hits r JOIN search_searchdocument d ON d.asset_id = r.asset_id "
                "JOIN assets_asset a ON a.id = r.asset_id GROUP BY GROUPING SETS ((d.format), (d.orientation), "
                f"(d.creator), (d.camera), (r.rights_status), ({year}))) AS grouped(facet, value, count, approximate)")
        labels, labels_params = labels_of_asset_sql("r.asset_id", "r.version_id")
        sql.add(f" UNION ALL (SELECT 'concept', c.id, c.pref_label, {scaled.format('(DISTINCT r.asset_id)')} "
                "FROM facet_hits r "
                f"CROSS JOIN LATERAL ({labels}) al JOIN ontology_concept c ON c.id = al.concept_id "
                "WHERE al.confidence >= %s GROUP BY c.id, c.pref_label ORDER BY 4 DESC, 3 LIMIT %s)",
                *labels_params, FACET_LABEL_CONFIDENCE, FACET_CONCEPTS)
        senses = [s.concept_id for m in self.interpretation.matches if m.ambiguous for s in m.senses]
        if senses:
            # Senses are counted over the filtered set, not the hits, so every choice shows its size.
            subtree, subtree_params = subtree_labels_sql("s.id", CONCEPT_THRESHOLD)
            sql.add(" UNION ALL SELECT 'sense', s.id, NULL, (SELECT count(DISTINCT al.asset_id) FROM "
                    f"{subtree} AND al.asset_id IN (SELECT asset_id FROM filtered)), false "
                    "FROM unnest(%s::varchar[]) AS s(id)", *subtree_params, senses)
        return sql.text(), sql.params

    def facet_rows(self, hit_ids=None):
        return self._fetch(*self.facets_sql(hit_ids))


# ---------------------------------------------------------------------- entry points


def with_text_vector(query):
    """Add CLIP text→image evidence when it is available; otherwise say why it is not."""
    if not query.text.strip() or query.vector is not None or query.similar_to:
        return query, ""
    try:
        vector = text_vector(query.text)
    except VectorUnavailable as exc:
        return query, str(exc)
    return replace(query, vector=vector, vector_capability="clip"), ""


def search(query, user):
    """Run ``query`` for ``user``: the words' lookup (when there are words), the vector source (when
    similar images are asked for), then one statement for filters, permissions, rights, ranking and page."""
    interpretation = choose(interpret(query.text), query.concepts)
    query, vector_unavailable = with_text_vector(query)
    vector = active_run(query.vector_capability) if query.similar_to or query.vector is not None else None
    hits, total, next_cursor, hit_ids = SearchStatement(query, interpretation, user, vector).execute()
    return SearchResults(hits, total, next_cursor, interpretation, query, vector_unavailable, vector, hit_ids)


def facets(query, user, interpretation, vector=None, hit_ids=None):
    """Counts per facet over the hits (and per sense of an ambiguous word, over the filtered set).

    ``hit_ids``: every hit, when the page statement returned them (``SearchResults.hit_ids``); the
    statement then counts those rather than searching again."""
    grouped = {}
    statement = SearchStatement(query, interpretation, user, None if hit_ids is not None else vector)
    for facet, value, label, count, approximate in statement.facet_rows(hit_ids):
        if value not in (None, ""):
            label = label or (rights.STATUSES.get(value, value) if facet == "rights" else value)
            grouped.setdefault(facet, []).append(FacetValue(value, count, label, approximate))
    for values in grouped.values():
        values.sort(key=lambda v: (-v.count, v.value))
    return grouped


def with_thumbnails(queryset):
    """What ``{% asset_srcset %}`` reads, in two queries however many assets are shown; not the version's
    raw metadata dump (tens of KB of JSON per camera photo, shown only on the asset page)."""
    return queryset.select_related("current_version").defer("current_version__raw_metadata").prefetch_related(
        Prefetch("current_version__renditions", queryset=Rendition.objects.order_by("format", "width"))
    )


def attach_assets(hits):
    """Give each hit its whole asset, with what its thumbnail needs (two queries for the page); an asset
    deleted since the statement ran drops out."""
    found = with_thumbnails(Asset.objects.all()).in_bulk([hit.asset_id for hit in hits])
    for hit in hits:
        hit.asset = found.get(hit.asset_id)
    return [hit for hit in hits if hit.asset is not None]


def search_with_facets(query, user, *, with_facets=True, thumbnails=True):
    """What the page and the API show: the page of hits (with their whole assets and thumbnails, unless
    the caller shows only the summary columns), and the facets (unless the caller has no use for them:
    they cost a second statement)."""
    results = search(query, user)
    if thumbnails:
        results.hits = attach_assets(results.hits)
    counted = facets(results.query, user, results.interpretation, results.vector, results.hit_ids) \
        if with_facets else {}
    return results, counted


# ---------------------------------------------------------------------- suggestions

_SUGGEST_SQL = """
WITH candidates AS (
    SELECT concept_id, label, label_normalised FROM (
        SELECT DISTINCT ON (l.concept_id) l.concept_id, l.label, l.label_normalised
          FROM search_conceptlabel l WHERE l.label_normalised LIKE ANY(%s)
         ORDER BY l.concept_id, length(l.label_normalised), l.is_pref DESC) best
     ORDER BY length(label_normalised), label_normalised LIMIT 50
)
SELECT id, pref_label, label, definition, count, more FROM (
    SELECT c.id, c.pref_label, cand.label, cand.label_normalised, c.definition, counted.count, counted.more
      FROM candidates cand JOIN ontology_concept c ON c.id = cand.concept_id
     CROSS JOIN LATERAL (SELECT count(DISTINCT capped.asset_id) AS count, count(*) > %s AS more FROM (
           SELECT al.asset_id FROM {subtree} AND al.asset_id IN ({permitted}) LIMIT %s) capped) counted) shown
 ORDER BY count > 0 DESC, length(label_normalised), label = pref_label DESC, count DESC, pref_label
 LIMIT %s
"""


SUGGESTION_COUNT_ROWS = 1_000  # label rows read per suggested concept; past that its count is "at least"


@dataclass
class Suggestion:
    concept_id: str
    label: str
    matched: str
    definition: str
    count: int
    more: bool  # there are more than ``count`` images: counting stopped (typing must stay fast at 1M)


def suggest_concepts(prefix, user, limit=8):
    """Concepts whose label starts with ``prefix``: those in ``user``'s visible library first, with counts."""
    plain = " ".join(plain_text(prefix).split())
    if len(plain) < 2:
        return []
    # Prefixes are [a-z0-9 ]+, so LIKE needs no escaping; "cats" also tries "cat".
    likes = sorted({plain + "%", normalise(plain) + "%"})
    subtree, subtree_params = subtree_labels_sql("c.id", CONCEPT_THRESHOLD)
    perm, perm_params = permitted_sql(user)
    text = _SUGGEST_SQL.replace("{subtree}", subtree).replace("{permitted}", perm)
    with connection.cursor() as cursor:
        cursor.execute(text, [likes, SUGGESTION_COUNT_ROWS, *subtree_params, *perm_params, SUGGESTION_COUNT_ROWS + 1,
                              limit])
        return [Suggestion(concept_id, label, matched, definition, min(count, SUGGESTION_COUNT_ROWS), more)
                for concept_id, label, matched, definition, count, more in cursor.fetchall()]
