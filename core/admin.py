"""The audit log in the admin: entries are written by services and can be read here, never edited or removed."""
from django.contrib import admin

from core.models import AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows that change only through services (which write the audit log): the admin lists and shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor", "action", "asset", "object_type", "object_id", "ip_address")
    list_filter = ("action",)
    search_fields = ("action", "object_id", "asset__title")
    list_select_related = ("actor", "asset")
    date_hierarchy = "created_at"
