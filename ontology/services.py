"""Load the committed concept scheme into the database and let people extend it."""
import re

from django.db import transaction

from core import audit
from ontology.models import Concept
from ontology.scheme import load_scheme

_FIELDS = ["name", "pref_label", "alt_labels", "definition", "broader", "ancestors", "imagenet_index", "coco_label"]


def sync_concepts(scheme=None, concept_model=Concept):
    """Upsert every WordNet concept of ``scheme`` (default: the committed file); custom ones are untouched.

    ``concept_model`` lets the data migration pass its historical model.
    """
    scheme = scheme or load_scheme()
    rows = [
        concept_model(id=cid, source="wordnet", **{field: data[field] for field in _FIELDS})
        for cid, data in scheme["concepts"].items()
    ]
    with transaction.atomic():
        concept_model.objects.bulk_create(
            rows, batch_size=1000, update_conflicts=True, unique_fields=["id"], update_fields=_FIELDS + ["source"]
        )
    return len(rows)


def _custom_id(label):
    return "x-" + re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


def add_custom_concept(label, *, broader, actor, alt_labels=(), definition=""):
    """Add a team's own concept (e.g. "product shot") under an existing one; closure kept exact."""
    label = label.strip()
    if not label:
        raise ValueError("A concept needs a label.")
    parent = Concept.objects.get(pk=broader.pk if isinstance(broader, Concept) else broader)
    with transaction.atomic():
        concept, created = Concept.objects.get_or_create(
            id=_custom_id(label),
            defaults=dict(
                name=label,
                pref_label=label,
                alt_labels=[a.strip() for a in alt_labels if a.strip()],
                definition=definition,
                broader=[parent.pk],
                ancestors=[parent.pk, *parent.ancestors],
                source=Concept.Source.CUSTOM,
            ),
        )
        if created:
            audit.record(actor, "concept.create", obj=concept, after={"label": label, "broader": parent.pk})
    return concept


def scheme_from_database():
    """The scheme as stored now (WordNet plus custom concepts), in the file's shape, for SKOS export."""
    concepts = {
        c.pk: {"id": c.pk, **{field: getattr(c, field) for field in _FIELDS}} for c in Concept.objects.all()
    }
    base = load_scheme()
    return {**base, "concepts": concepts}
