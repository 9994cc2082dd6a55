from django.urls import path

from enrichment import views

app_name = "enrichment"
urlpatterns = [
    path("assets/<uuid:uid>/labels/", views.add, name="add_label"),
    path("assets/<uuid:uid>/labels/<str:concept_id>/reject/", views.reject, name="reject_label"),
    path("assets/<uuid:uid>/labels/<str:concept_id>/undo-reject/", views.undo_reject, name="undo_reject"),
]
