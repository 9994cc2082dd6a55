from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("assets", "0002_asset_moderation_state"),
    ]

    operations = [
        migrations.AddField(
            model_name="collection",
            name="anonymise_faces",
            field=models.BooleanField(default=False, help_text="Blur faces in every rendition of its assets."),
        ),
        migrations.AddField(
            model_name="asset",
            name="anonymise_faces",
            field=models.BooleanField(default=False, help_text="Blur faces in every rendition (set at upload)."),
        ),
    ]
