"""Granting and revoking collection roles; the grant table is what ``assets.permissions`` reads."""
from django.core.exceptions import PermissionDenied
from django.db import transaction

from assets import permissions
from assets.services import audit
from governance.models import CollectionRole, Role


def _authorise(actor, collection):
    if actor.user is not None and not permissions.can_manage_roles(actor.user, collection):
        raise PermissionDenied("You may not manage roles on this collection.")


def _describe(grant):
    return {"collection": grant.collection.slug, "user": grant.user.get_username() if grant.user_id else None,
            "group": grant.group.name if grant.group_id else None, "role": grant.role}


def grant_role(collection, role, *, actor, user=None, group=None):
    """Give ``user`` or ``group`` ``role`` on ``collection``, replacing the role they had there."""
    if (user is None) == (group is None):
        raise ValueError("grant a role to exactly one user or one group")
    _authorise(actor, collection)
    with transaction.atomic():
        grant = CollectionRole.objects.select_for_update().filter(collection=collection, user=user, group=group).first()
        before = _describe(grant) if grant else None
        if grant is None:
            grant = CollectionRole(collection=collection, user=user, group=group)
        elif grant.role == role:
            return grant
        grant.role = role
        grant.granted_by = actor.user
        grant.save()
        audit.record(actor, "role.grant", obj=grant, before=before, after=_describe(grant))
    return grant


def make_creator_admin(collection, *, actor):
    """Whoever creates a collection administers it; otherwise they could not even file into it."""
    if actor.user is None:
        return None
    with transaction.atomic():
        grant = CollectionRole.objects.create(collection=collection, user=actor.user, role=Role.ADMIN,
                                              granted_by=actor.user)
        audit.record(actor, "role.grant", obj=grant, after=_describe(grant))
    return grant


def revoke_role(grant, *, actor):
    _authorise(actor, grant.collection)
    with transaction.atomic():
        before = _describe(grant)
        pk = grant.pk
        grant.delete()
        grant.pk = pk
        audit.record(actor, "role.revoke", obj=grant, before=before)
