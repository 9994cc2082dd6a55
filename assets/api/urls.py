from django.urls import path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from assets.api import views

router = DefaultRouter()
router.register("assets", views.AssetViewSet, basename="asset")
router.register("collections", views.CollectionViewSet, basename="collection")

app_name = "api"
urlpatterns = [
    path("token/", obtain_auth_token, name="token"),
    *router.urls,
]
