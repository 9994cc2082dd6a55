from django.db import migrations, models


class Migration(migrations.Migration):
    """Indexes for keyset pages of the library and /api/assets/ (newest, oldest, title first)."""

    dependencies = [
        ("assets", "0006_descriptive_metadata"),
    ]

    operations = [
        migrations.AddIndex(model_name="asset", index=models.Index(fields=["created_at", "id"], name="asset_created_id")),
        migrations.AddIndex(model_name="asset", index=models.Index(fields=["title", "id"], name="asset_title_id")),
    ]
