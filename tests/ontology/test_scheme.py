"""The committed concept scheme (ontology/data/concepts.json.gz) and its SKOS helpers.

Uses only committed files, so it runs without WordNet installed; checks that
read the shared model class lists skip when those are absent.
"""

import gzip
import json
import os
from pathlib import Path

import pytest

from ontology.scheme import (
    DEFAULT_COCO_MAP,
    DEFAULT_PATH,
    ROOT_ID,
    SCHEME_URI,
    descendants,
    from_skos_turtle,
    load_scheme,
    parse_turtle,
    to_skos_jsonld,
    to_skos_turtle,
    transitive_ancestors,
    upward_closure,
    write_scheme,
)
from ontology.wordnet import Synset

REPO = Path(__file__).resolve().parents[2]
MODELS = Path(os.environ.get("LUMEN_SHARED_DIR", REPO.parent / "shared")) / "models"

DOG, BIRD, VEHICLE, ANIMAL = "n02084071", "n01503061", "n04524313", "n00015388"
CAT = "n02121620"  # cat.n.01 ("true cat")
IMAGENET_CATS = ["n02123045", "n02123159", "n02123394", "n02123597", "n02124075"]  # tabby … Egyptian cat


@pytest.fixture(scope="module")
def scheme():
    return load_scheme()


@pytest.fixture(scope="module")
def concepts(scheme):
    return scheme["concepts"]


def imagenet_classes_under(concepts, concept_id):
    return [c for c in concepts.values() if c["imagenet_index"] is not None and concept_id in c["ancestors"]]


def test_file_is_small_and_has_the_documented_keys(scheme, concepts):
    assert DEFAULT_PATH.stat().st_size < 1_000_000
    assert set(scheme) == {"format", "title", "uri", "source", "root", "imagenet_classes", "coco_classes", "concepts"}
    assert scheme["root"] == ROOT_ID and scheme["uri"] == SCHEME_URI
    keys = {"id", "name", "pref_label", "alt_labels", "definition", "broader", "ancestors", "imagenet_index",
            "coco_label"}
    assert all(set(c) == keys and c["id"] == cid for cid, c in concepts.items())


@pytest.mark.parametrize(
    ("concept_id", "name", "count"),
    [(DOG, "dog.n.01", 118), (BIRD, "bird.n.01", 59), (VEHICLE, "vehicle.n.01", 67), (ANIMAL, "animal.n.01", 398)],
)
def test_imagenet_counts_under_broad_concepts_match_the_models_readme(concepts, concept_id, name, count):
    assert concepts[concept_id]["name"] == name
    assert len(imagenet_classes_under(concepts, concept_id)) == count


def test_labels_and_definition(concepts):
    shark = concepts["n01484850"]
    assert shark["name"] == "great_white_shark.n.01"
    assert shark["pref_label"] == "great white shark"
    assert "white shark" in shark["alt_labels"]
    assert shark["definition"] == "large aggressive shark widespread in warm seas; known to attack humans"


def test_every_imagenet_class_is_a_concept_at_its_index(scheme, concepts):
    classes = scheme["imagenet_classes"]
    assert len(classes) == len(set(classes)) == 1000
    assert all(concepts[cid]["imagenet_index"] == i for i, cid in enumerate(classes))
    assert sum(c["imagenet_index"] is not None for c in concepts.values()) == 1000


@pytest.mark.skipif(not (MODELS / "imagenet1k_wnids.txt").is_file(), reason=f"model class lists not at {MODELS}")
def test_imagenet_order_matches_the_classifier():
    wnids = (MODELS / "imagenet1k_wnids.txt").read_text().split()
    assert load_scheme()["imagenet_classes"] == wnids


def test_every_coco_class_is_a_concept(scheme, concepts):
    coco_map = json.loads(DEFAULT_COCO_MAP.read_text())
    assert len(coco_map) == 80
    assert scheme["coco_classes"] == {label: entry["id"] for label, entry in coco_map.items()}
    for label, entry in coco_map.items():
        assert concepts[entry["id"]]["coco_label"] == label
        assert concepts[entry["id"]]["name"] == entry["synset"]


@pytest.mark.skipif(not (MODELS / "coco80_names.txt").is_file(), reason=f"model class lists not at {MODELS}")
def test_coco_map_follows_the_detector_label_order():
    names = [line for line in (MODELS / "coco80_names.txt").read_text().splitlines() if line.strip()]
    assert list(json.loads(DEFAULT_COCO_MAP.read_text())) == names


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("mouse", "mouse.n.04"),  # computer mouse, not the rodent
        ("tv", "television_receiver.n.01"),
        ("remote", "remote_control.n.01"),
        ("cell phone", "cellular_telephone.n.01"),
        ("hot dog", "hotdog.n.02"),  # the sandwich, not the sausage or the show-off
        ("keyboard", "computer_keyboard.n.01"),
        ("hair drier", "hand_blower.n.01"),
        ("potted plant", "pot_plant.n.01"),
        ("orange", "orange.n.01"),  # the fruit, not the colour
    ],
)
def test_ambiguous_coco_labels_get_the_visual_sense(scheme, concepts, label, name):
    assert concepts[scheme["coco_classes"][label]]["name"] == name


