"""The Lumen DAM concept scheme: WordNet noun synsets above the model classes.

The scheme holds every synset reachable upward (hypernyms and instance
hypernyms) from the 1,000 ImageNet-1k classifier classes and the 80 COCO
detector classes, so a tag such as "tabby" can be found by searching "cat",
"mammal" or "animal".  It is built once from WordNet 3.0 and committed as
``data/concepts.json.gz``; at run time the app only calls :func:`load_scheme`,
so WordNet need not be installed.  SKOS Turtle / JSON-LD helpers let curators
exchange the scheme with other thesaurus tools.

Build: ``python -m ontology.scheme build --wordnet /usr/share/wordnet
--models /work/shared/models --out ontology/data/concepts.json.gz``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from pathlib import Path

from ontology.wordnet import DEFAULT_WORDNET_DIR, Synset, load_wordnet

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_PATH = DATA_DIR / "concepts.json.gz"
DEFAULT_COCO_MAP = DATA_DIR / "coco_synsets.json"
FORMAT_VERSION = 1
SCHEME_URI = "https://lumen-dam.example/concepts/"
SCHEME_TITLE = "Lumen DAM concepts (WordNet 3.0 nouns above the ImageNet-1k and COCO-80 classes)"
ROOT_ID = "n00001740"  # entity.n.01

SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


# --------------------------------------------------------------------------
# Building


def read_imagenet_wnids(path: Path) -> list[str]:
    """ImageNet class ids in classifier order (line i is output index i)."""
    return [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]


def read_coco_map(path: Path) -> dict[str, dict[str, str]]:
    """The hand-made COCO label -> {"synset", "id"} map, in detector order."""
    return json.loads(Path(path).read_text())


def read_coco_names(path: Path) -> list[str]:
    """The detector's 80 label names in output order."""
    return [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]


def _check_coco_map(coco_map: dict, wordnet: dict[str, Synset], coco_names: list[str] | None) -> None:
    """Fail loudly on a typo in the hand-written map rather than ship a wrong sense."""
    if coco_names is not None and list(coco_map) != coco_names:
        raise ValueError("COCO map labels differ from the detector's label list")
    for label, entry in coco_map.items():
        synset = wordnet.get(entry["id"].removeprefix("n"))
        if synset is None or synset.name != entry["synset"]:
            raise ValueError(f"COCO label {label!r}: {entry} does not match WordNet")


def _check_imagenet(wnids: list[str], wordnet: dict[str, Synset]) -> None:
    """Every classifier class must be a WordNet 3.0 noun, or tags would dangle."""
    missing = [wnid for wnid in wnids if wnid.removeprefix("n") not in wordnet]
    if missing or len(set(wnids)) != len(wnids):
        raise ValueError(f"bad ImageNet ids: missing {missing[:5]} or duplicates")


def upward_closure(wordnet: dict[str, Synset], seeds: list[str]) -> set[str]:
    """Offsets of the seeds and everything above them (class + instance hypernyms)."""
    found, stack = set(), list(seeds)
    while stack:
        offset = stack.pop()
        if offset not in found:
            found.add(offset)
            stack.extend(wordnet[offset].parents)
    return found


def transitive_ancestors(broader: dict[str, list[str]]) -> dict[str, list[str]]:
    """All broader-transitive ids per concept (sorted), rejecting cycles."""
    done: dict[str, set[str]] = {}

    def visit(concept_id: str, path: frozenset[str]) -> set[str]:
        if concept_id in path:
            raise ValueError(f"broader cycle through {concept_id}")
        if concept_id not in done:
            result: set[str] = set()
            for parent in broader[concept_id]:
                result |= {parent} | visit(parent, path | {concept_id})
            done[concept_id] = result
        return done[concept_id]

    return {cid: sorted(visit(cid, frozenset())) for cid in broader}


