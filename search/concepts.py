"""From query words to concepts and colours: the words' lookup in the ontology's labels, typo correction,
and the nearest concepts when nothing matches.

Query words are normalised as the labels are (``ontology.labels.normalise``), so "Great White Sharks"
meets the label "great white shark" with one btree lookup. Matching takes the longest phrase first;
a phrase with several senses ("crane": bird or machine) keeps them all as choices, except that a
label spelt as typed wins over one reached only by the naive singular ("sunglasses" are the dark
glasses, not the burning glass "sunglass"). A colour of the palette (``COLOURS``) beside other words
is a colour ("red car"), alone it is a colour unless it names a concept ("orange"). Words in neither
the labels nor the documents are corrected from the typo vocabulary (``SearchTerm``).
``related_concepts`` finds the concepts nearest to words that matched nothing (their labels and
definitions, by full-text rank), among those with images.
"""
from dataclasses import dataclass, field, replace

from django.db import connection

from ontology.labels import names_of, plain_text, singular
from ontology.models import Concept
from search.query import STOP_WORDS
from search.sql import TABLES, permitted_sql
from search.statement import CONCEPT_THRESHOLD, subtree_labels_sql

# The fixed palette dominant colours are named with (enrichment's colour analysis); query words name
# them, with a few synonyms.
COLOURS = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "grey", "white")
COLOUR_WORDS = {**{name: name for name in COLOURS}, "gray": "grey", "violet": "purple", "golden": "yellow"}
RELATED_CONCEPTS = 5  # concepts offered (and searched) when nothing matched the words

MAX_PHRASE_WORDS = 5
MIN_TYPO_LENGTH = 4
MIN_TYPO_SIMILARITY = 0.34
MAX_TYPO_LENGTH_CHANGE = 2



# --------------------------------------------------------------------------
# The typo vocabulary


def add_vocabulary(words):
    """Remember words for typo correction; trigrams are computed by the SQL function ``search_trigrams``."""
    words = sorted({w for w in words if w.isalpha() and MIN_TYPO_LENGTH - 1 <= len(w) <= 40})
    if words:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TABLES.search_term} (term, trigrams) SELECT w, search_trigrams(w) "
                "FROM unnest(%s::text[]) AS w ON CONFLICT (term) DO NOTHING",
                [words],
            )


# --------------------------------------------------------------------------
# Interpreting a query


@dataclass(frozen=True)
class Sense:
    concept_id: str
    label: str
    definition: str
    depth: int
    name: str = ""  # the label, told apart from other senses called the same: "crane (wading bird)" (``name_senses``)


@dataclass
class ConceptMatch:
    """A phrase of the query and the concepts it can mean; ``senses`` narrows to a person's pick.

    ``related``: the phrase named no concept and no text matched it; ``senses`` are the nearest
    concepts that have images (``related_concepts``), searched as one group.
    """

    phrase: str
    senses: list[Sense]
    chosen: str | None = None
    related: bool = False

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
    colours: list[str] = field(default_factory=list)  # palette names the query asked for ("red car")
    declined: dict[str, str] = field(default_factory=dict)  # corrections found but not made: searched as typed

    def _corrected(self, corrections):
        return " ".join(corrections.get(singular(w), w) for w in self.words) if corrections else ""

    @property
    def showing_results_for(self):
        """The words searched, when a spelling was corrected ("" otherwise)."""
        return self._corrected(self.corrections)

    @property
    def search_instead_for(self):
        """The words as typed, when a spelling was corrected: what "search instead for" offers."""
        return " ".join(self.words) if self.corrections else ""

    @property
    def did_you_mean(self):
        """The corrected words, when the words were searched as typed and a correction was found."""
        return self._corrected(self.declined)

    @property
    def concept_groups(self):
        """Concept ids per matched phrase: an asset must be labelled within a group to count for it."""
        return [m.concept_ids for m in self.matches]

    @property
    def concept_words(self):
        """The normalised words of the phrases that named concepts or colours (their text matches in
        the image, e.g. OCR reading "OPEN" for "can opener", are no evidence for them)."""
        return {word for match in self.matches if not match.related for word in match.phrase.split()} | set(
            self.colours)


