"""Django's admin with one change: a signed-in person who is not a site administrator gets the 403 page (in words,
with the site's navigation), not the admin's sign-in form, which would suggest that signing in again could help."""
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied


class LumenAdminSite(admin.AdminSite):
    def login(self, request, extra_context=None):
        if request.method == "GET" and request.user.is_authenticated and not self.has_permission(request):
            raise PermissionDenied("The administration pages are for site administrators only.")
        return super().login(request, extra_context)


class LumenAdminConfig(AdminConfig):
    default_site = "core.admin_site.LumenAdminSite"
