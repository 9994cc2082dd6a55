import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Concept labels belong to the ontology: search's label table, filled by search's migration 0003,
    becomes ``ontology_conceptlabel`` with its rows (search's 0006 then forgets the model)."""

    dependencies = [
        ("ontology", "0002_load_wordnet_concepts"),
        ("search", "0003_trigram_functions_and_labels"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL("ALTER TABLE search_conceptlabel RENAME TO ontology_conceptlabel",
                                  "ALTER TABLE ontology_conceptlabel RENAME TO search_conceptlabel"),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="ConceptLabel",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("label", models.CharField(max_length=200)),
                        ("label_normalised", models.CharField(max_length=200)),
                        ("is_pref", models.BooleanField()),
                        ("words", models.PositiveSmallIntegerField()),
                        ("concept", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                                      to="ontology.concept")),
                    ],
                    options={
                        "indexes": [models.Index(fields=["label_normalised"], name="search_label_norm",
                                                 opclasses=["varchar_pattern_ops"])],
                    },
                ),
            ],
        ),
        migrations.RenameIndex(model_name="conceptlabel", new_name="concept_label_norm", old_name="search_label_norm"),
    ]
