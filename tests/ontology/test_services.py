"""The concept table as the app sees it: loaded by migration, extendable, exportable."""
import pytest
from django.core.management import call_command

from core.models import AuditEntry
from ontology.models import Concept
from ontology.scheme import from_skos_turtle
from ontology.services import add_custom_concept, sync_concepts

pytestmark = pytest.mark.django_db


def test_migration_loaded_the_wordnet_scheme():
    assert Concept.objects.count() >= 1900
    shark = Concept.objects.get(pref_label="great white shark")
    assert "white shark" in shark.alt_labels
    dog = Concept.objects.get(name="dog.n.01")
    assert Concept.objects.filter(ancestors__contains=[dog.pk], imagenet_index__isnull=False).count() == 118


def test_sync_is_idempotent():
    before = Concept.objects.count()
    sync_concepts()
    assert Concept.objects.count() == before


def test_custom_concept_sits_under_its_parent_with_full_closure(actor):
    signboard = Concept.objects.get(name="street_sign.n.01")
    signage = add_custom_concept("Shop signage", broader=signboard, actor=actor, alt_labels=["shop sign"])
    assert signage.ancestors[0] == signboard.pk and set(signboard.ancestors) <= set(signage.ancestors)
    assert AuditEntry.objects.filter(action="concept.create").count() == 1
    sync_concepts()
    assert Concept.objects.filter(pk=signage.pk).exists()


def test_skos_export_and_import_round_trip(actor, tmp_path, capsys):
    add_custom_concept("Product shot", broader=Concept.objects.get(name="artifact.n.01"), actor=actor)
    call_command("export_skos")
    turtle = capsys.readouterr().out
    concepts = {c["id"]: c for c in from_skos_turtle(turtle)}
    assert concepts["x-product-shot"]["pref_label"] == "Product shot"

    Concept.objects.filter(pk="x-product-shot").delete()
    path = tmp_path / "scheme.ttl"
    path.write_text(turtle)
    call_command("import_skos", str(path))
    assert Concept.objects.get(pk="x-product-shot").source == "custom"
