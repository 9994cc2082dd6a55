"""Read-only admin: rights, notices and uploads change through the services (audited), so admin edits are off."""
from django.contrib import admin

from core.admin import ReadOnlyAdmin
from governance.models import DirectUpload, RightsExpiryNotice, UsageRights


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
