from django.urls import path

from assets import delivery, views

app_name = "assets"
urlpatterns = [
    path("files/<uuid:uid>/v<int:number>/r/<str:spec>", delivery.rendition, name="rendition"),
    path("files/<uuid:uid>/v<int:number>/original", delivery.original, name="original"),
    path("", views.library, name="library"),
    path("assets/<uuid:uid>/", views.detail, name="detail"),
    path("assets/status/", views.statuses, name="statuses"),
    path("assets/count/", views.library_count, name="library_count"),
    path("assets/<uuid:uid>/status/", views.status, name="status"),
    path("assets/<uuid:uid>/edit/", views.edit, name="edit"),
    path("assets/<uuid:uid>/versions/", views.new_version, name="new_version"),
    path("assets/<uuid:uid>/versions/<int:number>/restore/", views.restore, name="restore"),
    path("upload/", views.upload, name="upload"),
    path("upload/bulk/", views.bulk_upload, name="bulk_upload"),
    path("upload/api/", views.upload_api, name="upload_api"),
    path("collections/", views.collections, name="collections"),
]
