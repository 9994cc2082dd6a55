"""Query vectors computed in the web process: an uploaded image (classifier features) or text (CLIP).

A query vector is only comparable with stored ones from the same model, so each function checks
the adapter it would run against the active ModelRun whose vectors search reads.
"""
from django.conf import settings

from enrichment.adapters import to_rgb
from enrichment.models import Capability, ModelRun
from enrichment.services.capabilities import classifier, clip_embedder


class VectorUnavailable(Exception):
    """Vector search cannot run here; ``str(exc)`` tells a person why."""


def active_run(capability):
    """The model run of ``capability`` whose results search reads (the newest active one)."""
    return ModelRun.objects.filter(capability=capability, active=True).order_by("-id").first()


def _same_model(info, run):
    return (info.name, info.version, info.file_sha256 or "") == (run.name, run.version, run.file_sha256)


def image_vector(image):
    """The similarity vector of ``image`` (a PIL image) from the classifier that indexed the library."""
    run = active_run(Capability.SIMILARITY)
    if run is None:
        raise VectorUnavailable("Search by image is unavailable: no image has a similarity vector yet.")
    adapter = classifier()
    try:
        info = adapter.info
    except FileNotFoundError as exc:
        raise VectorUnavailable("Search by image is unavailable: the image model is not installed on this "
                                "server.") from exc
    if not _same_model(info, run):
        raise VectorUnavailable("Search by image is unavailable: the library was indexed with another image "
                                "model than this server has; an administrator needs to index it again.")
    return adapter.features([to_rgb(image)])[0].tolist()


def text_vector(text):
    """The CLIP text vector of ``text``, comparable with the library's CLIP image vectors."""
    if not settings.LUMEN_CLIP_ENABLED:
        raise VectorUnavailable("Searching by what an image looks like from words is not set up here; results "
                                "come from concepts and text.")
    run = active_run(Capability.CLIP)
    if run is None:
        raise VectorUnavailable("Searching by what an image looks like from words is not ready: no image has "
                                "been indexed for it yet.")
    embedder = clip_embedder()
    if not embedder.is_semantic or not _same_model(embedder.info, run):
        raise VectorUnavailable("Searching by what an image looks like from words is unavailable: the library "
                                "was indexed with another model than this server has.")
    return embedder.embed_texts([text])[0].tolist()
