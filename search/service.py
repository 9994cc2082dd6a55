"""The search's entry points: run the statements of ``search.statement`` and turn their rows into results.

``search`` runs one statement for filters, permissions, rights, ranking and the page (after the words'
lookup, when there are words); ``facets`` a second one, counting over the same hits; ``suggest_concepts``
the suggestions' own. The page's hits carry their summary columns; ``attach_assets`` loads whole assets.
"""
import html
import json
import logging
from dataclasses import dataclass, field, replace

from django.db import connection

from assets.models import Asset, AssetVersion
from assets.pagination import remembered_count
from assets.services.inspect import STORED_FORMATS
from assets.templatetags.asset_images import with_thumbnails
from enrichment.models import ModelRun
from ontology.labels import names_of, plain_text
from search import rights
from search.concepts import (
    ConceptMatch,
    Interpretation,
    choose,
    interpret,
    missing_concepts,
    name_senses,
    related_concepts,
)
from search.embeddings import VectorUnavailable, active_run, text_vector
from search.query import STOP_WORDS, Cursor
from search.statement import SNIPPET_START, SNIPPET_STOP, TOTAL_CAP, SearchStatement, SearchTooBroad, suggestions_sql

FIELD_NAMES = {"a": "title", "b": "keywords", "c": "caption", "d": "ocr"}
FACET_VALUE_NAMES = {"rights": rights.STATUSES, "format": STORED_FORMATS}  # what a facet value is called

logger = logging.getLogger(__name__)


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
    colours: list = field(default_factory=list)
    text_fields: list = field(default_factory=list)
    snippets: dict = field(default_factory=dict)
    vector_model: str = ""
    asset: Asset | None = None  # with the summary columns only, until ``attach_assets``

    @property
    def explained(self):
        """Whether there is anything to say about why it matched (browsing with no words has nothing)."""
        return bool(self.concepts or self.colours or self.text_fields or self.vector_score is not None)

    @property
    def explanation(self):
        """Why this asset matched, as data: concept labels, text fields and snippets, vector similarity."""
        return {
            "concepts": self.concepts,
            "colours": self.colours,
            "text": {"fields": self.text_fields, "snippets": self.snippets} if self.text_fields else None,
            "vector": {"similarity": round(self.vector_score, 3), "model": self.vector_model}
            if self.vector_score is not None else None,
        }


def total_is_exact(total):
    """False when browsing stopped counting (``statement.TOTAL_CAP``) or has not counted yet (None)."""
    return total is not None and total <= TOTAL_CAP


def shown_total(total):
    """A total as the page and the API give it: at most TOTAL_CAP (None while not counted)."""
    return None if total is None else min(total, TOTAL_CAP)


@dataclass
class SearchResults:
    hits: list
    total: int | None  # None: not counted yet (browsing a large library; ``count_hits`` counts it)
    next_cursor: str | None
    interpretation: Interpretation
    query: object
    text_vector_unavailable: str = ""
    vector: ModelRun | None = None
    hit_ids: list | None = None  # every hit's asset id, when the statement was ``bounded``
    message: str = ""  # why nothing was searched for, when the query names nothing that could match
    browsing: bool = False  # no words and no image (``SearchStatement.browsing``)
    facets_deferred: bool = False  # facets left for after the page (``search_with_facets``)

    @property
    def total_is_exact(self):
        return total_is_exact(self.total)

    @property
    def shown_total(self):
        return shown_total(self.total)

    @property
    def vector_text_search(self):
        return {"available": self.query.vector_capability == "clip", "reason": self.text_vector_unavailable}


@dataclass
class FacetValue:
    value: str
    count: int
    label: str = ""
    approximate: bool = False  # estimated from a sample of the hits (more than statement.FACET_SAMPLE)


def snippet_html(text):
    """ts_headline output made safe: escape everything, then turn our markers into <mark>."""
    return html.escape(text).replace(SNIPPET_START, "<mark>").replace(SNIPPET_STOP, "</mark>")


def _hit(row):
    """A hit from a row of ``SearchStatement.page_sql``: its scores, explanation and summary columns."""
    (asset_id, score, sort_key, _total, concept_score, text_score, vector_score, concepts, colours, weights,
     caption_snippet, ocr_snippet, vector_model, *summary) = row
    snippets = {name: snippet_html(text) for name, text in (("caption", caption_snippet), ("ocr", ocr_snippet))
                if text}
    return Hit(
        asset_id=asset_id, score=score, sort_key=sort_key,
        concept_score=concept_score, text_score=text_score, vector_score=vector_score,
        concepts=json.loads(concepts) if isinstance(concepts, str) else concepts or [],
        colours=json.loads(colours) if isinstance(colours, str) else colours or [],
        text_fields=[FIELD_NAMES[w] for w in weights or []], snippets=snippets, vector_model=vector_model or "",
        asset=_summary_asset(asset_id, *summary),
    )


