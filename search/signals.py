"""Keep search's rows current when searchable data changes, until the services that change it call
``search.indexing`` / ``search.concepts`` themselves."""
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from assets.models import Asset, AssetVersion
from enrichment.models import OcrText
from ontology.models import Concept
from search.concepts import refresh_concept_labels
from search.indexing import SEARCHABLE_ASSET_FIELDS, hash_version, reindex_asset


@receiver(post_save, sender=Asset, dispatch_uid="search.asset_saved")
def asset_saved(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if raw or (created and instance.current_version_id is None):
        return
    if update_fields is None or SEARCHABLE_ASSET_FIELDS & set(update_fields):
        reindex_asset(instance)


@receiver(post_save, sender=AssetVersion, dispatch_uid="search.version_saved")
def version_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        hash_version(instance)


@receiver(post_save, sender=OcrText, dispatch_uid="search.ocr_saved")
@receiver(post_delete, sender=OcrText, dispatch_uid="search.ocr_deleted")
def ocr_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    asset = Asset.objects.select_related("current_version").filter(current_version_id=instance.version_id).first()
    if asset is not None:
        reindex_asset(asset)


@receiver(post_save, sender=Concept, dispatch_uid="search.concept_saved")
def concept_saved(sender, instance, raw=False, **kwargs):
    """Custom concepts are saved one by one; bulk syncs of the scheme call ``refresh_labels`` instead."""
    if not raw:
        refresh_concept_labels(instance)
