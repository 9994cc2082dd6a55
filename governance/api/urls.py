from django.urls import path

from governance.api import views

app_name = "governance-api"
urlpatterns = [
    path("assets/bulk/", views.BulkView.as_view(), name="bulk"),
    path("assets/<uuid:uid>/rights/", views.RightsView.as_view(), name="rights"),
    path("assets/<uuid:uid>/moderation/", views.ModerateView.as_view(), name="moderate"),
    path("assets/<uuid:uid>/trash/", views.TrashAssetView.as_view(), name="trash"),
    path("assets/<uuid:uid>/legal-hold/", views.LegalHoldView.as_view(), name="legal-hold"),
    path("assets/<uuid:uid>/signed-url/", views.SignedUrlView.as_view(), name="signed-url"),
    path("moderation/", views.ModerationQueueView.as_view(), name="moderation-queue"),
    path("rights/report/", views.RightsReportView.as_view(), name="rights-report"),
    path("trash/", views.TrashListView.as_view(), name="trash-list"),
    path("trash/<uuid:uid>/", views.TrashedAssetView.as_view(), name="trashed-asset"),
    path("trash/<uuid:uid>/restore/", views.RestoreView.as_view(), name="restore"),
    path("collections/<slug:slug>/roles/", views.CollectionRolesView.as_view(), name="roles"),
    path("collections/<slug:slug>/roles/<int:pk>/", views.CollectionRoleView.as_view(), name="role"),
    path("collections/<slug:slug>/face-policy/", views.FacePolicyView.as_view(), name="face-policy"),
    path("users/", views.PeopleView.as_view(), name="users"),
    path("users/lookup/", views.PeopleLookupView.as_view(), name="users-lookup"),
    path("users/<int:pk>/", views.PersonView.as_view(), name="user"),
    path("users/<int:pk>/invitation/", views.PersonInvitationView.as_view(), name="user-invitation"),
    path("share-links/", views.ShareLinksView.as_view(), name="share-links"),
    path("share-links/<int:pk>/", views.ShareLinkView.as_view(), name="share-link"),
    path("uploads/", views.UploadsView.as_view(), name="uploads"),
    path("uploads/<uuid:uid>/confirm/", views.UploadConfirmView.as_view(), name="upload-confirm"),
]
