"""Moments in an asset's life that other apps act on, so that assets imports none of them.

Enrichment answers ``face_redactor_wanted`` and ``renditions_ready``; governance answers
``embedded_properties``, ``download_warnings``, ``upload_rights`` and ``image_object_properties``
(docs/architecture.md). Receivers are connected in their app's ``AppConfig.ready``.
"""
from django.dispatch import Signal

#: Before renditions are made of a ``version`` whose faces must be blurred (``Asset.requires_face_blur``).
#: A receiver returns a transform, upright PIL image in, the same with faces blurred out; processing refuses
#: to make renditions when nobody answers, rather than show faces.
face_redactor_wanted = Signal()

#: The renditions of ``version`` are made and its asset is ready; sent inside processing's transaction, so
#: receivers that queue work do it on commit.
renditions_ready = Signal()

#: A file of ``asset`` (original or rendition) is being downloaded: a receiver returns a dict of
#: ``assets.services.embedding.EmbeddedFields`` values (e.g. the usage rights on record), which outrank the
#: asset's own fields in the copy served.
embedded_properties = Signal()

#: A file of ``asset`` is about to be downloaded for use in ``channel`` (None when not said). A receiver returns
#: a sentence warning the person (e.g. the licence has expired), or None, or raises ``core.refusals.Refused``
#: to stop the download.
download_warnings = Signal()

#: An upload comes with usage rights for its new assets (``terms``: a mapping as the client sent it). A receiver
#: checks them and returns a function ``record(asset, actor)`` that records them on a new asset, or raises
#: ``core.refusals.Refused`` (400) saying what is wrong. Ingest refuses rights that nobody can record.
upload_rights = Signal()

#: A new ``asset`` was uploaded by ``user``; a receiver returns the visible assets it may duplicate (search's
#: near-duplicates), named in the upload's answer as "possible duplicate of …".
lookalikes_wanted = Signal()

#: The Schema.org ImageObject of ``asset`` is being written; a receiver returns a dict of properties, which
#: outrank what the file's own metadata says.
image_object_properties = Signal()


def lookalikes(asset, user):
    """Visible assets that look like a new upload, from every receiver of ``lookalikes_wanted``."""
    return [found for answer in answers(lookalikes_wanted, asset=asset, user=user) for found in answer]


def answers(signal, **kwargs):
    """What the receivers of ``signal`` returned, without the ``None`` of those with nothing to say."""
    return [value for _receiver, value in signal.send(sender=None, **kwargs) if value is not None]
