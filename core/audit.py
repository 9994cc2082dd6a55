"""The one way to write the audit log; callers pass the request-derived actor and IP."""
from dataclasses import dataclass

from core.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who performs a mutation: a user (or None for the system) and the client IP if any."""

    user: object = None
    ip_address: str | None = None

    @classmethod
    def from_request(cls, request):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        ip = forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR")
        user = request.user if request.user.is_authenticated else None
        return cls(user=user, ip_address=ip or None)


SYSTEM = Actor()


def record(actor, action, *, asset=None, obj=None, before=None, after=None):
    """Append one audit entry; call inside the same transaction as the change it describes."""
    return AuditEntry.objects.create(
        actor=actor.user if actor.user is not None and actor.user.pk else None,
        action=action,
        asset=asset,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        before=before,
        after=after,
        ip_address=actor.ip_address,
    )
