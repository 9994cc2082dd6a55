"""What happens to a version around its renditions: faces blurred first when the policy says so, enrichment after.

Assets' processing asks for both through its signals (``assets.signals``); the receivers here are connected
in ``EnrichmentConfig.ready``.
"""
import time
from functools import partial

from django.db import transaction
from django.dispatch import receiver

from assets.signals import face_redactor_wanted, renditions_ready
from enrichment.adapters import to_rgb
from enrichment.models import Capability, Detection, EnrichmentJob
from enrichment.services import jobs
from enrichment.services.anonymise import blur_regions
from enrichment.services.capabilities import PIPELINE, counted
from enrichment.services.working_image import displayed_image
from enrichment.tasks import queue_enrichment


class AnonymisationFailed(Exception):
    """Faces could not be looked for, so no rendition may be made (it could show them)."""


@receiver(face_redactor_wanted, dispatch_uid="enrichment.face_redactor")
def face_redactor(sender, version, **kwargs):
    """The transform that finds and blurs faces in the image renditions of ``version`` are made from."""
    return partial(redact_faces, version)


def redact_faces(version, image):
    """Find faces on ``image`` (upright, decoded once for every rendition), store them, blur them.

    Raises :class:`AnonymisationFailed` rather than let a rendition show a face.
    """
    started = time.perf_counter()
    jobs.run_step(Capability.FACES, [version], images={version.pk: displayed_image(version, to_rgb(image))})
    job = EnrichmentJob.objects.get(version=version, capability=Capability.FACES)
    if job.status != EnrichmentJob.Status.DONE:
        raise AnonymisationFailed(f"Faces could not be looked for, so no preview was made: {job.detail}")
    boxes = list(
        Detection.objects.filter(version=version, model=job.model, kind=Detection.Kind.FACE).values_list("x", "y", "w", "h")
    )
    blurred = blur_faces(image, boxes=boxes, displayed_size=(version.width, version.height))
    jobs.set_jobs([version.pk], Capability.ANONYMISE, status=EnrichmentJob.Status.DONE, model=job.model,
                  detail=f"{counted(len(boxes), 'face')} blurred in every rendition.",
                  latency_ms=(time.perf_counter() - started) * 1000)
    return blurred


def blur_faces(image, *, boxes, displayed_size):
    """Blur ``boxes`` (displayed pixels) in ``image``, the upright original at any scale."""
    scale_x, scale_y = image.width / displayed_size[0], image.height / displayed_size[1]
    return blur_regions(image, [(x * scale_x, y * scale_y, w * scale_x, h * scale_y) for x, y, w, h in boxes])


@receiver(renditions_ready, dispatch_uid="enrichment.enrich_after_renditions")
def enrich_after_renditions(sender, version, **kwargs):
    """Queue the enrichment pipeline once the renditions (its input) are committed; faces already
    found for blurring are not looked for again.
    """
    faces_done = EnrichmentJob.objects.filter(
        version=version, capability=Capability.ANONYMISE, status=EnrichmentJob.Status.DONE
    ).exists()
    capabilities = [c for c in PIPELINE if not (faces_done and c == Capability.FACES)]
    transaction.on_commit(lambda: queue_enrichment(version.pk, capabilities), robust=True)  # else the sweep
