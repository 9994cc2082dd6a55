from django.db import migrations, models

# Existing assets take what their current file says, as new uploads do (assets.services.ingest).
FILL_FROM_CURRENT_FILE = """
UPDATE assets_asset a
   SET keywords = CASE WHEN jsonb_typeof(v.metadata -> 'keywords') = 'array' THEN v.metadata -> 'keywords'
                       ELSE '[]'::jsonb END,
       creator = left(coalesce(v.metadata ->> 'creator', ''), 300),
       credit = left(coalesce(v.metadata ->> 'credit', ''), 300),
       copyright = left(coalesce(v.metadata ->> 'copyright', ''), 500)
  FROM assets_assetversion v
 WHERE v.id = a.current_version_id
"""


class Migration(migrations.Migration):
    """Descriptive metadata people edit, on the asset (it was only what the current file said)."""

    dependencies = [("assets", "0005_collectionrole_from_governance")]

    operations = [
        migrations.AddField("asset", "alt_text", models.CharField(
            blank=True, help_text="Text read out in place of the image.", max_length=1000)),
        migrations.AddField("asset", "keywords", models.JSONField(blank=True, default=list)),
        migrations.AddField("asset", "creator", models.CharField(blank=True, max_length=300)),
        migrations.AddField("asset", "credit", models.CharField(blank=True, max_length=300)),
        migrations.AddField("asset", "copyright", models.CharField(
            blank=True, help_text="Copyright notice, e.g. “© 2024 Ada Lovelace”.", max_length=500)),
        migrations.AddField("asset", "metadata_revision", models.PositiveIntegerField(default=0)),
        migrations.RunSQL(FILL_FROM_CURRENT_FILE, migrations.RunSQL.noop),
    ]