def _concept(synset: Synset, imagenet_index: int | None, coco_label: str | None) -> dict:
    """One concept record as stored in the file (ancestors added afterwards)."""
    return {
        "id": synset.id,
        "name": synset.name,
        "pref_label": synset.lemmas[0],
        "alt_labels": list(synset.lemmas[1:]),
        "definition": synset.definition,
        "broader": sorted("n" + p for p in set(synset.parents)),
        "imagenet_index": imagenet_index,
        "coco_label": coco_label,
    }


def build_scheme(
    wordnet_dir: Path,
    imagenet_wnids_path: Path,
    coco_map_path: Path,
    coco_names_path: Path | None = None,
) -> dict:
    """Build the scheme dict from WordNet and the model class lists.

    ``coco_names_path`` (the detector's label file), when given, is checked
    against the COCO map so a relabelled detector cannot silently drift.
    """
    wordnet = load_wordnet(wordnet_dir)
    wnids = read_imagenet_wnids(imagenet_wnids_path)
    coco_map = read_coco_map(coco_map_path)
    _check_imagenet(wnids, wordnet)
    coco_names = read_coco_names(coco_names_path) if coco_names_path else None
    _check_coco_map(coco_map, wordnet, coco_names)

    imagenet_index = {wnid: i for i, wnid in enumerate(wnids)}
    coco_label = {entry["id"]: label for label, entry in coco_map.items()}
    seeds = [cid.removeprefix("n") for cid in [*wnids, *coco_label]]
    concepts = {}
    for offset in sorted(upward_closure(wordnet, seeds)):
        synset = wordnet[offset]
        concepts[synset.id] = _concept(synset, imagenet_index.get(synset.id), coco_label.get(synset.id))
    ancestors = transitive_ancestors({cid: c["broader"] for cid, c in concepts.items()})
    for cid, concept in concepts.items():
        concept["ancestors"] = ancestors[cid]
    return {
        "format": FORMAT_VERSION,
        "title": SCHEME_TITLE,
        "uri": SCHEME_URI,
        "source": "WordNet 3.0 noun database. WordNet 3.0 Copyright 2006 by Princeton University. "
        "All rights reserved. Licence: ontology/data/README.md",
        "root": ROOT_ID,
        "imagenet_classes": wnids,
        "coco_classes": {label: entry["id"] for label, entry in coco_map.items()},
        "concepts": concepts,
    }


# --------------------------------------------------------------------------
# Storage


def write_scheme(scheme: dict, path: Path) -> None:
    """Write gzip JSON deterministically: sorted keys, mtime 0, no file name.

    Rebuilding from the same inputs then yields byte-identical output, so the
    committed file only changes in git when its content does.
    """
    text = json.dumps(scheme, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    Path(path).write_bytes(gzip.compress(text.encode("utf-8") + b"\n", compresslevel=9, mtime=0))


def load_scheme(path: Path = DEFAULT_PATH) -> dict:
    """Read a scheme written by :func:`write_scheme` (the committed one by default)."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def descendants(scheme: dict, concept_id: str) -> list[str]:
    """Ids of all concepts under ``concept_id`` (sorted), for "search by broader term"."""
    return sorted(cid for cid, c in scheme["concepts"].items() if concept_id in c["ancestors"])


# --------------------------------------------------------------------------
# SKOS export / import


def _turtle_string(value: str) -> str:
    """A Turtle double-quoted literal with the characters that need escaping escaped."""
    escaped = (
        value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    )
    return f'"{escaped}"'


def _turtle_concept(concept: dict) -> str:
    """One concept as a Turtle block, one predicate per line."""
    lines = [
        f"lumen:{concept['id']} a skos:Concept",
        f"skos:inScheme <{SCHEME_URI}>",
        f"skos:notation {_turtle_string(concept['name'])}",
        f"skos:prefLabel {_turtle_string(concept['pref_label'])}@en",
        *(f"skos:altLabel {_turtle_string(label)}@en" for label in concept["alt_labels"]),
        f"skos:definition {_turtle_string(concept['definition'])}@en",
        *(f"skos:broader lumen:{parent}" for parent in concept["broader"]),
    ]
    if not concept["broader"]:
        lines.append(f"skos:topConceptOf <{SCHEME_URI}>")
    return " ;\n    ".join(lines) + " .\n"


def to_skos_turtle(scheme: dict) -> str:
    """The scheme as SKOS in Turtle, for thesaurus tools and triple stores."""
    header = (
        f"@prefix skos: <{SKOS}> .\n"
        f"@prefix lumen: <{SCHEME_URI}> .\n\n"
        f"<{SCHEME_URI}> a skos:ConceptScheme ;\n"
        f"    skos:prefLabel {_turtle_string(scheme['title'])}@en ;\n"
        f"    skos:hasTopConcept lumen:{scheme['root']} .\n"
    )
    blocks = (_turtle_concept(scheme["concepts"][cid]) for cid in sorted(scheme["concepts"]))
    return "\n".join([header, *blocks])


_TOKEN = re.compile(
    r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<iri><[^<>"\s]*>)
  | (?P<string>"(?:[^"\\\n]|\\.)*")(?:@(?P<lang>[A-Za-z]+(?:-[A-Za-z0-9]+)*))?
  | (?P<prefix>@prefix)
  | (?P<pname>[A-Za-z][\w-]*:[\w-]*|:[\w-]*)
  | (?P<a>a(?=\s))
  | (?P<punct>[;,.])
    """,
    re.VERBOSE,
)
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(body: str) -> str:
    """Undo Turtle string escapes (ECHAR and \\u / \\U code points)."""
    return _ESCAPE.sub(lambda m: chr(int(m[1] or m[2], 16)) if m[1] or m[2] else _ECHAR[m[3]], body)


