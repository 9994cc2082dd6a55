"""A search request as data (``SearchQuery``), its text turned into tsqueries, and the page cursor."""
import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from datetime import date

from ontology.labels import plain_text, singular

SORTS = ("relevance", "newest", "oldest", "taken")
FUSIONS = ("rrf", "weighted")
DEFAULT_FUSION = "weighted"  # measured better on the judged set (docs/benchmarks.md, "Retrieval")
DEFAULT_PAGE_SIZE = 24
MAX_PAGE_SIZE = 100

# Words never matched to a concept on their own, corrected or looked for as text: they carry no subject.
STOP_WORDS = frozenset(
    "a about above after all an and any are as at be before behind below beside between but by can down "
    "each few for from has have her his in into is it its just me more most my near next no not of off on "
    "one only or other our out over some than that the their them then there these they this those three "
    "to too two under up very was we were what when where which while who with without you your "
    "something anything thing things kind sort lot lots "
    "photo photos picture pictures image images".split()
)

TITLE_WEIGHTS = "ABC"  # title, keywords/creator, caption
OCR_WEIGHTS = "D"


@dataclass(frozen=True)
class RightsUse:
    """"Usable for ``channel`` in ``territory`` on ``on_date``": any part may be left open."""

    channel: str = ""
    territory: str = ""
    on_date: date | None = None


@dataclass(frozen=True)
class Cursor:
    """The last row of a page: its sort key and asset id (keyset pagination, never OFFSET)."""

    sort: str
    key: float
    asset_id: int

    def encode(self):
        raw = json.dumps([self.sort, self.key, self.asset_id], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token):
        """Parse an opaque cursor; anything that is not one we made raises ValueError."""
        try:
            sort, key, asset_id = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError, TypeError, ValueError) as exc:
            raise ValueError("This page link is not valid; start the search again.") from exc
        if sort not in SORTS or not isinstance(key, (int, float)) or not isinstance(asset_id, int):
            raise ValueError("This page link is not valid; start the search again.")
        return cls(sort, float(key), asset_id)


@dataclass
class SearchQuery:
    """Free text plus structured filters; built by ``search.forms.SearchForm`` for the UI and the API."""

    text: str = ""
    as_typed: bool = False  # no spelling corrections: "search instead for" the words as typed
    concepts: list[str] = field(default_factory=list)
    title: str = ""
    ocr: str = ""
    creator: str = ""
    camera: str = ""
    formats: list[str] = field(default_factory=list)
    orientations: list[str] = field(default_factory=list)
    taken_after: date | None = None
    taken_before: date | None = None
    created_after: date | None = None
    created_before: date | None = None
    has_concepts: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    months: list[str] = field(default_factory=list)  # "YYYY-MM"
    has_faces: bool | None = None
    people: list[str] = field(default_factory=list)  # person ids or names (any case)
    min_objects: list[tuple[str, int]] = field(default_factory=list)
    collection: str = ""
    moderation: list[str] = field(default_factory=list)
    has_usage_terms: bool | None = None
    rights: RightsUse | None = None
    rights_statuses: list[str] = field(default_factory=list)
    colours: list[str] = field(default_factory=list)
    similar_to: str = ""
    vector: list[float] | None = None
    vector_capability: str = "similarity"
    sort: str = "relevance"
    fusion: str = DEFAULT_FUSION
    page_size: int = DEFAULT_PAGE_SIZE
    cursor: Cursor | None = None


_PHRASE = re.compile(r'"([^"]+)"')


def _forms(word):
    return sorted({word, singular(word)})


def _alternatives(word, weights="", corrections=None):
    forms = set(_forms(word))
    if corrections and singular(word) in corrections:
        forms.add(corrections[singular(word)])
    return "(" + " | ".join(f"{form}{':' + weights if weights else ''}" for form in sorted(forms)) + ")"


def text_tsquery(text, corrections=None):
    """Any word (as typed, singular or corrected) or any quoted phrase; '' when nothing to look for.

    Words are ``[a-z0-9]+`` after normalising, so the tsquery syntax is never open to input.
    """
    parts = [" <-> ".join(plain_text(phrase).split()) for phrase in _PHRASE.findall(text) if plain_text(phrase).split()]
    parts += [_alternatives(word, corrections=corrections) for word in dict.fromkeys(plain_text(text).split())]
    return " | ".join(parts)


def text_words(text, corrections=None, concept_words=frozenset()):
    """Per content word (or quoted phrase) of ``text``: (its tsquery in people's fields, its tsquery
    anywhere, whether OCR may count for it). OCR may not for words in ``concept_words`` (normalised):
    a word read in the image is no evidence for the object a concept phrase names. Stop words are left
    out, so "a dog on the beach" has two words to find."""
    phrases = [plain_text(phrase).split() for phrase in _PHRASE.findall(text)]
    rows = [(" <-> ".join(f"{w}:abc" for w in words), " <-> ".join(words),
             not {singular(w) for w in words} <= concept_words) for words in phrases if words]
    for word in dict.fromkeys(plain_text(_PHRASE.sub(" ", text)).split()):
        if word not in STOP_WORDS:
            rows.append((_alternatives(word, "abc", corrections), _alternatives(word, corrections=corrections),
                         singular(word) not in concept_words and (corrections or {}).get(singular(word)) not in concept_words))
    return rows


def field_tsquery(text, weights):
    """Every word of ``text`` must occur in the fields stored with ``weights`` (e.g. "D" for OCR)."""
    return " & ".join(_alternatives(word, weights.lower()) for word in dict.fromkeys(plain_text(text).split()))
