"""Moderation decisions: anyone who sees an asset may flag it; moderators approve or reject, with a reason."""
from django.db import transaction
from django.db.models import F

from assets import permissions
from assets.models import Asset
from core import audit
from core.refusals import Refused

Moderation = Asset.Moderation


def _set_state(asset, state, *, actor, action, reason):
    with transaction.atomic():
        asset = Asset.objects.select_for_update().get(pk=asset.pk)
        before = asset.moderation_state
        changes = {"moderation_state": state}
        if state == Moderation.REJECTED:
            changes["access_epoch"] = F("access_epoch") + 1
        Asset.objects.filter(pk=asset.pk).update(**changes)
        audit.record(actor, action, asset=asset, obj=asset,
                     before={"moderation_state": before}, after={"moderation_state": state, "reason": reason})
        asset.refresh_from_db()
    return asset


def flag(asset, *, actor, reason):
    """Report an asset: it waits for a moderator, hidden from everyone but moderators and its owner."""
    if not reason.strip():
        raise Refused("Say why this asset should be reviewed.", code="reason_required", status=400)
    permissions.authorise(actor, "view", asset)
    return _set_state(asset, Moderation.PENDING, actor=actor, action="moderation.flag", reason=reason.strip())


def approve(asset, *, actor, reason=""):
    permissions.authorise(actor, "moderate", asset)
    return _set_state(asset, Moderation.APPROVED, actor=actor, action="moderation.approve", reason=reason.strip())


def reject(asset, *, actor, reason):
    """Rejected assets are hidden from all but moderators and admins, and their signed URLs stop working."""
    if not reason.strip():
        raise Refused("Give the reason for rejecting, for the owner and the audit log.",
                      code="reason_required", status=400)
    permissions.authorise(actor, "moderate", asset)
    return _set_state(asset, Moderation.REJECTED, actor=actor, action="moderation.reject", reason=reason.strip())


DECISIONS = {"approve": approve, "reject": reject}


def decide_many(assets, decision, *, actor, reason=""):
    """Bulk approve/reject from the queue: all or nothing, so a refused one leaves the rest untouched."""
    with transaction.atomic():
        return [DECISIONS[decision](asset, actor=actor, reason=reason) for asset in assets]
