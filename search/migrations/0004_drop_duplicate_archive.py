from django.db import migrations


class Migration(migrations.Migration):
    """Duplicates kept aside now go to the trash (governance.services.retention), which search already hides."""

    dependencies = [
        ('search', '0003_trigram_functions_and_labels'),
    ]

    operations = [
        migrations.DeleteModel(
            name='DuplicateArchive',
        ),
    ]
