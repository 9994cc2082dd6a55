"""Admin for support staff: fix collections and asset texts (audited); role grants are only listed."""
from django.contrib import admin

from assets.models import Asset, AssetVersion, Collection, CollectionRole
from assets.services.face_policy import apply_face_policy, set_face_policy
from core import audit
from core.admin import ReadOnlyAdmin


def _readable(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "__iter__"):
        return [str(item) for item in value]
    return str(value)


class AuditedAdmin(admin.ModelAdmin):
    """Admin edits are mutations too, so they land in the audit log like any service call; deletion is not offered."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        fields = form.changed_data
        audit.record(
            audit.Actor.from_request(request),
            f"{obj._meta.model_name}.admin_{'change' if change else 'add'}",
            asset=obj if isinstance(obj, Asset) else None,
            obj=obj,
            before={name: _readable(form.initial.get(name)) for name in fields} if change else None,
            after={name: _readable(form.cleaned_data.get(name)) for name in fields},
        )

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Collection)
class CollectionAdmin(AuditedAdmin):
    list_display = ("name", "slug", "created_by", "created_at")
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request, obj, form, change):
        """Switching the face policy on goes through its service, which re-makes existing renditions."""
        if not change:
            obj.created_by = request.user
        elif "anonymise_faces" in form.changed_data:
            set_face_policy(obj, obj.anonymise_faces, actor=audit.Actor.from_request(request))
        super().save_model(request, obj, form, change)


class AssetVersionInline(admin.TabularInline):
    """Versions are immutable files made by the ingest service, so the admin only shows them."""

    model = AssetVersion
    fields = ("number", "original_filename", "format", "width", "height", "bytes", "created_by", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Asset)
class AssetAdmin(AuditedAdmin):
    """Texts and filing are editable here; status, moderation and retention change only through their services."""

    list_display = ("__str__", "status", "moderation_state", "owner", "created_at")
    list_filter = ("status", "moderation_state", "legal_hold", "collections")
    search_fields = ("title", "caption", "uid")
    fields = ("uid", "title", "caption", "collections", "owner", "current_version", "status", "status_detail",
              "moderation_state", "anonymise_faces", "legal_hold", "deleted_at", "deleted_by", "created_at", "updated_at")
    readonly_fields = tuple(name for name in fields if name not in ("title", "caption", "collections"))
    filter_horizontal = ("collections",)
    list_select_related = ("owner",)
    inlines = [AssetVersionInline]

    def save_related(self, request, form, formsets, change):
        """Filing into a collection with the face policy re-makes the asset's renditions blurred."""
        was_covered = change and form.instance.requires_face_blur()
        super().save_related(request, form, formsets, change)
        if not was_covered and form.instance.requires_face_blur():
            apply_face_policy(form.instance, actor=audit.Actor.from_request(request))


@admin.register(CollectionRole)
class CollectionRoleAdmin(ReadOnlyAdmin):
    """Grants change through governance's roles pages and API (audited), so the admin only lists them."""

    list_display = ["collection", "user", "group", "role", "granted_by", "created_at"]
    list_filter = ["role", "collection"]
    search_fields = ["user__username", "group__name", "collection__name"]
