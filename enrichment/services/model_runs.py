"""Which model produced a result, and which models search reads (side-by-side re-indexing)."""
from django.db import transaction

from core import audit
from enrichment.models import ModelRun


def model_run(capability, info):
    """The row for this model identity; a new model starts inactive while another one is active.

    Results of a new checksum are written under its own run beside the old ones, and
    search keeps reading the old run until someone calls :func:`activate_model`.
    """
    identity = dict(capability=capability, name=info.name, version=info.version, file_sha256=info.file_sha256 or "")
    run = ModelRun.objects.filter(**identity).first()
    if run is not None:
        return run
    first_of_its_kind = not ModelRun.objects.filter(capability=capability, active=True).exists()
    run, _ = ModelRun.objects.get_or_create(**identity, defaults={"active": first_of_its_kind})
    return run


def activate_model(run, *, actor):
    """Make ``run`` (and the runs of the same model file for its other outputs) the ones search reads.

    One model file can feed two capabilities (the classifier's labels and its similarity
    vector); they switch together, in one transaction, so search never mixes models.
    """
    with transaction.atomic():
        siblings = dict(
            ModelRun.objects.select_for_update()
            .filter(name=run.name, version=run.version, file_sha256=run.file_sha256)
            .values_list("pk", "capability")
        )
        replaced = list(
            ModelRun.objects.filter(capability__in=siblings.values(), active=True)
            .exclude(pk__in=list(siblings))
            .values_list("pk", flat=True)
        )
        ModelRun.objects.filter(pk__in=replaced).update(active=False)
        ModelRun.objects.filter(pk__in=list(siblings)).update(active=True)
        audit.record(actor, "enrichment.activate_model", obj=run, before={"active": replaced},
                     after={"active": sorted(siblings)})
    return run
