"""Every change enrichment makes goes through these functions (tasks, commands, API and pages alike)."""
from enrichment.services.labels import add_label, reject_label, undo_rejection
from enrichment.services.model_runs import activate_model

__all__ = ["activate_model", "add_label", "reject_label", "undo_rejection"]
