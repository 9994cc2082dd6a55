"""Concept labels: the normaliser labels and queries share, the label table, and what it announces."""
import pytest
from django.dispatch import receiver

from ontology.labels import concepts_named, names_of, normalise, refresh_labels, sense_names, singular
from ontology.models import Concept, ConceptLabel
from ontology.services import add_custom_concept
from ontology.signals import labels_changed

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


@pytest.mark.django_db
def test_concepts_named_by_label_id_or_wordnet_name():
    assert [c.pk for c in concepts_named("Tabby Cats")] == ["n02123045"]  # normalised like queries
    assert {c.pk for c in concepts_named("crane")} == {CRANE_BIRD, CRANE_MACHINE}
    assert [c.pk for c in concepts_named("crane.n.05")] == [CRANE_BIRD]
    assert [c.pk for c in concepts_named(CRANE_MACHINE)] == [CRANE_MACHINE]
    assert concepts_named("flibbertigibbet") == []


@pytest.mark.django_db
def test_senses_of_one_word_are_named_by_their_meaning_and_can_be_named_so(django_assert_max_num_queries):
    concepts = list(Concept.objects.filter(pk__in=[CRANE_BIRD, CRANE_MACHINE, "n02123045"]))
    with django_assert_max_num_queries(2):
        names = sense_names(concepts)
    assert names == {CRANE_BIRD: "crane (wading bird)", CRANE_MACHINE: "crane (lifting device)", "n02123045": "tabby"}
    assert names_of([CRANE_BIRD, "n99999999"]) == {CRANE_BIRD: "crane (wading bird)"}
    assert [c.pk for c in concepts_named("Crane (lifting device)")] == [CRANE_MACHINE]
    assert {c.pk for c in concepts_named("crane (no such thing)")} == set()


@pytest.mark.django_db
def test_refresh_labels_rebuilds_the_table_after_a_bulk_sync():
    Concept.objects.filter(pk=GREAT_WHITE_SHARK).update(alt_labels=["white death"])  # as a bulk sync would
    assert not ConceptLabel.objects.filter(label_normalised="white death").exists()
    refresh_labels()
    assert ConceptLabel.objects.get(label_normalised="white death").concept_id == GREAT_WHITE_SHARK
    assert not ConceptLabel.objects.filter(label_normalised="white shark").exists()


@pytest.mark.django_db
def test_a_saved_concept_gets_its_labels_and_announces_their_words(actor):
    announced = []

    @receiver(labels_changed)
    def remember(sender, words, **kwargs):
        announced.append((sender, words))

    try:
        concept = add_custom_concept("Field Mice", broader=Concept.objects.get(pref_label="rodent"),
                                     alt_labels=["mouse"], actor=actor)
    finally:
        labels_changed.disconnect(remember)
    assert sorted(ConceptLabel.objects.filter(concept=concept).values_list("label_normalised", "is_pref")) == [
        ("field mouse", True), ("mouse", False)]
    assert announced == [(ConceptLabel, {"field", "mouse"})]
