"""Query words to concepts: longest phrases, senses, typos; against the migrated label table and vocabulary."""
import pytest

from ontology.labels import refresh_labels
from ontology.models import Concept
from ontology.services import add_custom_concept
from search.concepts import choose, interpret, related_concepts
from search.models import SearchTerm

CRANE_BIRD, CRANE_MACHINE = "n02012849", "n03126707"
GREAT_WHITE_SHARK = "n01484850"
TABBY = "n02123045"


@pytest.mark.django_db
def test_migration_filled_the_vocabulary_with_label_words():
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
def test_refreshed_labels_are_looked_up_and_their_words_learnt():
    Concept.objects.filter(pk=GREAT_WHITE_SHARK).update(alt_labels=["white grisamentum"])  # as a bulk sync would
    assert interpret("white grisamentum").concept_groups == []
    refresh_labels()
    assert SearchTerm.objects.filter(term="grisamentum").exists()
    assert interpret("white grisamentum").concept_groups == [[GREAT_WHITE_SHARK]]


SUNGLASSES, SUNGLASS = "n04356056", "n04355933"


@pytest.mark.django_db
def test_a_label_spelt_as_typed_wins_over_the_naive_singular():
    """"sunglasses" and "sunglass" both normalise to "sunglass"; the dark glasses are what was typed."""
    assert interpret("sunglasses").concept_groups == [[SUNGLASSES]]
    assert interpret("sunglass").concept_groups == [[SUNGLASS]]
    assert len(interpret("dogs").matches[0].senses) == 1  # no label "dogs": the singular still finds dog


@pytest.mark.django_db
@pytest.mark.parametrize("text, phrases, colours", [
    ("red car", ["car"], ["red"]),
    ("a grey cat", ["cat"], ["grey"]),
    ("gray", [], ["grey"]),
    ("brown bear", ["brown bear"], []),      # inside a longer label the colour is the concept's
    ("orange", ["orange"], []),              # alone, a colour word that names a concept is the concept
    ("orange flowers", ["flower"], ["orange"]),
])
def test_colour_words_beside_other_words_are_colours(text, phrases, colours):
    interpretation = interpret(text)
    assert [m.phrase for m in interpretation.matches] == phrases
    assert interpretation.colours == colours


@pytest.mark.django_db
def test_stop_words_never_match_alone():
    assert [m.phrase for m in interpret("something to sit on").matches] == []
    assert [m.phrase for m in interpret("a dog on the beach").matches] == ["dog"]  # "beach" names no concept


@pytest.mark.django_db
def test_related_concepts_come_from_labels_and_definitions_and_need_images(library, user):
    assert related_concepts(["kitchen"], user) == []  # the library has no kitchen appliance nor utensil
    assert [s.concept_id for s in related_concepts(["mottled"], user)] == [TABBY]  # "...mottled with black"
