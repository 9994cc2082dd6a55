"""Granting and revoking collection roles; the grant table is what ``assets.permissions`` reads."""
from django.core.exceptions import PermissionDenied
from django.db import transaction

from assets import permissions
from assets.models import CollectionRole
from assets.services.collections import describe_grant
from core import audit


def _authorise(actor, collection):
    if actor.user is not None and not permissions.can_manage_roles(actor.user, collection):
        raise PermissionDenied("You may not manage roles on this collection.")


def grant_role(collection, role, *, actor, user=None, group=None):
    """Give ``user`` or ``group`` ``role`` on ``collection``, replacing the role they had there."""
    if (user is None) == (group is None):
        raise ValueError("grant a role to exactly one user or one group")
    _authorise(actor, collection)
    with transaction.atomic():
        grant = CollectionRole.objects.select_for_update().filter(collection=collection, user=user, group=group).first()
        before = describe_grant(grant) if grant else None
        if grant is None:
            grant = CollectionRole(collection=collection, user=user, group=group)
        elif grant.role == role:
            return grant
        grant.role = role
        grant.granted_by = actor.user
        grant.save()
        audit.record(actor, "role.grant", obj=grant, before=before, after=describe_grant(grant))
    return grant


def revoke_role(grant, *, actor):
    _authorise(actor, grant.collection)
    with transaction.atomic():
        before = describe_grant(grant)
        pk = grant.pk
        grant.delete()
        grant.pk = pk
        audit.record(actor, "role.revoke", obj=grant, before=before)
