"""Governance actions (roles, rights, moderation, uploads): each atomic, each writing the audit log."""
from django.core.exceptions import PermissionDenied

from assets import permissions


class ActionRefused(Exception):
    """A permitted action that the asset's state forbids (legal hold, not in the trash…); ``message`` is for people."""

    def __init__(self, message, code="refused", status=409):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def authorise(actor, action, asset):
    """Services re-check the gate for people; system jobs (``audit.SYSTEM``, no user) act on policy alone."""
    if actor.user is not None and not permissions.can(actor.user, action, asset):
        raise PermissionDenied(f"You may not {action.replace('_', ' ')} this asset.")
