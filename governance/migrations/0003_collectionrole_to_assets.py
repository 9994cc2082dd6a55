from django.db import migrations


class Migration(migrations.Migration):
    """CollectionRole moves next to Collection (assets 0005 takes over its table); only the state leaves here."""

    dependencies = [("governance", "0002_auditentry_append_only")]
    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="CollectionRole")]),
    ]