def _tokens(text: str):
    """Yield (kind, value) tokens of the Turtle subset written by to_skos_turtle."""
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ValueError(f"unsupported Turtle at offset {pos}: {text[pos:pos + 40]!r}")
        pos = match.end()
        kind = match.lastgroup if match.lastgroup != "lang" else "string"
        if kind == "string":
            yield "literal", (_unescape(match["string"][1:-1]), match["lang"])
        elif kind != "space":
            yield kind, match[kind]


def _statements(text: str):
    """Split the token stream into statements (token lists ended by '.')."""
    statement = []
    for token in _tokens(text):
        if token == ("punct", "."):
            yield statement
            statement = []
        else:
            statement.append(token)
    if statement:
        raise ValueError("Turtle ends inside a statement")


def _term(token, prefixes: dict[str, str]):
    """Resolve a token to a full IRI string or a (value, lang) literal tuple."""
    kind, value = token
    if kind == "iri":
        return value[1:-1]
    if kind == "pname":
        prefix, _, local = value.partition(":")
        return prefixes[prefix] + local
    if kind == "a":
        return RDF_TYPE
    if kind == "literal":
        return value
    raise ValueError(f"unexpected token {value!r}")


def _split(tokens: list, separator: str) -> list[list]:
    """Split a token list on a punctuation token (';' or ',')."""
    parts: list[list] = [[]]
    for token in tokens:
        if token == ("punct", separator):
            parts.append([])
        else:
            parts[-1].append(token)
    return [part for part in parts if part]


def parse_turtle(text: str) -> list[tuple]:
    """Triples (subject IRI, predicate IRI, object) from a simple Turtle document.

    Supports @prefix, IRIs, prefixed names, ``a``, string literals with
    language tags, and ';' / ',' lists — the subset :func:`to_skos_turtle`
    emits — because rdflib is not a dependency.
    """
    prefixes: dict[str, str] = {}
    triples = []
    for statement in _statements(text):
        if statement[0][0] == "prefix":
            prefixes[statement[1][1].rstrip(":")] = _term(statement[2], prefixes)
            continue
        subject = _term(statement[0], prefixes)
        for predicate_objects in _split(statement[1:], ";"):
            predicate = _term(predicate_objects[0], prefixes)
            for obj in _split(predicate_objects[1:], ","):
                triples.append((subject, predicate, _term(obj[0], prefixes)))
    return triples


def _local_id(iri: str) -> str:
    """Concept id from its IRI (the part after the scheme base, if it has one)."""
    return iri.removeprefix(SCHEME_URI)