def _grams(words):
    """Every phrase of up to MAX_PHRASE_WORDS consecutive words, as (start, end, text)."""
    return [
        (start, end, " ".join(words[start:end]))
        for start in range(len(words))
        for end in range(start + 1, min(len(words), start + MAX_PHRASE_WORDS) + 1)
        if not (end - start == 1 and words[start] in STOP_WORDS)
    ]


_LOOKUP_SQL = f"""
SELECT 'label', l.label_normalised, c.id, c.pref_label, c.definition, cardinality(c.ancestors), l.label
  FROM {TABLES.concept_label} l JOIN {TABLES.concept} c ON c.id = l.concept_id
 WHERE l.label_normalised = ANY(%s)
UNION ALL
SELECT 'term', t.term, NULL, NULL, NULL, NULL, NULL FROM {TABLES.search_term} t WHERE t.term = ANY(%s)
"""

_CORRECTION_SQL = f"""
SELECT w.word, best.term
  FROM unnest(%s::text[]) AS w(word)
  CROSS JOIN LATERAL (
    SELECT t.term, search_trigram_similarity(t.trigrams, search_trigrams(w.word)) AS similarity
      FROM {TABLES.search_term} t
     WHERE t.trigrams && search_trigrams(w.word) AND abs(length(t.term) - length(w.word)) <= %s
     ORDER BY similarity DESC, abs(length(t.term) - length(w.word)), t.term
     LIMIT 1
  ) best
 WHERE best.similarity >= %s
"""


def _lookup(words):
    """(grams, {phrase: {concept id: Sense}}, {phrase: {concept id: its labels as plain text}}, known words)."""
    grams = _grams(words)
    with connection.cursor() as cursor:
        cursor.execute(_LOOKUP_SQL, [[g[2] for g in grams], sorted(set(words))])
        rows = cursor.fetchall()
    senses, spellings, known = {}, {}, set()
    for kind, text, concept_id, label, definition, depth, matched_label in rows:
        if kind == "term":
            known.add(text)
        else:
            senses.setdefault(text, {})[concept_id] = Sense(concept_id, label, definition, depth)
            spellings.setdefault(text, {}).setdefault(concept_id, set()).add(" ".join(plain_text(matched_label).split()))
    return grams, senses, spellings, known


def _correct(words):
    with connection.cursor() as cursor:
        cursor.execute(_CORRECTION_SQL, [words, MAX_TYPO_LENGTH_CHANGE, MIN_TYPO_SIMILARITY])
        return dict(cursor.fetchall())


def _as_typed(senses, spellings, typed):
    """The senses with a label spelt as typed, when there are any ("glasses" are spectacles, not two
    drinking glasses); otherwise every sense the normalised phrase reached."""
    exact = {concept_id: sense for concept_id, sense in senses.items() if typed in spellings.get(concept_id, ())}
    return exact or senses


def _longest_first(words, typed, grams, senses, spellings):
    """Greedy: the longest phrase with a concept wins its words; shorter overlapping ones are dropped.

    A lone colour word beside other words is left to the colours ("orange car"), a colour word inside a
    longer phrase stays the concept's ("brown bear"). Returns (matches, the positions they cover)."""
    covered = [False] * len(words)
    matches = []
    for start, end, text in sorted(grams, key=lambda g: (g[0] - g[1], g[0])):
        if text not in senses or any(covered[start:end]):
            continue
        if end - start == 1 and text in COLOUR_WORDS and len(words) > 1:
            continue
        covered[start:end] = [True] * (end - start)
        chosen = _as_typed(senses[text], spellings[text], " ".join(typed[start:end]))
        ordered = sorted(chosen.values(), key=lambda s: (-s.depth, s.concept_id))
        matches.append((start, ConceptMatch(phrase=text, senses=ordered)))
    return [match for _, match in sorted(matches, key=lambda pair: pair[0])], covered


def _colours(words, covered):
    """Palette colours named by words no concept phrase took."""
    return list(dict.fromkeys(COLOUR_WORDS[word] for word, taken in zip(words, covered)
                              if not taken and word in COLOUR_WORDS))


