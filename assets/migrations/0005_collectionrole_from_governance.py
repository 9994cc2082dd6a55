import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def relabel(old_app, new_app, model):
    """Content types (and so admin permissions) follow a model that changes app."""
    def forwards(apps, schema_editor):
        apps.get_model("contenttypes", "ContentType").objects.filter(app_label=old_app, model=model).update(
            app_label=new_app)
    return forwards


class Migration(migrations.Migration):
    """CollectionRole comes from governance: the base permission gate reads it, so it sits next to Collection.
    The table keeps its rows and is renamed; AuditEntry leaves for core (core 0001 takes over its table)."""

    dependencies = [
        ("assets", "0004_asset_retention"),
        ("governance", "0003_collectionrole_to_assets"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(
                "ALTER TABLE governance_collectionrole RENAME TO assets_collectionrole",
                "ALTER TABLE assets_collectionrole RENAME TO governance_collectionrole",
            )],
            state_operations=[migrations.CreateModel(
                name="CollectionRole",
                fields=[
                    ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                    ("role", models.CharField(choices=[
                        ("viewer", "Viewer: see and download"),
                        ("contributor", "Contributor: also upload into the collection"),
                        ("editor", "Editor: also change, trash and set rights of any asset"),
                        ("moderator", "Moderator: also see flagged assets, approve and reject"),
                        ("admin", "Admin: also grant roles on the collection")], max_length=20)),
                    ("created_at", models.DateTimeField(auto_now_add=True)),
                    ("collection", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="roles",
                                                     to="assets.collection")),
                    ("granted_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                     related_name="+", to=settings.AUTH_USER_MODEL)),
                    ("group", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                                                related_name="collection_roles", to="auth.group")),
                    ("user", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                                               related_name="collection_roles", to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    "ordering": ["collection", "role", "id"],
                    "constraints": [
                        models.CheckConstraint(
                            condition=models.Q(models.Q(("group__isnull", True), ("user__isnull", False)),
                                               models.Q(("group__isnull", False), ("user__isnull", True)),
                                               _connector="OR"),
                            name="role_for_user_xor_group"),
                        models.UniqueConstraint(condition=models.Q(("user__isnull", False)), fields=("collection", "user"),
                                                name="one_role_per_user_and_collection"),
                        models.UniqueConstraint(condition=models.Q(("group__isnull", False)),
                                                fields=("collection", "group"), name="one_role_per_group_and_collection"),
                    ],
                },
            )],
        ),
        migrations.RunPython(relabel("governance", "assets", "collectionrole"),
                             relabel("assets", "governance", "collectionrole")),
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="AuditEntry")]),
    ]
