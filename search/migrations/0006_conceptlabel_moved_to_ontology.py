from django.db import migrations


class Migration(migrations.Migration):
    """The label table is the ontology's now (renamed by its migration 0003): search only forgets the model."""

    dependencies = [
        ("search", "0005_vector_side_tables"),
        ("ontology", "0003_conceptlabel"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="ConceptLabel")]),
    ]
