import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The append-only trigger (governance 0002) follows the table; its function and messages take the new name.
RENAME = """
ALTER TABLE assets_auditentry RENAME TO core_auditentry;
DROP TRIGGER assets_auditentry_append_only ON core_auditentry;
DROP FUNCTION assets_auditentry_append_only();
CREATE FUNCTION core_auditentry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND (NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id OR NEW.actor_id IS NULL)
       AND (NEW.asset_id IS NOT DISTINCT FROM OLD.asset_id OR NEW.asset_id IS NULL)
       AND (to_jsonb(NEW) - 'actor_id' - 'asset_id') = (to_jsonb(OLD) - 'actor_id' - 'asset_id')
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'core_auditentry is append-only (% of entry %)', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER core_auditentry_append_only
    BEFORE UPDATE OR DELETE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION core_auditentry_append_only();
"""

RENAME_BACK = """
DROP TRIGGER core_auditentry_append_only ON core_auditentry;
ALTER FUNCTION core_auditentry_append_only() RENAME TO assets_auditentry_append_only;
ALTER TABLE core_auditentry RENAME TO assets_auditentry;
CREATE TRIGGER assets_auditentry_append_only
    BEFORE UPDATE OR DELETE ON assets_auditentry
    FOR EACH ROW EXECUTE FUNCTION assets_auditentry_append_only();
"""


def relabel(old_app, new_app):
    def forwards(apps, schema_editor):
        apps.get_model("contenttypes", "ContentType").objects.filter(app_label=old_app, model="auditentry").update(
            app_label=new_app)
    return forwards


class Migration(migrations.Migration):
    """The audit log moves from assets to core, which every app may import; its rows and trigger stay."""

    initial = True
    dependencies = [
        ("assets", "0005_collectionrole_from_governance"),
        ("governance", "0002_auditentry_append_only"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(RENAME, RENAME_BACK)],
            state_operations=[migrations.CreateModel(
                name="AuditEntry",
                fields=[
                    ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                    ("action", models.CharField(db_index=True, max_length=60)),
                    ("object_type", models.CharField(blank=True, max_length=60)),
                    ("object_id", models.CharField(blank=True, max_length=64)),
                    ("before", models.JSONField(blank=True, null=True)),
                    ("after", models.JSONField(blank=True, null=True)),
                    ("ip_address", models.GenericIPAddressField(blank=True, null=True)),
                    ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                    ("actor", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                                                to=settings.AUTH_USER_MODEL)),
                    ("asset", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                related_name="audit_entries", to="assets.asset")),
                ],
                options={"verbose_name_plural": "audit entries", "ordering": ["-created_at", "-id"]},
            )],
        ),
        migrations.RunPython(relabel("assets", "core"), relabel("core", "assets")),
    ]