def from_skos_turtle(text: str) -> list[dict]:
    """Concepts (id, name, labels, definition, broader) from SKOS Turtle, in file order."""
    concepts: dict[str, dict] = {}
    for subject, predicate, obj in parse_turtle(text):
        concept = concepts.setdefault(
            subject,
            {"id": _local_id(subject), "name": None, "pref_label": None, "alt_labels": [],
             "definition": None, "broader": [], "is_concept": False},
        )
        if predicate == RDF_TYPE:
            concept["is_concept"] |= obj == SKOS + "Concept"
        elif predicate == SKOS + "notation":
            concept["name"] = obj[0]
        elif predicate == SKOS + "prefLabel":
            concept["pref_label"] = obj[0]
        elif predicate == SKOS + "altLabel":
            concept["alt_labels"].append(obj[0])
        elif predicate == SKOS + "definition":
            concept["definition"] = obj[0]
        elif predicate == SKOS + "broader":
            concept["broader"].append(_local_id(obj))
    return [
        {key: value for key, value in concept.items() if key != "is_concept"}
        for concept in concepts.values()
        if concept["is_concept"]
    ]


def to_skos_jsonld(scheme: dict) -> dict:
    """The scheme as SKOS JSON-LD (compact form with a context), for web clients."""
    context = {
        "skos": SKOS,
        "lumen": SCHEME_URI,
        "notation": "skos:notation",
        "prefLabel": {"@id": "skos:prefLabel", "@language": "en"},
        "altLabel": {"@id": "skos:altLabel", "@language": "en", "@container": "@set"},
        "definition": {"@id": "skos:definition", "@language": "en"},
        "broader": {"@id": "skos:broader", "@type": "@id", "@container": "@set"},
        "inScheme": {"@id": "skos:inScheme", "@type": "@id"},
        "hasTopConcept": {"@id": "skos:hasTopConcept", "@type": "@id"},
    }
    scheme_node = {
        "@id": SCHEME_URI,
        "@type": "skos:ConceptScheme",
        "prefLabel": scheme["title"],
        "hasTopConcept": f"lumen:{scheme['root']}",
    }
    concept_nodes = [
        {
            "@id": f"lumen:{c['id']}",
            "@type": "skos:Concept",
            "inScheme": SCHEME_URI,
            "notation": c["name"],
            "prefLabel": c["pref_label"],
            "altLabel": c["alt_labels"],
            "definition": c["definition"],
            "broader": [f"lumen:{p}" for p in c["broader"]],
        }
        for _, c in sorted(scheme["concepts"].items())
    ]
    return {"@context": context, "@graph": [scheme_node, *concept_nodes]}


# --------------------------------------------------------------------------
# CLI


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse ``build`` and its options (WordNet dir, models dir, COCO map, output)."""
    parser = argparse.ArgumentParser(prog="python -m ontology.scheme", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build the concept file from WordNet 3.0")
    build.add_argument("--wordnet", type=Path, default=DEFAULT_WORDNET_DIR, help="WordNet 3.0 dict directory")
    build.add_argument(
        "--models", type=Path, required=True, help="directory with imagenet1k_wnids.txt and coco80_names.txt"
    )
    build.add_argument("--coco-map", type=Path, default=DEFAULT_COCO_MAP, help="COCO label -> synset JSON")
    build.add_argument("--out", type=Path, default=DEFAULT_PATH, help="output .json.gz")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m ontology.scheme build``."""
    args = _parse_args(argv)
    scheme = build_scheme(
        args.wordnet,
        args.models / "imagenet1k_wnids.txt",
        args.coco_map,
        coco_names_path=args.models / "coco80_names.txt",
    )
    write_scheme(scheme, args.out)
    print(
        f"wrote {len(scheme['concepts'])} concepts ({len(scheme['imagenet_classes'])} ImageNet, "
        f"{len(scheme['coco_classes'])} COCO) to {args.out} ({args.out.stat().st_size} bytes)"
    )


if __name__ == "__main__":
    main()
