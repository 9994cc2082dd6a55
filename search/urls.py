from django.urls import path

from search import views

app_name = "search"
urlpatterns = [
    path("", views.search, name="search"),
    path("image/", views.image_search, name="image"),
    path("count/", views.count, name="count"),
    path("facets/", views.facets, name="facets"),
    path("suggest/", views.suggest, name="suggest"),
    path("duplicates/", views.duplicate_groups, name="duplicates"),
    path("duplicates/keep/", views.keep_duplicate, name="duplicates_keep"),
    path("timeline/", views.timeline, name="timeline"),
    path("map/", views.place_map, name="map"),
    path("saved/", views.saved_searches, name="saved"),
    path("saved/<int:pk>/", views.run_saved_search, name="saved_run"),
    path("saved/<int:pk>/delete/", views.delete_saved, name="saved_delete"),
]
