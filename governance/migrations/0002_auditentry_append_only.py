"""Make assets_auditentry append-only in the database, not just in the code.

UPDATE and DELETE raise, with one exception: nulling ``actor_id`` or ``asset_id`` and nothing else,
which is how ON DELETE SET NULL runs when a user is removed or an asset is purged; the entry keeps
its object id, before/after and time. (TRUNCATE by the table owner is not row-level and stays possible
for test-database flushes.)
"""
from django.db import migrations

FORWARD = """
CREATE FUNCTION assets_auditentry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND (NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id OR NEW.actor_id IS NULL)
       AND (NEW.asset_id IS NOT DISTINCT FROM OLD.asset_id OR NEW.asset_id IS NULL)
       AND (to_jsonb(NEW) - 'actor_id' - 'asset_id') = (to_jsonb(OLD) - 'actor_id' - 'asset_id')
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'assets_auditentry is append-only (% of entry %)', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER assets_auditentry_append_only
    BEFORE UPDATE OR DELETE ON assets_auditentry
    FOR EACH ROW EXECUTE FUNCTION assets_auditentry_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS assets_auditentry_append_only ON assets_auditentry;
DROP FUNCTION IF EXISTS assets_auditentry_append_only();
"""


class Migration(migrations.Migration):

    dependencies = [
        ("governance", "0001_initial"),
        ("assets", "0004_asset_retention"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
