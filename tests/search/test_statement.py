"""The SQL the search writes (``search.statement``), committed: every change to a statement shows in a diff
of tests/search/sql/. And the page statement is one plan over every table it reads.

Each case below is a representative query; its page statement and facet statement (as the service would
run them) are written to ``tests/search/sql/<case>.sql``, with their parameters and, when there is a
vector plan, the settings sent in the same round trip; the suggestions' statement to ``suggestions.sql``. The test fails with a diff when the SQL differs;
after a deliberate change, rewrite the files and commit them with the change:

    UPDATE_SQL_SNAPSHOTS=1 PYTEST_ARGS=tests/search/test_statement.py make test

Everything that would vary between runs and machines is fixed here: the user's id, the model runs' ids
(inlined into vector plans), the hits of a bounded statement, the asset of "more like this" and today's
date (the rights status facet). Concept ids come from the committed WordNet scheme.
"""
import difflib
import json
import os
import re
from dataclasses import fields
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from enrichment.models import Capability, ModelRun
from search import statement as statement_module
from search.concepts import choose, interpret
from search.query import Cursor, RightsUse, SearchQuery
from search.service import SUGGESTION_COUNT_ROWS
from search.statement import SearchStatement, suggestions_sql
from search.vectors import ensure_vector_indexes

SNAPSHOTS = Path(__file__).parent / "sql"
UPDATE = os.environ.get("UPDATE_SQL_SNAPSHOTS") == "1"
TODAY = date(2031, 1, 15)
VIEWER_ID = 4242
SIMILARITY_RUN_ID, UNINDEXED_RUN_ID, CLIP_RUN_ID = 9101, 9102, 9103
HIT_IDS = [101, 102, 103]  # the hits a bounded page statement returned, which its facets count
SIMILAR_TO = "8f0c3c55-0d8f-4a54-9f3e-3a3b2f6d1c11"
CAT, ANIMAL = "n02121620", "n00015388"

FILTERS = dict(
    formats=["jpeg", "png"], orientations=["landscape"], creator="Ada Lovelace", camera="Canon EOS R5",
    taken_after=date(2023, 1, 1), taken_before=date(2023, 12, 31), created_after=date(2024, 2, 1),
    created_before=date(2024, 3, 1), years=[2023, 2024], months=["2023-05"], has_concepts=[ANIMAL], has_faces=True,
    people=["Eileen Collins"], min_objects=[("person", 2)], collection="holidays", moderation=["clear"], has_usage_terms=True,
    rights=RightsUse("web", "FR", date(2031, 2, 1)), rights_statuses=["usable", "unknown"],
    title="harbour", ocr="watershed",
)

# case -> (the query, the model run whose vectors rank it, if any)
CASES = {
    "everything": (SearchQuery(), None),
    "words": (SearchQuery(text="vintage poster"), None),
    "concept": (SearchQuery(text="tabby"), None),
    "several_concepts": (SearchQuery(text="tabby and dog"), None),
    "ambiguous_word": (SearchQuery(text="crane"), None),
    "colour_and_concept": (SearchQuery(text="red car"), None),
    "colour_filter": (SearchQuery(colours=["red", "blue"]), None),
    "picked_sense": (SearchQuery(text="crane", concepts=["n03126707"]), None),
    "filters": (SearchQuery(**FILTERS), None),
    "words_and_filters": (SearchQuery(text="tabby vintage poster", **FILTERS), None),
    "rights_any_use": (SearchQuery(text="tabby", rights=RightsUse()), None),
    "has_faces_false": (SearchQuery(has_faces=False, collection="17"), None),
    "more_like_this": (SearchQuery(similar_to=SIMILAR_TO), SIMILARITY_RUN_ID),
    "more_like_this_in_concept": (SearchQuery(similar_to=SIMILAR_TO, has_concepts=[CAT]), SIMILARITY_RUN_ID),
    "more_like_this_with_words": (SearchQuery(similar_to=SIMILAR_TO, text="tabby"), SIMILARITY_RUN_ID),
    "more_like_this_unindexed": (SearchQuery(similar_to=SIMILAR_TO), UNINDEXED_RUN_ID),
    "image_vector": (SearchQuery(vector=[0.6, 0.8, 0.0], vector_capability="clip"), CLIP_RUN_ID),
    "sort_newest": (SearchQuery(text="tabby", sort="newest"), None),
    "sort_oldest": (SearchQuery(text="tabby", sort="oldest"), None),
    "sort_taken": (SearchQuery(text="tabby", sort="taken"), None),
    "fusion_rrf": (SearchQuery(text="tabby vintage poster", fusion="rrf"), None),
    "cursor_page": (SearchQuery(text="tabby vintage poster", page_size=10,
                                cursor=Cursor("relevance", 0.4375, 123456)), None),
}

# A space (outside quotes) where the statement is broken into lines: before a clause, or before the name
# of a CTE. Only single spaces become line breaks, so joining the lines gives back the exact statement.
_BREAK = re.compile(r" (?:(?:(?:LEFT|CROSS|INNER) )?JOIN|FROM|WHERE|AND|GROUP BY|ORDER BY|LIMIT|UNION|SELECT)\b"
                    r"|(?<=,) (?=\w+ AS (?:NOT )?(?:MATERIALIZED )?\()")
_NO_BREAK_AFTER = ("LEFT", "CROSS", "INNER", "ALL", "UNION", "year", "epoch")  # extract(year FROM ...)


