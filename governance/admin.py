"""Read-mostly admin: grants and rights are changed through the services (audited), so admin edits are off."""
from django.contrib import admin

from governance.models import CollectionRole, DirectUpload, RightsExpiryNotice, UsageRights


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CollectionRole)
class CollectionRoleAdmin(ReadOnlyAdmin):
    list_display = ["collection", "user", "group", "role", "granted_by", "created_at"]
    list_filter = ["role", "collection"]
    search_fields = ["user__username", "group__name", "collection__name"]


@admin.register(UsageRights)
class UsageRightsAdmin(ReadOnlyAdmin):
    list_display = ["asset", "licence_type", "holder", "starts_on", "expires_on"]
    list_filter = ["licence_type"]
    date_hierarchy = "expires_on"
    search_fields = ["asset__title", "holder", "credit_line"]


@admin.register(RightsExpiryNotice)
class RightsExpiryNoticeAdmin(ReadOnlyAdmin):
    list_display = ["asset", "expires_on", "recipient", "sent_at"]


@admin.register(DirectUpload)
class DirectUploadAdmin(ReadOnlyAdmin):
    list_display = ["uid", "user", "filename", "state", "created_at"]
    list_filter = ["state"]
