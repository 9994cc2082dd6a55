"""What happens to a version around its renditions: faces first when the policy says so, enrichment after."""
import time
from functools import partial

from django.db import transaction

from enrichment.models import Capability, Detection, EnrichmentJob
from enrichment.services import jobs
from enrichment.services.anonymise import anonymisation_applies, blur_regions
from enrichment.services.capabilities import PIPELINE
from enrichment.tasks import enrich_version


class AnonymisationFailed(Exception):
    """Faces could not be looked for, so no rendition may be made (it could show them)."""


def face_redactor(version):
    """When the policy covers the asset: find faces on the original now and return the transform
    that blurs them in the upright image every rendition is made from; ``None`` otherwise.
    """
    if not anonymisation_applies(version.asset):
        return None
    started = time.perf_counter()
    jobs.run_step(Capability.FACES, [version])
    job = EnrichmentJob.objects.get(version=version, capability=Capability.FACES)
    if job.status != EnrichmentJob.Status.DONE:
        raise AnonymisationFailed(f"Faces could not be looked for, so previews were not made: {job.detail}")
    boxes = list(
        Detection.objects.filter(version=version, model=job.model, kind=Detection.Kind.FACE).values_list("x", "y", "w", "h")
    )
    jobs.set_jobs([version.pk], Capability.ANONYMISE, status=EnrichmentJob.Status.DONE, model=job.model,
                  detail=f"{len(boxes)} face{'s' if len(boxes) != 1 else ''} blurred in every rendition.",
                  latency_ms=(time.perf_counter() - started) * 1000)
    return partial(blur_faces, boxes=boxes, displayed_size=(version.width, version.height))


def blur_faces(image, *, boxes, displayed_size):
    """Blur ``boxes`` (displayed pixels) in ``image``, which may be the upright original at any scale."""
    scale_x, scale_y = image.width / displayed_size[0], image.height / displayed_size[1]
    return blur_regions(image, [(x * scale_x, y * scale_y, w * scale_x, h * scale_y) for x, y, w, h in boxes])


def enrich_after_renditions(version, *, faces_done):
    """Queue the enrichment pipeline once the renditions (its input) are committed."""
    capabilities = [c for c in PIPELINE if not (faces_done and c == Capability.FACES)]
    transaction.on_commit(lambda: enrich_version.delay(version.pk, capabilities))
