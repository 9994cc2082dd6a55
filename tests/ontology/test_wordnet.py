"""WordNet reader: line parsers on literal data.noun/index.noun lines, then the real database.

The database tests need Debian's ``wordnet-base`` (``/usr/share/wordnet``); they
also check that the committed concept file is exactly what a rebuild produces.
"""

import gzip
import os
from pathlib import Path

import pytest

from ontology.scheme import DEFAULT_COCO_MAP, DEFAULT_PATH, build_scheme, write_scheme
from ontology.wordnet import DEFAULT_WORDNET_DIR, Synset, load_wordnet, parse_data_line, parse_index_line, synset_name

SHARK_LINE = (
    "01484850 05 n 05 great_white_shark 0 white_shark 0 man-eater 0 man-eating_shark 0 "
    "Carcharodon_carcharias 0 002 @ 01483522 n 0000 #m 01484717 n 0000 | large aggressive shark "
    "widespread in warm seas; known to attack humans  "
)
ORANGE_RIVER_LINE = (
    "09379705 17 n 02 Orange 0 Orange_River 0 002 @i 09411430 n 0000 #p 08999482 n 0000 | "
    "a river in South Africa that flows generally westward to the Atlantic Ocean  "
)
CATTLE_LINE = (
    "02402425 05 n 05 cattle 0 cows 0 kine 0 oxen 0 Bos_taurus 0 003 @ 02402010 n 0000 "
    "#m 02401661 n 0000 ~ 02403003 n 0000 | domesticated bovine animals as a group regardless of "
    'sex or age; "so many head of cattle"; "seven thin and ill-favored kine"- Bible; "a team of oxen"  '
)

REPO = Path(__file__).resolve().parents[2]
MODELS = Path(os.environ.get("LUMEN_SHARED_DIR", REPO.parent / "shared")) / "models"
needs_wordnet = pytest.mark.skipif(
    not (DEFAULT_WORDNET_DIR / "data.noun").is_file(),
    reason="WordNet 3.0 not installed at /usr/share/wordnet (apt-get install wordnet-base)",
)


def test_data_line_lemmas_gloss_and_hypernyms():
    synset = parse_data_line(SHARK_LINE)
    assert synset.offset == "01484850"
    assert synset.id == "n01484850"
    assert synset.lex_filenum == 5
    assert synset.lemmas == (
        "great white shark", "white shark", "man-eater", "man-eating shark", "Carcharodon carcharias",
    )
    assert synset.hypernyms == ("01483522",)  # the "#m" member-holonym pointer is ignored
    assert synset.instance_hypernyms == ()
    assert synset.definition == "large aggressive shark widespread in warm seas; known to attack humans"


def test_instance_hypernyms_are_kept_apart_but_count_as_parents():
    synset = parse_data_line(ORANGE_RIVER_LINE)
    assert synset.hypernyms == ()
    assert synset.instance_hypernyms == ("09411430",)
    assert synset.parents == ("09411430",)


def test_definition_drops_usage_examples_but_gloss_keeps_them():
    synset = parse_data_line(CATTLE_LINE)
    assert synset.definition == "domesticated bovine animals as a group regardless of sex or age"
    assert '"a team of oxen"' in synset.gloss


def test_hex_word_count_and_adjective_markers():
    line = "00000001 03 n 0b " + " ".join(f"w{i}(a) 0" for i in range(11)) + " 000 | eleven words"
    assert parse_data_line(line).lemmas == tuple(f"w{i}" for i in range(11))


def test_index_line_gives_offsets_in_sense_order():
    line = "dog n 7 5 @ ~ #m #p %p 7 1 02084071 10114209 10023039 09886220 07676602 03901548 02710044  "
    lemma, offsets = parse_index_line(line)
    assert lemma == "dog"
    assert offsets[:2] == ["02084071", "10114209"] and len(offsets) == 7


def test_synset_name_uses_lowercased_first_lemma_and_sense_number():
    synset = Synset("00000002", 3, ("Orange River",), "", (), ())
    assert synset_name(synset, {"orange_river": ["00000009", "00000002"]}) == "orange_river.n.02"


@pytest.fixture(scope="module")
def wordnet():
    return load_wordnet()


@needs_wordnet
def test_database_size_and_nltk_style_names(wordnet):
    assert len(wordnet) == 82115  # noun synsets in WordNet 3.0
    assert wordnet["02084071"].name == "dog.n.01"
    assert wordnet["00002137"].name == "abstraction.n.06"
    assert wordnet["03793489"].name == "mouse.n.04"


@needs_wordnet
def test_database_relations(wordnet):
    assert wordnet["00001740"].parents == ()  # entity.n.01 is the only noun root
    assert wordnet["02084071"].hypernyms == ("02083346", "01317541")  # canine, domestic animal
    assert wordnet["09379705"].instance_hypernyms == ("09411430",)  # Orange River -> river
    assert wordnet["01484850"].lemmas[1] == "white shark"


@needs_wordnet
@pytest.mark.skipif(not (MODELS / "imagenet1k_wnids.txt").is_file(), reason=f"model class lists not at {MODELS}")
def test_committed_concept_file_is_what_a_rebuild_produces(tmp_path):
    scheme = build_scheme(
        DEFAULT_WORDNET_DIR,
        MODELS / "imagenet1k_wnids.txt",
        DEFAULT_COCO_MAP,
        coco_names_path=MODELS / "coco80_names.txt",
    )
    write_scheme(scheme, tmp_path / "concepts.json.gz")
    rebuilt = gzip.decompress((tmp_path / "concepts.json.gz").read_bytes())
    assert rebuilt == gzip.decompress(DEFAULT_PATH.read_bytes()), "rerun: python -m ontology.scheme build ..."
