from django.db import migrations, models


class Migration(migrations.Migration):
    """Each job keeps the CPU time of its model run and what it cost, for the enrichment API (docs/operations.md)."""

    dependencies = [
        ("enrichment", "0002_longer_model_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="enrichmentjob",
            name="cost",
            field=models.FloatField(blank=True, help_text="CPU (and GPU) time at the configured hourly prices.", null=True),
        ),
        migrations.AddField(
            model_name="enrichmentjob",
            name="cpu_ms",
            field=models.FloatField(blank=True, help_text="CPU time of the model run per image.", null=True),
        ),
    ]
