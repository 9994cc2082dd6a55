from django.urls import path

from enrichment.api import views

app_name = "enrichment-api"
urlpatterns = [
    path("assets/<uuid:uid>/enrichment/", views.EnrichmentView.as_view(), name="enrichment"),
    path("assets/<uuid:uid>/labels/", views.LabelsView.as_view(), name="labels"),
    path("assets/<uuid:uid>/labels/<str:concept_id>/reject/", views.RejectLabelView.as_view(), name="reject-label"),
    path("people/", views.PeopleView.as_view(), name="people"),
    path("people/<int:pk>/", views.PersonView.as_view(), name="person"),
    path("people/<int:pk>/faces/", views.PersonFacesView.as_view(), name="person-faces"),
    path("people/<int:pk>/merge/", views.PersonMergeView.as_view(), name="person-merge"),
    path("people/<int:pk>/split/", views.PersonSplitView.as_view(), name="person-split"),
    path("people/collections/<slug:slug>/", views.FaceRecognitionView.as_view(), name="face-recognition"),
]
