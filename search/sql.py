"""Pieces for writing the search statements: the tables' names, a parameter-safe builder, querysets as
subqueries."""
from types import SimpleNamespace

from django.core.exceptions import EmptyResultSet

from assets.models import Asset, AssetVersion, Collection
from assets.permissions import visible_assets
from enrichment.models import (
    ColourPalette,
    Detection,
    Embedding,
    FaceDescriptor,
    LabelDecision,
    MachineLabel,
    ModelRun,
    OcrText,
    Person,
)
from ontology.models import Concept, ConceptLabel
from search.models import ImageHash, SearchDocument, SearchTerm

# The tables search's SQL names, as their models name them: a table renamed by its app's migration is
# renamed in every statement with it (tests/search/sql/ shows the new name).
TABLES = SimpleNamespace(**{name: model._meta.db_table for name, model in {
    "asset": Asset,
    "asset_collections": Asset.collections.through,
    "asset_version": AssetVersion,
    "collection": Collection,
    "colour_palette": ColourPalette,
    "concept": Concept,
    "concept_label": ConceptLabel,
    "detection": Detection,
    "embedding": Embedding,
    "face_descriptor": FaceDescriptor,
    "image_hash": ImageHash,
    "label_decision": LabelDecision,
    "machine_label": MachineLabel,
    "model_run": ModelRun,
    "ocr_text": OcrText,
    "person": Person,
    "search_document": SearchDocument,
    "search_term": SearchTerm,
}.items()})

NOTHING = "SELECT NULL::bigint WHERE false"


class Sql:
    """SQL text and its parameters, appended together so placeholders and values never drift apart."""

    def __init__(self):
        self.parts, self.params = [], []

    def add(self, sql, *params):
        self.parts.append(sql)
        self.params.extend(params)
        return self

    def text(self):
        return "".join(self.parts)


def queryset_sql(queryset, *fields):
    """A queryset as (sql, params) for a subquery; a queryset that can match nothing becomes NOTHING."""
    try:
        return queryset.order_by().values(*(fields or ("id",))).query.sql_with_params()
    except EmptyResultSet:
        return NOTHING, ()


_PERMITTED = {}  # (user id, flags) -> (sql, params); cleared when it grows past PERMITTED_CACHE_SIZE
PERMITTED_CACHE_SIZE = 10_000


def permitted_sql(user):
    """``visible_assets(user)`` as a subquery: search follows whatever the permission gate says.

    The gate's SQL depends on the user only through its id and flags (roles and group memberships are
    read by its subqueries when the statement runs), so it is compiled once per user and flags and
    kept: building its subqueries through the ORM cost more than planning the whole search statement.
    """
    key = (getattr(user, "pk", None), *(bool(getattr(user, flag, False))
                                        for flag in ("is_authenticated", "is_active", "is_superuser")))
    if key not in _PERMITTED:
        if len(_PERMITTED) >= PERMITTED_CACHE_SIZE:
            _PERMITTED.clear()
        _PERMITTED[key] = queryset_sql(visible_assets(user))
    return _PERMITTED[key]
