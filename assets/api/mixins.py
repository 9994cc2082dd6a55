"""What API views share: the gate's "this asset, for this action" rule, and who may file assets into a collection."""
from rest_framework.exceptions import PermissionDenied, ValidationError

from assets import permissions


class AssetForActionMixin:
    """``self.asset_for(uid, action)``: 404 unless the caller sees the asset, 403 (with the gate's sentence)
    unless they may do ``action``; ``asset_queryset`` chooses what is loaded with it."""

    def asset_queryset(self):
        return None

    def asset_for(self, uid, action):
        return permissions.asset_for_action_or_404(self.request.user, action, uid, self.asset_queryset())


def require_filing(user, collection, verb, field):
    """Putting an asset into a collection (or taking it out) needs the same right as uploading into it (contributor
    or better); a collection the user has no role on is answered as a slug that does not exist, so its name stays
    unknown."""
    if permissions.can_upload(user, collection):
        return
    if not permissions.collections_with_role(user, "viewer").filter(pk=collection.pk).exists():
        raise ValidationError({field: [f"Object with slug={collection.slug} does not exist."]}, code="does_not_exist")
    raise PermissionDenied(f"You may not {verb} “{collection.name}”.")
