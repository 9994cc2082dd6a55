"""Concept labels as queries meet them: every pref/alt label of every concept, normalised.

Labels and query words go through the same :func:`normalise` (lowercase ASCII, no accents or
possessives, naive singular), so "Great White Sharks" meets the label "great white shark" with one
btree lookup (``ConceptLabel``). Search interprets queries and suggests concepts from these rows, the
asset page resolves a typed word through :func:`concepts_named`. Stored rows are announced with
``ontology.signals.labels_changed``.
"""
import re
import unicodedata

from django.db import transaction
from django.db.models import Count
from django.db.models.signals import post_save
from django.dispatch import receiver

from ontology.models import Concept, ConceptLabel
from ontology.signals import labels_changed

IRREGULAR_PLURALS = {
    "mice": "mouse", "lice": "louse", "geese": "goose", "people": "person", "children": "child",
    "men": "man", "women": "woman", "feet": "foot", "teeth": "tooth", "oxen": "ox", "knives": "knife",
    "wives": "wife", "lives": "life", "leaves": "leaf", "loaves": "loaf", "wolves": "wolf",
    "halves": "half", "calves": "calf", "shelves": "shelf", "thieves": "thief", "scarves": "scarf",
    "cacti": "cactus", "fungi": "fungus", "buses": "bus", "potatoes": "potato", "tomatoes": "tomato",
    "heroes": "hero", "volcanoes": "volcano", "mosquitoes": "mosquito", "cookies": "cookie",
    "movies": "movie", "zombies": "zombie", "brownies": "brownie", "pies": "pie", "ties": "tie",
}
INVARIANT = frozenset(
    "bus gas glass lens news series species sheep fish deer moose bison aircraft chess canvas atlas "
    "christmas pants jeans trousers scissors binoculars".split()
)
_SIBILANT_ES = ("sses", "shes", "ches", "xes", "zes")


def singular(word):
    """Naive English singular: irregulars, then -ies, -(s|sh|ch|x|z)es and a plain -s."""
    if word in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[word]
    if word in INVARIANT or len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(_SIBILANT_ES):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def plain_text(text):
    """Lowercase ASCII without accents; possessives dropped; other punctuation becomes a space."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"['’]s\b", "", text)
    text = re.sub(r"['’.]", "", text)
    return re.sub(r"[^a-z0-9]+", " ", text)


def normalise_words(text):
    """The words of ``text`` as labels and queries are compared: plain, singular."""
    return [singular(word) for word in plain_text(text).split()]


def normalise(text):
    return " ".join(normalise_words(text))


# --------------------------------------------------------------------------
# The label table


def _label_rows(label_model, concept_id, pref, alts):
    """One row per distinct normalised label of a concept."""
    rows = {}
    for label in [pref, *alts]:
        normalised = normalise(label)[:200]
        if normalised and normalised not in rows:
            rows[normalised] = label_model(concept_id=concept_id, label=label[:200], label_normalised=normalised,
                                           is_pref=label == pref, words=len(normalised.split()))
    return list(rows.values())


def _store_labels(label_model, rows, concepts=None):
    """Replace the label rows (of ``concepts``, or all) and announce their words (``labels_changed``)."""
    with transaction.atomic():
        existing = label_model.objects.all() if concepts is None else label_model.objects.filter(concept__in=concepts)
        existing.delete()
        label_model.objects.bulk_create(rows, batch_size=2000)
        labels_changed.send(label_model, words={word for row in rows for word in row.label_normalised.split()})
    return len(rows)


def refresh_labels(concept_model=Concept, label_model=ConceptLabel):
    """Rebuild the label table from every concept; call after ``ontology.services.sync_concepts``.

    ``concept_model``/``label_model`` let a data migration pass its historical models.
    Every label word is announced, so search's typo vocabulary can turn "elefant" into "elephant".
    """
    rows = [row for concept in concept_model.objects.values_list("id", "pref_label", "alt_labels")
            for row in _label_rows(label_model, *concept)]
    return _store_labels(label_model, rows)


def refresh_concept_labels(concept):
    """Rebuild the label rows of one concept (a custom concept added or renamed)."""
    rows = _label_rows(ConceptLabel, concept.pk, concept.pref_label, concept.alt_labels)
    return _store_labels(ConceptLabel, rows, concepts=[concept.pk])


@receiver(post_save, sender=Concept, dispatch_uid="ontology.concept_saved")
def concept_saved(sender, instance, raw=False, **kwargs):
    """Custom concepts are saved one by one; bulk syncs of the scheme call ``refresh_labels`` instead."""
    if not raw:
        refresh_concept_labels(instance)


def concepts_named(text):
    """The concepts ``text`` names: the one with that id or WordNet name ("crane.n.05"), the one with that
    sense name ("crane (wading bird)", see ``sense_names``), else every concept with that label, normalised
    as queries are; more specific concepts first."""
    text = text.strip()
    exact = list(Concept.objects.filter(id=text)) or list(Concept.objects.filter(name=text))
    if exact:
        return exact
    qualified = SENSE_NAME.match(text)
    if qualified:
        candidates = _labelled(qualified.group(1))
        names = sense_names(candidates)
        named = [concept for concept in candidates if names[concept.pk].lower() == " ".join(text.lower().split())]
        if named:
            return named
    return _labelled(text)


def _labelled(text):
    labelled = ConceptLabel.objects.filter(label_normalised=normalise(text)[:200]).values("concept")
    return sorted(Concept.objects.filter(pk__in=labelled), key=lambda c: (-len(c.ancestors), c.pk))


SENSE_NAME = re.compile(r"^(.+?)\s*\((.+)\)$")  # "crane (wading bird)"


def sense_names(concepts):
    """{concept id: its name for people}: the preferred label, followed by the broader concept's when another
    concept has the same one ("crane (wading bird)", "crane (lifting device)"), instead of a WordNet id
    ("crane.n.05") no one reads. ``concepts``: Concept rows. One small query, two when a label is shared."""
    concepts = list(concepts)
    if not concepts:
        return {}
    shared = set(Concept.objects.filter(pref_label__in={c.pref_label for c in concepts}).order_by()
                 .values("pref_label").annotate(count=Count("id")).filter(count__gt=1)
                 .values_list("pref_label", flat=True))
    wanted = {c.broader[0] for c in concepts if c.pref_label in shared and c.broader}
    parents = dict(Concept.objects.filter(pk__in=wanted).values_list("pk", "pref_label")) if wanted else {}
    return {c.pk: f"{c.pref_label} ({parents[c.broader[0]]})" if c.pref_label in shared and c.broader
            and c.broader[0] in parents else c.pref_label for c in concepts}


def names_of(concept_ids):
    """``sense_names`` of the concepts with these ids (unknown ids are left out)."""
    return sense_names(Concept.objects.filter(pk__in=list(concept_ids))) if concept_ids else {}
