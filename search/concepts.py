"""From query words to concepts: an English normaliser, the label lookup table, and typo correction.

Labels and queries go through the same :func:`normalise`, so "Great White Sharks" meets the
label "great white shark" with one btree lookup. Matching takes the longest phrase first;
a phrase with several senses ("crane": bird or machine) keeps them all as choices.
"""
import re
import unicodedata
from dataclasses import dataclass, field

from django.db import connection, transaction

from ontology.models import Concept

MAX_PHRASE_WORDS = 5
MIN_TYPO_LENGTH = 4
MIN_TYPO_SIMILARITY = 0.34
MAX_TYPO_LENGTH_CHANGE = 2

# Words never matched to a concept on their own nor corrected: they carry no subject.
STOP_WORDS = frozenset(
    "a about above after all an and any are as at be before behind below beside between but by can down "
    "each few for from has have her his in into is it its just me more most my near next no not of off on "
    "one only or other our out over some than that the their them then there these they this those three "
    "to too two under up very was we were what when where which while who with without you your "
    "photo photos picture pictures image images".split()
)

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
    """Replace the label rows (of ``concepts``, or all) and add their words to the typo vocabulary."""
    with transaction.atomic():
        existing = label_model.objects.all() if concepts is None else label_model.objects.filter(concept__in=concepts)
        existing.delete()
        label_model.objects.bulk_create(rows, batch_size=2000)
        add_vocabulary({word for row in rows for word in row.label_normalised.split()})
    return len(rows)


def refresh_labels(concept_model=Concept, label_model=None):
    """Rebuild ``search_conceptlabel`` from every concept; call after ``ontology.services.sync_concepts``.

    ``concept_model``/``label_model`` let a data migration pass its historical models.
    Every label word also enters the typo vocabulary, so "elefant" can become "elephant".
    """
    if label_model is None:
        from search.models import ConceptLabel as label_model
    rows = [row for concept in concept_model.objects.values_list("id", "pref_label", "alt_labels")
            for row in _label_rows(label_model, *concept)]
    return _store_labels(label_model, rows)


def refresh_concept_labels(concept):
    """Rebuild the label rows of one concept (a custom concept added or renamed)."""
    from search.models import ConceptLabel

    rows = _label_rows(ConceptLabel, concept.pk, concept.pref_label, concept.alt_labels)
    return _store_labels(ConceptLabel, rows, concepts=[concept.pk])


def add_vocabulary(words):
    """Remember words for typo correction; trigrams are computed by the SQL function ``search_trigrams``."""
    words = sorted({w for w in words if w.isalpha() and MIN_TYPO_LENGTH - 1 <= len(w) <= 40})
    if words:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO search_searchterm (term, trigrams) SELECT w, search_trigrams(w) "
                "FROM unnest(%s::text[]) AS w ON CONFLICT (term) DO NOTHING",
                [words],
            )


def concepts_named(text):
    """The concepts ``text`` names: the one with that id or WordNet name ("crane.n.05"), else every
    concept with that label, normalised as queries are; more specific concepts first."""
    from search.models import ConceptLabel

    text = text.strip()
    exact = list(Concept.objects.filter(id=text)) or list(Concept.objects.filter(name=text))
    if exact:
        return exact
    labelled = ConceptLabel.objects.filter(label_normalised=normalise(text)[:200]).values("concept")
    return sorted(Concept.objects.filter(pk__in=labelled), key=lambda c: (-len(c.ancestors), c.pk))


# --------------------------------------------------------------------------
# Interpreting a query


@dataclass(frozen=True)
class Sense:
    concept_id: str
    label: str
    definition: str
    depth: int


@dataclass
class ConceptMatch:
    """A phrase of the query and the concepts it can mean; ``senses`` narrows to a person's pick."""

    phrase: str
    senses: list[Sense]
    chosen: str | None = None

    @property
    def ambiguous(self):
        return len(self.senses) > 1

    @property
    def concept_ids(self):
        return [self.chosen] if self.chosen else [s.concept_id for s in self.senses]


@dataclass
class Interpretation:
    """What the query text was understood as: concept phrases, the text words, corrections made.

    ``words`` are as typed (plain); ``corrections`` maps a normalised word to its replacement.
    """

    words: list[str] = field(default_factory=list)
    matches: list[ConceptMatch] = field(default_factory=list)
    corrections: dict[str, str] = field(default_factory=dict)

    @property
    def showing_results_for(self):
        if not self.corrections:
            return ""
        return " ".join(self.corrections.get(singular(w), w) for w in self.words)

    @property
    def text_terms(self):
        """Per word, the forms full-text search should accept: as typed, singular, corrected."""
        return [
            sorted({w, singular(w), self.corrections.get(singular(w), w)}) for w in self.words
        ]

    @property
    def concept_groups(self):
        """Concept ids per matched phrase: an asset must be labelled within a group to count for it."""
        return [m.concept_ids for m in self.matches]


