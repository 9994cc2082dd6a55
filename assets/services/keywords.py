"""Keywords people add to assets, one asset or a whole selection at a time (the bulk action "Add keywords").

Adding is an edit of the asset's keywords (``editing.edit_metadata``): the same cleaning, the same audit entry,
and search, downloads and JSON-LD pick the new list up as after any edit.
"""
import re

from django.db import transaction

from assets.models import Asset
from assets.services.editing import clean_keywords, edit_metadata

SEPARATORS = re.compile(r"[,;\n]")


def parse_keywords(text):
    """Keywords as people type them in one box: separated by commas (or semicolons, or lines)."""
    return clean_keywords(SEPARATORS.split(text or ""))


def add_keywords(asset, keywords, *, actor):
    """Add ``keywords`` the asset lacks (ignoring case); returns those added (none: nothing written)."""
    with transaction.atomic():  # the lock keeps two selections adding at once from dropping each other's words
        asset = Asset.objects.select_for_update().get(pk=asset.pk)
        known = {keyword.casefold() for keyword in asset.keywords}
        added = [keyword for keyword in clean_keywords(keywords) if keyword.casefold() not in known]
        if added:
            edit_metadata(asset, actor=actor, keywords=[*asset.keywords, *added])
    return added