def test_coco_cat_and_imagenet_cat_breeds_share_cat(scheme, concepts):
    coco_cat = concepts[scheme["coco_classes"]["cat"]]
    assert CAT in coco_cat["ancestors"]
    assert all(CAT in concepts[cid]["ancestors"] for cid in IMAGENET_CATS)


def test_two_wheelers_are_vehicles(scheme, concepts):
    motorcycle = scheme["coco_classes"]["motorcycle"]
    moped, scooter = "n03785016", "n03791053"
    assert concepts[scooter]["pref_label"] == "motor scooter"
    assert all(VEHICLE in concepts[cid]["ancestors"] for cid in (motorcycle, moped, scooter))
    assert {motorcycle, moped, scooter} <= set(descendants({"concepts": concepts}, VEHICLE))


def test_graph_is_closed_acyclic_and_rooted_at_entity(concepts):
    assert concepts[ROOT_ID]["name"] == "entity.n.01"
    assert [cid for cid, c in concepts.items() if not c["broader"]] == [ROOT_ID]
    for cid, concept in concepts.items():
        assert cid not in concept["ancestors"]
        assert all(parent in concepts for parent in concept["broader"])
        expected = set(concept["broader"]).union(*(concepts[p]["ancestors"] for p in concept["broader"]))
        assert concept["ancestors"] == sorted(expected)
        assert cid == ROOT_ID or ROOT_ID in concept["ancestors"]


def test_every_concept_is_above_some_model_class(concepts):
    classes = {cid for cid, c in concepts.items() if c["imagenet_index"] is not None or c["coco_label"]}
    above = set(classes).union(*(concepts[cid]["ancestors"] for cid in classes))
    assert above == set(concepts)


def test_write_is_deterministic_and_round_trips(tmp_path, scheme):
    first, second = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    write_scheme(scheme, first)
    write_scheme(load_scheme(first), second)
    assert first.read_bytes() == second.read_bytes()
    assert gzip.decompress(first.read_bytes()) == gzip.decompress(DEFAULT_PATH.read_bytes())


def test_ancestors_reject_cycles():
    assert transitive_ancestors({"a": [], "b": ["a"], "c": ["b", "a"]}) == {"a": [], "b": ["a"], "c": ["a", "b"]}
    with pytest.raises(ValueError, match="cycle"):
        transitive_ancestors({"a": ["c"], "b": ["a"], "c": ["b"]})


def test_upward_closure_follows_class_and_instance_hypernyms():
    wordnet = {
        "1": Synset("1", 3, ("root",), "", (), ()),
        "2": Synset("2", 3, ("river",), "", ("1",), ()),
        "3": Synset("3", 17, ("Orange River",), "", (), ("2",)),
        "4": Synset("4", 3, ("unrelated",), "", ("1",), ()),
    }
    assert upward_closure(wordnet, ["3"]) == {"1", "2", "3"}


def test_turtle_round_trip_keeps_ids_labels_and_broader(scheme, concepts):
    turtle = to_skos_turtle(scheme)
    assert f"<{SCHEME_URI}> a skos:ConceptScheme" in turtle
    imported = from_skos_turtle(turtle)
    assert [c["id"] for c in imported] == sorted(concepts)
    for concept in imported:
        original = concepts[concept["id"]]
        assert concept == {key: original[key] for key in concept}


def test_turtle_escapes_awkward_strings():
    tricky = 'say "hi" \\ back\\slash\nnew line\ttab — café'
    scheme = {
        "title": "t",
        "root": "n1",
        "concepts": {
            "n1": {"id": "n1", "name": "x.n.01", "pref_label": tricky, "alt_labels": ["a", 'b"'],
                   "definition": tricky, "broader": []},
            "n2": {"id": "n2", "name": "y.n.01", "pref_label": "y", "alt_labels": [], "definition": "",
                   "broader": ["n1"]},
        },
    }
    imported = {c["id"]: c for c in from_skos_turtle(to_skos_turtle(scheme))}
    assert imported["n1"]["pref_label"] == imported["n1"]["definition"] == tricky
    assert imported["n1"]["alt_labels"] == ["a", 'b"']
    assert imported["n2"]["broader"] == ["n1"]


def test_turtle_parser_handles_comma_lists_and_comments():
    text = (
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "# a comment\n"
        '<https://lumen-dam.example/concepts/n9> a skos:Concept ; skos:altLabel "p"@en, "q"@en-GB .\n'
    )
    assert [t[2] for t in parse_turtle(text)][1:] == [("p", "en"), ("q", "en-GB")]
    assert from_skos_turtle(text)[0]["alt_labels"] == ["p", "q"]


def test_jsonld_export(scheme, concepts):
    document = to_skos_jsonld(scheme)
    assert document["@context"]["skos"] == "http://www.w3.org/2004/02/skos/core#"
    graph = {node["@id"]: node for node in document["@graph"]}
    assert graph[SCHEME_URI]["@type"] == "skos:ConceptScheme"
    dog = graph[f"lumen:{DOG}"]
    assert dog["prefLabel"] == "dog" and "domestic dog" in dog["altLabel"]
    assert dog["broader"] == [f"lumen:{p}" for p in concepts[DOG]["broader"]]
    assert len(graph) == len(concepts) + 1
    json.dumps(document)  # serialisable as-is