def run_page(statement):
    """Run the page statement: one round trip. Returns (hits, total, next cursor, the ids of every hit
    when the statement is ``bounded``, else None). A total the statement left unknown (None) is known when
    the first page holds every hit."""
    query = statement.query
    rows = statement.fetch(*statement.page_sql())
    hits = [_hit(row[:-1] if statement.bounded else row) for row in rows[: query.page_size]]
    next_cursor = None
    if len(rows) > query.page_size:
        next_cursor = Cursor(query.sort, hits[-1].sort_key, hits[-1].asset_id).encode()
    hit_ids = (rows[0][-1] if rows else []) if statement.bounded else None
    total = rows[0][3] if rows else 0
    if total is None and query.cursor is None and next_cursor is None:
        total = len(hits)
    return hits, total, next_cursor, hit_ids


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


def statement_for(query, user, interpretation=None):
    """The statement of ``query`` for ``user`` after the words' lookup (when there are words, unless ``interpretation`` is given) and with the vector
    source (when similar images are asked for); and why text-to-image vectors were not used, if they were not."""
    interpretation = interpretation or choose(interpret(query.text, as_typed=query.as_typed), query.concepts)
    query, vector_unavailable = with_text_vector(query)
    vector = active_run(query.vector_capability) if query.similar_to or query.vector is not None else None
    return SearchStatement(query, interpretation, user, vector), vector_unavailable


def nothing_to_find(query, interpretation):
    """Why ``query`` can match nothing, in words ("" when it can): words without a letter or digit, only words
    too common to look for, or a concept that does not exist. Left alone, each would search the whole
    library (no evidence asked for is every asset) or quietly find nothing."""
    unknown = missing_concepts([*query.concepts, *query.has_concepts])
    if unknown:
        return (f"There is no concept “{unknown[0]}”, so nothing can be labelled with it; pick one from the "
                "suggestions under the search box.")
    words = plain_text(query.text).split()
    if query.text.strip() and not words:
        return f"“{query.text.strip()}” has no letters or digits to search for; type a word or two."
    if words and all(w in STOP_WORDS for w in words) and not interpretation.matches and not interpretation.colours:
        return (f"“{query.text.strip()}” is made of words too common to search for on their own; add what the "
                "image shows.")
    return ""


def search(query, user):
    """Run ``query`` for ``user``: one statement for filters, permissions, rights, ranking and page.

    When words matched nothing (no concept, colour or text, and no hit), the nearest concepts that have
    images are searched instead, as one phrase marked ``related``: one lookup and one statement more,
    only then."""
    interpretation = choose(interpret(query.text, as_typed=query.as_typed), query.concepts)
    message = nothing_to_find(query, interpretation)
    if message:
        return SearchResults([], 0, None, interpretation, query, message=message)
    statement, vector_unavailable = statement_for(query, user, interpretation)
    query, vector = statement.query, statement.vector
    hits, total, next_cursor, hit_ids = run_page(statement)
    if not total and query.text.strip() and not interpretation.matches and not interpretation.colours:
        related = related_concepts(interpretation.words, user)
        if related:
            phrase = " ".join(w for w in plain_text(query.text).split() if w not in STOP_WORDS)
            interpretation.matches.append(ConceptMatch(phrase=phrase, senses=related, related=True))
            hits, total, next_cursor, hit_ids = run_page(SearchStatement(query, interpretation, user, vector))
    return SearchResults(hits, total, next_cursor, name_senses(interpretation), query, vector_unavailable, vector,
                         hit_ids, browsing=statement.browsing)


def count_hits(query, user, budget_ms):
    """How many hits ``query`` has for ``user``, up to TOTAL_CAP + 1, for a page shown before its total was known;
    None when counting takes longer than ``budget_ms`` (remembered as ``assets.pagination.remembered_count`` does)."""
    statement, _ = statement_for(query, user)
    return remembered_count(*statement.count_sql(), budget_ms)


def _unlabelled(facet, value):
    if facet == "rights":
        return rights.STATUSES.get(value, value)
    return f"Unnamed person {value}" if facet == "person" else value


