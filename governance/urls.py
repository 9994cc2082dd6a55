from django.urls import path

from governance import views

app_name = "governance"
urlpatterns = [
    path("moderation/", views.moderation_queue, name="moderation"),
    path("assets/<uuid:uid>/report/", views.report, name="report"),
    path("assets/<uuid:uid>/audit/", views.asset_audit, name="asset_audit"),
    path("assets/<uuid:uid>/rights/", views.edit_rights, name="edit_rights"),
    path("assets/<uuid:uid>/trash/", views.trash_asset, name="trash_asset"),
    path("assets/<uuid:uid>/legal-hold/", views.legal_hold, name="legal_hold"),
    path("trash/", views.trash, name="trash"),
    path("trash/<uuid:uid>/restore/", views.restore_asset, name="restore"),
    path("trash/<uuid:uid>/purge/", views.purge_asset, name="purge"),
    path("audit/", views.audit_log, name="audit"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("rights/", views.rights_report, name="rights_report"),
    path("roles/", views.managed_collections, name="managed_collections"),
    path("collections/<slug:slug>/roles/", views.collection_roles, name="collection_roles"),
    path("collections/<slug:slug>/roles/<int:pk>/revoke/", views.revoke_collection_role, name="revoke_role"),
    path("collections/<slug:slug>/face-policy/", views.collection_face_policy, name="face_policy"),
    path("signed/<str:token>/", views.signed_download, name="signed_download"),
    path("library/selected/", views.act_on_selection, name="selection"),
    path("assets/<uuid:uid>/share/", views.share_asset, name="share_asset"),
    path("collections/<slug:slug>/share/", views.share_collection, name="share_collection"),
    path("shares/", views.share_links, name="share_links"),
    path("shares/<int:pk>/revoke/", views.revoke_share, name="revoke_share"),
    path("shared/<str:token>/", views.shared, name="shared"),
    path("shared/<str:token>/<uuid:uid>/downloads/", views.shared_downloads, name="shared_downloads"),
    path("shared/<str:token>/<uuid:uid>/original", views.shared_original, name="shared_original"),
    path("shared/<str:token>/<uuid:uid>/r/<str:spec>", views.shared_rendition, name="shared_rendition"),
    path("library/selected/rights/", views.selection_rights, name="selection_rights"),
    path("users/", views.people_list, name="users"),
    path("users/<int:pk>/", views.person_detail, name="user"),
    path("users/<int:pk>/invitation/", views.person_invitation, name="user_invitation"),
    path("users/<int:pk>/active/", views.person_active, name="user_active"),
    path("invitation/<str:uidb64>/<str:token>/", views.accept_invitation, name="accept_invitation"),
]
