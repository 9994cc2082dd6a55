from django.db import migrations


def load(apps, schema_editor):
    from ontology.services import sync_concepts

    sync_concepts(concept_model=apps.get_model("ontology", "Concept"))


class Migration(migrations.Migration):
    """Ship the concept scheme with the schema: a fresh database can label and search at once."""

    dependencies = [("ontology", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