def facets(query, user, interpretation, vector=None, hit_ids=None):
    """Counts per facet over the hits (and per sense of an ambiguous word, over the filtered set).

    ``hit_ids``: every hit, when the page statement returned them (``SearchResults.hit_ids``); the
    statement then counts those rather than searching again."""
    grouped = {}
    statement = SearchStatement(query, interpretation, user, None if hit_ids is not None else vector)
    for facet, value, label, count, approximate in statement.facet_rows(hit_ids):
        if value not in (None, ""):
            label = label or FACET_VALUE_NAMES.get(facet, {}).get(value) or _unlabelled(facet, value)
            grouped.setdefault(facet, []).append(FacetValue(value, count, label, approximate))
    for values in grouped.values():
        values.sort(key=lambda v: (-v.count, v.value))
    _tell_apart(grouped.get("concept", []))
    return grouped


def facets_of(query, user):
    """``facets`` of ``query`` on its own, for a page that showed its hits first (``browsing_facets_later``)."""
    interpretation = choose(interpret(query.text, as_typed=query.as_typed), query.concepts)
    if nothing_to_find(query, interpretation):
        return {}
    statement, _ = statement_for(query, user, interpretation)
    return facets(statement.query, user, interpretation, statement.vector)


def _tell_apart(items, *, key="value", label="label"):
    """Concepts listed under the same label (two "crane") get their names for people ("crane (wading bird)");
    queries only when some do."""
    labels = [getattr(item, label) for item in items]
    shared = [getattr(item, key) for item in items if labels.count(getattr(item, label)) > 1]
    names = names_of(shared) if shared else {}
    for item in items:
        setattr(item, label, names.get(getattr(item, key), getattr(item, label)))
    return items


def attach_assets(hits):
    """Give each hit its whole asset, with what its thumbnail needs (two queries for the page); an asset
    deleted since the statement ran drops out."""
    found = with_thumbnails(Asset.objects.all()).in_bulk([hit.asset_id for hit in hits])
    for hit in hits:
        hit.asset = found.get(hit.asset_id)
    return [hit for hit in hits if hit.asset is not None]


def search_with_facets(query, user, *, with_facets=True, thumbnails=True, browsing_facets_later=False):
    """What the page and the API show: the page of hits (with their whole assets and thumbnails, unless
    the caller shows only the summary columns), and the facets (unless the caller has no use for them:
    they cost a second statement). ``browsing_facets_later``: browsing, the facets are not counted but
    ``facets_deferred`` is set, for a page that fetches them (``facets_of``) after it is shown: over a
    sample of a large library they cost about as much as the page (25–40 ms at 1M assets), and browsing has
    no sense choices that need their counts."""
    results = search(query, user)
    if thumbnails:
        results.hits = attach_assets(results.hits)
    counted = {}
    results.facets_deferred = browsing_facets_later and results.browsing and not results.message
    if with_facets and not results.message and not results.facets_deferred:
        try:
            counted = facets(results.query, user, results.interpretation, results.vector, results.hit_ids)
        except SearchTooBroad:  # the hits were ranked in time; counting them by facet was not: shown without
            logger.info("facets of %r left out: past the search budget", query.text)
    return results, counted


# ---------------------------------------------------------------------- suggestions

SUGGESTION_COUNT_ROWS = 1_000  # label rows read per suggested concept; past that its count is "at least"


@dataclass
class Suggestion:
    concept_id: str
    label: str
    matched: str  # the label the typed words matched: the preferred one, or another ("can" for toilet)
    definition: str
    count: int
    more: bool  # there are more than ``count`` images: counting stopped (typing must stay fast at 1M)
    name: str = ""  # what to show: the label, or "crane (wading bird)" beside another "crane"

    @property
    def also_called(self):
        """The label that matched when it is not the one shown, so "can" suggesting toilet says why."""
        return self.matched if plain_text(self.matched) != plain_text(self.label) else ""


def suggest_concepts(prefix, user, limit=8):
    """Concepts whose label starts with ``prefix``: those in ``user``'s visible library first, with counts."""
    plain = " ".join(plain_text(prefix).split())
    if len(plain) < 2:
        return []
    with connection.cursor() as cursor:
        cursor.execute(*suggestions_sql(plain, user, limit, SUGGESTION_COUNT_ROWS))
        return _tell_apart([Suggestion(concept_id, label, matched, definition, min(count, SUGGESTION_COUNT_ROWS), more,
                                       label) for concept_id, label, matched, definition, count, more in cursor.fetchall()],
                           key="concept_id", label="name")
