from django.urls import path

from search.api import views

app_name = "search-api"
urlpatterns = [
    path("", views.SearchView.as_view(), name="search"),
    path("image/", views.ImageSearchView.as_view(), name="image"),
    path("duplicates/", views.DuplicateGroupsView.as_view(), name="duplicates"),
    path("duplicates/keep/", views.KeepDuplicateView.as_view(), name="duplicates-keep"),
    path("timeline/", views.TimelineView.as_view(), name="timeline"),
    path("places/", views.PlacesView.as_view(), name="places"),
    path("suggestions/", views.SuggestionsView.as_view(), name="suggestions"),
    path("saved/", views.SavedSearchList.as_view(), name="saved"),
    path("saved/<int:pk>/", views.SavedSearchDetail.as_view(), name="saved-detail"),
    path("saved/<int:pk>/results/", views.SavedSearchResults.as_view(), name="saved-results"),
]
