"""Keep search's rows current when searchable data changes, until the services that change it call
``search.indexing`` themselves; and learn the words of the ontology's labels for typo correction."""
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from assets.models import Asset, AssetVersion
from assets.signals import lookalikes_wanted
from enrichment.models import ColourPalette, OcrText
from ontology.signals import labels_changed
from search.concepts import add_vocabulary
from search.duplicates import possible_duplicates
from search.indexing import SEARCHABLE_ASSET_FIELDS, hash_version, reindex_asset


@receiver(post_save, sender=Asset, dispatch_uid="search.asset_saved")
def asset_saved(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if raw or (created and instance.current_version_id is None):
        return
    if update_fields is None or SEARCHABLE_ASSET_FIELDS & set(update_fields):
        reindex_asset(instance)


@receiver(post_save, sender=AssetVersion, dispatch_uid="search.version_saved")
def version_saved(sender, instance, created, update_fields=None, raw=False, **kwargs):
    """A new version gets its hash; a current version whose metadata changed (keywords added) is indexed again."""
    if raw:
        return
    if created:
        hash_version(instance)
    elif update_fields is None or "metadata" in update_fields:
        asset = Asset.objects.select_related("current_version").filter(current_version_id=instance.pk).first()
        if asset is not None:
            reindex_asset(asset)


@receiver(post_save, sender=OcrText, dispatch_uid="search.ocr_saved")
@receiver(post_delete, sender=OcrText, dispatch_uid="search.ocr_deleted")
@receiver(post_save, sender=ColourPalette, dispatch_uid="search.colours_saved")
@receiver(post_delete, sender=ColourPalette, dispatch_uid="search.colours_deleted")
def version_text_or_colours_changed(sender, instance, raw=False, **kwargs):
    """The document holds the current version's OCR text and colours."""
    if raw:
        return
    asset = Asset.objects.select_related("current_version").filter(current_version_id=instance.version_id).first()
    if asset is not None:
        reindex_asset(asset)


@receiver(lookalikes_wanted, dispatch_uid="search.lookalikes")
def lookalikes(sender, asset, user, **kwargs):
    """A new upload's near-duplicates among what its uploader can see (by hash: vectors come later)."""
    return possible_duplicates(asset, user)


@receiver(labels_changed, dispatch_uid="search.label_words")
def label_words(sender, words, **kwargs):
    """Every label word enters the typo vocabulary, so "elefant" can become "elephant"."""
    add_vocabulary(words)
