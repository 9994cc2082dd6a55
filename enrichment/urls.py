from django.urls import path

from enrichment import views

app_name = "enrichment"
urlpatterns = [
    path("assets/<uuid:uid>/labels/", views.add, name="add_label"),
    path("assets/<uuid:uid>/labels/<str:concept_id>/reject/", views.reject, name="reject_label"),
    path("assets/<uuid:uid>/labels/<str:concept_id>/undo-reject/", views.undo_reject, name="undo_reject"),
    path("people/", views.people_list, name="people"),
    path("people/<int:pk>/", views.person_detail, name="person"),
    path("people/<int:pk>/name/", views.rename_person, name="rename_person"),
    path("people/<int:pk>/merge/", views.merge_person, name="merge_person"),
    path("people/<int:pk>/split/", views.split_person, name="split_person"),
    path("people/<int:pk>/delete/", views.delete_person, name="delete_person"),
    path("people/faces/<int:pk>.jpg", views.face_image, name="face_image"),
    path("people/collections/<slug:slug>/", views.collection_face_recognition, name="collection_recognition"),
]
