"""Query words to concepts: normalising, longest phrases, senses, typos; against the migrated label table."""
import pytest

from ontology.models import Concept
from ontology.services import add_custom_concept
from search.concepts import choose, concepts_named, interpret, normalise, refresh_labels, singular
from search.models import ConceptLabel, SearchTerm

CRANE_BIRD, CRANE_MACHINE = "n02012849", "n03126707"
GREAT_WHITE_SHARK = "n01484850"


@pytest.mark.parametrize("plural, expected", [
    ("cats", "cat"), ("buses", "bus"), ("bus", "bus"), ("puppies", "puppy"), ("boxes", "box"),
    ("watches", "watch"), ("glasses", "glass"), ("glass", "glass"), ("mice", "mouse"), ("people", "person"),
    ("geese", "goose"), ("children", "child"), ("men", "man"), ("women", "woman"), ("knives", "knife"),
    ("leaves", "leaf"), ("wolves", "wolf"), ("horses", "horse"), ("platypus", "platypus"), ("lens", "lens"),
    ("cookies", "cookie"), ("sheep", "sheep"), ("gas", "gas"),
])
def test_singular(plural, expected):
    assert singular(plural) == expected


def test_normalise_strips_case_accents_possessives_and_punctuation():
    assert normalise("Great White SHARKS!") == "great white shark"
    assert normalise("jack-o'-lantern") == "jack o lantern"
    assert normalise("Carpenter's kit") == "carpenter kit"
    assert normalise("café crème") == "cafe creme"


@pytest.mark.django_db
def test_migration_filled_labels_for_every_concept():
    assert ConceptLabel.objects.values("concept").distinct().count() == Concept.objects.count()
    assert ConceptLabel.objects.filter(label_normalised="white shark", concept_id=GREAT_WHITE_SHARK).exists()
    assert SearchTerm.objects.filter(term="elephant").exists()


@pytest.mark.django_db
def test_longest_phrase_wins_and_plurals_match():
    interpretation = interpret("Great white sharks near a bus")
    assert [(m.phrase, m.concept_ids) for m in interpretation.matches] == [
        ("great white shark", [GREAT_WHITE_SHARK]),
        ("bus", ["n02924116"]),
    ]


@pytest.mark.django_db
def test_ambiguous_word_keeps_every_sense_until_one_is_picked():
    interpretation = interpret("crane")
    (match,) = interpretation.matches
    assert match.ambiguous and set(match.concept_ids) == {CRANE_BIRD, CRANE_MACHINE}
    choose(interpretation, [CRANE_MACHINE])
    assert interpretation.concept_groups == [[CRANE_MACHINE]]


@pytest.mark.django_db
def test_concepts_named_by_label_id_or_wordnet_name():
    assert [c.pk for c in concepts_named("Tabby Cats")] == ["n02123045"]  # normalised like queries
    assert {c.pk for c in concepts_named("crane")} == {CRANE_BIRD, CRANE_MACHINE}
    assert [c.pk for c in concepts_named("crane.n.05")] == [CRANE_BIRD]
    assert [c.pk for c in concepts_named(CRANE_MACHINE)] == [CRANE_MACHINE]
    assert concepts_named("flibbertigibbet") == []


@pytest.mark.django_db
def test_a_picked_concept_outside_the_words_adds_a_group():
    interpretation = choose(interpret("crane"), ["n02121620"])
    assert interpretation.concept_groups[-1] == ["n02121620"]
    assert interpretation.matches[-1].phrase == "cat"


@pytest.mark.django_db
def test_irregular_plural_people_means_person():
    assert interpret("people").concept_groups == [["n00007846"]]


@pytest.mark.django_db
@pytest.mark.parametrize("typo, word", [("elefant", "elephant"), ("motorcyle", "motorcycle"), ("girafe", "giraffe")])
def test_typos_are_corrected_from_the_vocabulary(typo, word):
    interpretation = interpret(f"{typo}s")
    assert interpretation.corrections == {typo: word}
    assert interpretation.showing_results_for == word
    assert interpretation.matches and interpretation.matches[0].phrase == word


@pytest.mark.django_db
def test_known_words_are_not_corrected():
    assert interpret("tabby on the sofa").corrections == {}


@pytest.mark.django_db
def test_a_custom_concept_becomes_a_sense_of_its_words(actor):
    """"mouse" is only the computer mouse in the scheme until a team adds the rodent."""
    assert len(interpret("mice").matches[0].senses) == 1
    rodent = Concept.objects.get(pref_label="rodent")
    add_custom_concept("field mouse", broader=rodent, alt_labels=["mouse"], actor=actor)
    (match,) = interpret("mice").matches
    assert match.ambiguous
    assert {s.label for s in match.senses} == {"mouse", "field mouse"}


@pytest.mark.django_db
def test_refresh_labels_rebuilds_the_table_after_a_bulk_sync():
    Concept.objects.filter(pk=GREAT_WHITE_SHARK).update(alt_labels=["white death"])  # as a bulk sync would
    assert interpret("white death").concept_groups == []
    refresh_labels()
    assert interpret("white death").concept_groups == [[GREAT_WHITE_SHARK]]
    assert not ConceptLabel.objects.filter(label_normalised="white shark").exists()