def interpret(text, *, as_typed=False):
    """Match the words of ``text`` to concepts (longest phrase first), correcting unknown words (unless
    ``as_typed``: then the corrections found are only offered, as ``declined``).

    One lookup statement; a second and third only when a word is in neither the labels nor
    the documents' vocabulary and so may be a typo.
    """
    plain = plain_text(text).split()
    words = [singular(w) for w in plain]
    if not words:
        return Interpretation()
    grams, senses, spellings, known = _lookup(words)
    label_words = {w for g in senses for w in g.split()}
    unknown = [
        w for w in dict.fromkeys(words)
        if w not in known and w not in label_words and w not in STOP_WORDS and w not in COLOUR_WORDS
        and w.isalpha() and len(w) >= MIN_TYPO_LENGTH
    ]
    corrections = {w: c for w, c in _correct(unknown).items() if c != w} if unknown else {}
    declined = corrections if as_typed else {}
    if as_typed:
        corrections = {}
    if corrections:
        words = [corrections.get(w, w) for w in words]
        plain = [corrections.get(singular(w), w) for w in plain]
        grams, senses, spellings, _ = _lookup(words)
    matches, covered = _longest_first(words, plain, grams, senses, spellings)
    return Interpretation(words=plain_text(text).split(), matches=matches, corrections=corrections,
                          colours=_colours(words, covered), declined=declined)


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


def missing_concepts(concept_ids):
    """The ids among ``concept_ids`` that name no concept (one primary-key lookup; none when there are none)."""
    if not concept_ids:
        return []
    known = set(Concept.objects.filter(pk__in=concept_ids).values_list("pk", flat=True))
    return [concept_id for concept_id in dict.fromkeys(concept_ids) if concept_id not in known]


def name_senses(interpretation):
    """Give each sense its name for people: an ambiguous phrase's senses by their meaning ("crane (wading
    bird)", "crane (lifting device)", from ``ontology.labels.sense_names``; queries only then), others their label."""
    ambiguous = [s.concept_id for match in interpretation.matches if match.ambiguous for s in match.senses]
    names = names_of(ambiguous) if ambiguous else {}
    for match in interpretation.matches:
        match.senses = [replace(s, name=names.get(s.concept_id, s.label)) for s in match.senses]
    return interpretation


_RELATED_SQL = f"""
WITH wanted AS (SELECT to_tsquery('english', %s) AS q),
nearest AS (
    SELECT c.id, c.pref_label, c.definition, cardinality(c.ancestors) AS depth,
           ts_rank(setweight(to_tsvector('english', c.pref_label || ' ' || array_to_string(c.alt_labels, ' ')), 'A')
                   || setweight(to_tsvector('english', c.definition), 'D'), wanted.q) AS rank
      FROM {TABLES.concept} c CROSS JOIN wanted
     WHERE (setweight(to_tsvector('english', c.pref_label || ' ' || array_to_string(c.alt_labels, ' ')), 'A')
            || setweight(to_tsvector('english', c.definition), 'D')) @@ wanted.q
     ORDER BY rank DESC, depth DESC, c.id
     LIMIT 50
)
SELECT n.id, n.pref_label, n.definition, n.depth FROM nearest n
 WHERE EXISTS (SELECT 1 FROM {{subtree}} AND al.asset_id IN ({{permitted}}))
 ORDER BY n.rank DESC, n.depth DESC, n.id
 LIMIT %s
"""


def related_concepts(words, user, limit=RELATED_CONCEPTS):
    """The concepts nearest to ``words`` (plain query words) by their labels and definitions ("kitchen":
    kitchen appliance, kitchen utensil; "sit": seat), among those with images ``user`` may see.

    Labels weigh more than definitions; stemming reaches other forms ("sitting"). One statement.
    """
    terms = [w for w in dict.fromkeys(words) if w not in STOP_WORDS and w.isalnum()]
    if not terms:
        return []
    subtree, subtree_params = subtree_labels_sql("n.id", CONCEPT_THRESHOLD)
    perm, perm_params = permitted_sql(user)
    sql = _RELATED_SQL.replace("{subtree}", subtree).replace("{permitted}", perm)
    with connection.cursor() as cursor:
        cursor.execute(sql, [" | ".join(terms), *subtree_params, *perm_params, limit])
        return [Sense(concept_id, label, definition, depth) for concept_id, label, definition, depth in cursor.fetchall()]
