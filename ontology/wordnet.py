"""Minimal reader for the WordNet 3.0 noun database (``data.noun`` + ``index.noun``).

Only what the concept scheme needs is parsed: lemmas, gloss, hypernym and
instance-hypernym pointers, and NLTK-style synset names (``dog.n.01``).  We read
the files directly instead of using NLTK because NLTK insists on an
``NLTK_DATA`` layout, ``index.sense`` and ``lexnames``, none of which Debian's
``wordnet-base`` provides.  File format: ``man 5 wndb``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_WORDNET_DIR = Path("/usr/share/wordnet")

HYPERNYM = "@"
INSTANCE_HYPERNYM = "@i"

# Adjective syntactic markers such as "(a)", "(p)", "(ip)"; nouns normally have
# none, but stripping them keeps the reader safe on any data file.
_MARKER = re.compile(r"\((?:a|p|ip)\)$")
# Usage examples follow the definition as `; "..."` (sometimes `: "..."`); a
# quote not introduced that way is part of the definition ("in the phrase ...").
_EXAMPLES_START = re.compile(r'[;:]\s*"')


@dataclass(frozen=True)
class Synset:
    """One noun synset; ``offset`` is the 8-digit byte offset used as its key."""

    offset: str
    lex_filenum: int
    lemmas: tuple[str, ...]
    gloss: str
    hypernyms: tuple[str, ...]
    instance_hypernyms: tuple[str, ...]
    name: str = ""

    @property
    def id(self) -> str:
        """ImageNet-style id (``n`` + offset), the form the classifier uses."""
        return "n" + self.offset

    @property
    def definition(self) -> str:
        """The gloss up to its usage examples: the text worth showing as a definition."""
        return _EXAMPLES_START.split(self.gloss, maxsplit=1)[0].strip().rstrip(";").strip()

    @property
    def parents(self) -> tuple[str, ...]:
        """Class and instance hypernyms together: both mean "is a kind/case of"."""
        return self.hypernyms + self.instance_hypernyms


def _clean_lemma(word: str) -> str:
    """Turn a data-file word into display form: no marker, spaces not underscores."""
    return _MARKER.sub("", word).replace("_", " ")


def parse_data_line(line: str) -> Synset:
    """Parse one ``data.noun`` synset line (its ``name`` is filled in later)."""
    fields_part, _, gloss = line.partition(" | ")
    fields = fields_part.split()
    offset, lex_filenum = fields[0], int(fields[1])
    w_cnt = int(fields[3], 16)
    words = fields[4 : 4 + 2 * w_cnt : 2]
    p_pos = 4 + 2 * w_cnt
    p_cnt = int(fields[p_pos])
    pointers = [fields[p_pos + 1 + 4 * i : p_pos + 5 + 4 * i] for i in range(p_cnt)]
    return Synset(
        offset=offset,
        lex_filenum=lex_filenum,
        lemmas=tuple(_clean_lemma(w) for w in words),
        gloss=gloss.strip(),
        hypernyms=_targets(pointers, HYPERNYM),
        instance_hypernyms=_targets(pointers, INSTANCE_HYPERNYM),
    )


def _targets(pointers: list[list[str]], symbol: str) -> tuple[str, ...]:
    """Offsets of noun synsets reached by ``symbol`` pointers, in file order."""
    return tuple(off for sym, off, pos, _ in pointers if sym == symbol and pos == "n")


def parse_index_line(line: str) -> tuple[str, list[str]]:
    """Parse an ``index.noun`` line into (lemma, offsets in sense order)."""
    fields = line.split()
    synset_cnt = int(fields[2])
    return fields[0], fields[len(fields) - synset_cnt :]


def _records(path: Path):
    """Yield data lines, skipping the licence header (lines start with two spaces)."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip() and not line.startswith("  "):
                yield line.rstrip("\n")


def synset_name(synset: Synset, senses: dict[str, list[str]]) -> str:
    """NLTK-style name: lower-cased first lemma, ``.n.``, 2-digit sense number."""
    lemma = synset.lemmas[0].lower().replace(" ", "_")
    sense = senses[lemma].index(synset.offset) + 1
    return f"{lemma}.n.{sense:02d}"


def load_wordnet(wordnet_dir: Path = DEFAULT_WORDNET_DIR) -> dict[str, Synset]:
    """Read all noun synsets, keyed by 8-digit offset, with names resolved."""
    wordnet_dir = Path(wordnet_dir)
    senses = dict(parse_index_line(line) for line in _records(wordnet_dir / "index.noun"))
    synsets = (parse_data_line(line) for line in _records(wordnet_dir / "data.noun"))
    return {s.offset: replace(s, name=synset_name(s, senses)) for s in synsets}
