from django.urls import path
from rest_framework.routers import DefaultRouter

from assets.api import views
from core.api import ObtainAuthTokenView

router = DefaultRouter()
router.register("assets", views.AssetViewSet, basename="asset")
router.register("collections", views.CollectionViewSet, basename="collection")

app_name = "api"
urlpatterns = [
    path("token/", ObtainAuthTokenView.as_view(), name="token"),
    *router.urls,
]
