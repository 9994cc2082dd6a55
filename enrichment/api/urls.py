from django.urls import path

from enrichment.api import views

app_name = "enrichment-api"
urlpatterns = [
    path("assets/<uuid:uid>/enrichment/", views.EnrichmentView.as_view(), name="enrichment"),
    path("assets/<uuid:uid>/labels/", views.LabelsView.as_view(), name="labels"),
    path("assets/<uuid:uid>/labels/<str:concept_id>/reject/", views.RejectLabelView.as_view(), name="reject-label"),
]
