from django.db import migrations, models


class Migration(migrations.Migration):
    """RapidOCR's version names its three stage models and reaches 100 characters."""

    dependencies = [
        ("enrichment", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="modelrun",
            name="version",
            field=models.CharField(max_length=200),
        ),
    ]
