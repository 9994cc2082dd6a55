"""The permission gate hashes the ids of every asset in the caller's collections when Postgres expects to
check many rows; reading them from the heap of ``assets_asset_collections`` (one block per row: members of
a collection are scattered) cost ~650 ms for a viewer of 30 collections at 1M assets. With
(collection_id, asset_id) indexed they come from an index-only scan (docs/benchmarks.md, "Library-wide
pages")."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("assets", "0008_waiting_queue")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS asset_collections_members "
            "ON assets_asset_collections (collection_id, asset_id)",
            "DROP INDEX IF EXISTS asset_collections_members",
        ),
    ]
