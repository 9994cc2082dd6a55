from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/search/", include("search.api.urls")),
    path("api/", include("governance.api.urls")),
    path("api/", include("enrichment.api.urls")),
    path("api/", include("assets.api.urls")),
    path("search/", include("search.urls")),
    path("", include("governance.urls")),
    path("", include("enrichment.urls")),
    path("", include("assets.urls")),
]