def pretty(sql):
    """The statement one clause per line, indented by parenthesis depth; a multi-line statement as it is."""
    if "\n" in sql:
        return sql
    out, depth, quote = [], 0, None
    for position, char in enumerate(sql):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == " " and _BREAK.match(sql, position) and not sql[:position].endswith(_NO_BREAK_AFTER):
            out.append("\n" + "  " * depth)
            continue
        out.append(char)
    text = "".join(out)
    assert re.sub(r"\n *", " ", text) == sql, "the pretty form must join back into the exact statement"
    return text


def rendered(title, sql, params, settings_sql=""):
    lines = [f"-- {title}"]
    if settings_sql:
        lines.append(f"-- sent first, in the same round trip: {settings_sql}")
    lines += [pretty(sql) + ";", "-- parameters, in the order of their placeholders:"]
    lines += [f"--   {number}: {value!r}" for number, value in enumerate(params, 1)]
    return "\n".join(lines)


def described(query):
    changed = [f"{f.name}={getattr(query, f.name)!r}" for f in fields(query)
               if getattr(query, f.name) != getattr(SearchQuery(), f.name)]
    return f"SearchQuery({', '.join(changed)})"


@pytest.fixture
def world(concepts, monkeypatch):
    """A viewer and the model runs, with fixed ids; today is fixed for the rights status, and so is the browse
    sample's share (from Postgres's row estimate of the documents, which tests run before may have raised)."""
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    monkeypatch.setattr(statement_module, "browse_sample_rate", lambda: 1.0)
    viewer = get_user_model().objects.create_user("snapshot-viewer", id=VIEWER_ID)
    runs = {
        SIMILARITY_RUN_ID: ModelRun.objects.create(id=SIMILARITY_RUN_ID, capability=Capability.SIMILARITY,
                                                   name="similarity-model", version="1"),
        UNINDEXED_RUN_ID: ModelRun.objects.create(id=UNINDEXED_RUN_ID, capability=Capability.SIMILARITY,
                                                  name="unindexed-model", version="1"),
        CLIP_RUN_ID: ModelRun.objects.create(id=CLIP_RUN_ID, capability=Capability.CLIP, name="clip-model",
                                             version="1"),
    }
    for run_id in (SIMILARITY_RUN_ID, CLIP_RUN_ID):
        ensure_vector_indexes(runs[run_id], dims=3)
    return viewer, runs


def snapshot(case, world):
    """The case's statements as ``search`` and ``facets`` would run them."""
    viewer, runs = world
    query, run_id = CASES[case]
    interpretation = choose(interpret(query.text), query.concepts)
    statement = SearchStatement(query, interpretation, viewer, runs.get(run_id))
    settings_sql = statement.vector_plan.settings_sql if statement.vector_plan else ""
    parts = [f"-- {case}: {described(query)}"
             + (f"\n-- ranked by the vectors of model run {run_id} ({statement.vector_plan.plan} plan)"
                if statement.vector_plan else ""),
             rendered("page statement", *statement.page_sql(), settings_sql)]
    if statement.bounded:
        facets = SearchStatement(query, interpretation, viewer)
        parts.append(rendered(f"facet statement (the page statement listed every hit: {HIT_IDS})",
                              *facets.facets_sql(HIT_IDS)))
    else:
        parts.append(rendered("facet statement", *statement.facets_sql(), settings_sql))
    return "\n\n".join(parts) + "\n"


def suggestions_snapshot(world):
    viewer, _ = world
    return rendered('suggestions for "cats" (search.service.suggest_concepts)',
                    *suggestions_sql("cats", viewer, 8, SUGGESTION_COUNT_ROWS)) + "\n"


def assert_snapshot(name, current):
    path = SNAPSHOTS / f"{name}.sql"
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(current)
        return
    committed = path.read_text() if path.exists() else ""
    if current != committed:
        diff = "".join(difflib.unified_diff(committed.splitlines(True), current.splitlines(True),
                                            f"committed {path.name}", f"generated {path.name}"))
        pytest.fail(f"The SQL of {name!r} changed. If that is intended, regenerate the snapshots "
                    f"(UPDATE_SQL_SNAPSHOTS=1 PYTEST_ARGS=tests/search/test_statement.py make test) "
                    f"and commit them with the change.\n{diff}", pytrace=False)


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES)
def test_statement_matches_its_committed_snapshot(case, world):
    assert_snapshot(case, snapshot(case, world))


@pytest.mark.django_db
def test_suggestions_statement_matches_its_committed_snapshot(world):
    assert_snapshot("suggestions", suggestions_snapshot(world))


def test_no_snapshot_without_a_case():
    """A removed or renamed case must take its file along."""
    assert sorted(p.stem for p in SNAPSHOTS.glob("*.sql")) == sorted([*CASES, "suggestions"])


@pytest.mark.django_db
def test_explain_shows_a_single_plan_over_every_table(library, user):
    query = SearchQuery(text="animal morning", formats=["png"], has_faces=False, rights=RightsUse("web"))
    text, params = SearchStatement(query, interpret(query.text), user).page_sql()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + text, params)
        (plan,) = cursor.fetchone()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    assert len(plan) == 1
    relations = set()

    def walk(node):
        relations.add(node.get("Relation Name"))
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    assert {"search_searchdocument", "assets_asset", "enrichment_machinelabel", "ontology_concept",
            "enrichment_labeldecision", "enrichment_detection", "governance_usagerights"} <= relations
