"""People's decisions on labels: they are kept apart from machine labels, so re-runs never overwrite them."""
from django.db import transaction

from core import audit
from enrichment.models import LabelDecision


def add_label(asset, concept, *, actor):
    """Tag ``asset`` with ``concept`` as a person (also undoes an earlier rejection)."""
    return _decide(asset, concept, LabelDecision.Decision.ADDED, actor=actor)


def reject_label(asset, concept, *, actor):
    """Say ``concept`` is wrong for ``asset``; machine labels for it stay stored but are filtered
    out by ``MachineLabel.objects.effective()``, now and after any re-processing.
    """
    return _decide(asset, concept, LabelDecision.Decision.REJECTED, actor=actor)


def undo_rejection(asset, concept, *, actor):
    """Take back a person's rejection: the machine labels for ``concept`` count again. Returns False
    when there was no rejection to undo."""
    with transaction.atomic():
        rejected = LabelDecision.objects.select_for_update().filter(
            asset=asset, concept=concept, decision=LabelDecision.Decision.REJECTED
        ).first()
        if rejected is None:
            return False
        audit.record(actor, "label.undo_rejection", asset=asset, obj=rejected,
                     before={"concept": concept.pk, "decision": rejected.decision}, after=None)
        rejected.delete()
    return True


def _decide(asset, concept, decision, *, actor):
    with transaction.atomic():
        existing = LabelDecision.objects.select_for_update().filter(asset=asset, concept=concept).first()
        before = {"concept": concept.pk, "decision": existing.decision} if existing else None
        decided, _ = LabelDecision.objects.update_or_create(
            asset=asset, concept=concept, defaults={"decision": decision, "decided_by": actor.user}
        )
        audit.record(actor, f"label.{decision}", asset=asset, obj=decided, before=before,
                     after={"concept": concept.pk, "decision": decision})
    return decided