def _grams(words):
    """Every phrase of up to MAX_PHRASE_WORDS consecutive words, as (start, end, text)."""
    return [
        (start, end, " ".join(words[start:end]))
        for start in range(len(words))
        for end in range(start + 1, min(len(words), start + MAX_PHRASE_WORDS) + 1)
        if not (end - start == 1 and words[start] in STOP_WORDS)
    ]


_LOOKUP_SQL = """
SELECT 'label', l.label_normalised, c.id, c.pref_label, c.definition, cardinality(c.ancestors)
  FROM search_conceptlabel l JOIN ontology_concept c ON c.id = l.concept_id
 WHERE l.label_normalised = ANY(%s)
UNION ALL
SELECT 'term', t.term, NULL, NULL, NULL, NULL FROM search_searchterm t WHERE t.term = ANY(%s)
"""

_CORRECTION_SQL = """
SELECT w.word, best.term
  FROM unnest(%s::text[]) AS w(word)
  CROSS JOIN LATERAL (
    SELECT t.term, search_trigram_similarity(t.trigrams, search_trigrams(w.word)) AS similarity
      FROM search_searchterm t
     WHERE t.trigrams && search_trigrams(w.word) AND abs(length(t.term) - length(w.word)) <= %s
     ORDER BY similarity DESC, abs(length(t.term) - length(w.word)), t.term
     LIMIT 1
  ) best
 WHERE best.similarity >= %s
"""


def _lookup(words):
    grams = _grams(words)
    with connection.cursor() as cursor:
        cursor.execute(_LOOKUP_SQL, [[g[2] for g in grams], sorted(set(words))])
        rows = cursor.fetchall()
    senses, known = {}, set()
    for kind, text, concept_id, label, definition, depth in rows:
        if kind == "term":
            known.add(text)
        else:
            senses.setdefault(text, {})[concept_id] = Sense(concept_id, label, definition, depth)
    return grams, senses, known


def _correct(words):
    with connection.cursor() as cursor:
        cursor.execute(_CORRECTION_SQL, [words, MAX_TYPO_LENGTH_CHANGE, MIN_TYPO_SIMILARITY])
        return dict(cursor.fetchall())


def _longest_first(words, grams, senses):
    """Greedy: the longest phrase with a concept wins its words; shorter overlapping ones are dropped."""
    covered = [False] * len(words)
    matches = []
    for start, end, text in sorted(grams, key=lambda g: (g[0] - g[1], g[0])):
        if text in senses and not any(covered[start:end]):
            covered[start:end] = [True] * (end - start)
            ordered = sorted(senses[text].values(), key=lambda s: (-s.depth, s.concept_id))
            matches.append((start, ConceptMatch(phrase=text, senses=ordered)))
    return [match for _, match in sorted(matches, key=lambda pair: pair[0])]


def interpret(text):
    """Match the words of ``text`` to concepts (longest phrase first), correcting unknown words.

    One lookup statement; a second and third only when a word is in neither the labels nor
    the documents' vocabulary and so may be a typo.
    """
    plain = plain_text(text).split()
    words = [singular(w) for w in plain]
    if not words:
        return Interpretation()
    grams, senses, known = _lookup(words)
    label_words = {w for g in senses for w in g.split()}
    unknown = [
        w for w in dict.fromkeys(words)
        if w not in known and w not in label_words and w not in STOP_WORDS
        and w.isalpha() and len(w) >= MIN_TYPO_LENGTH
    ]
    corrections = {w: c for w, c in _correct(unknown).items() if c != w} if unknown else {}
    if corrections:
        corrected = [corrections.get(w, w) for w in words]
        grams, senses, _ = _lookup(corrected)
        return Interpretation(words=plain, matches=_longest_first(corrected, grams, senses), corrections=corrections)
    return Interpretation(words=plain, matches=_longest_first(words, grams, senses))


def choose(interpretation, concept_ids):
    """Apply a person's picks: a pick among a phrase's senses narrows it; any other adds a group."""
    extra = []
    for concept_id in concept_ids:
        match = next((m for m in interpretation.matches if concept_id in {s.concept_id for s in m.senses}), None)
        if match is not None:
            match.chosen = concept_id
        else:
            extra.append(concept_id)
    if extra:
        rows = Concept.objects.filter(pk__in=extra).values_list("id", "pref_label", "definition", "ancestors")
        for concept_id, label, definition, ancestors in rows:
            sense = Sense(concept_id, label, definition, len(ancestors))
            interpretation.matches.append(ConceptMatch(phrase=label, senses=[sense], chosen=concept_id))
    return interpretation
