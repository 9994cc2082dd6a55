"""Keywords people add to assets, one asset or a whole selection at a time.

They join the keywords read from the file in the current version's normalised metadata, which the asset page,
the library's keyword filter, search (``search.signals`` reindexes on a metadata change) and JSON-LD already
read; the audit log keeps the list before and after.
"""
import re

from django.db import transaction

from assets import permissions
from assets.models import Asset
from core import audit
from core.refusals import Refused

MAX_KEYWORD_CHARS = 100
MAX_KEYWORDS = 50
SEPARATORS = re.compile(r"[,;\n]")


def parse_keywords(text):
    """Keywords as people type them: separated by commas (or semicolons, or lines), each trimmed, each once."""
    return unique_keywords(SEPARATORS.split(text or ""))


def unique_keywords(values):
    """Trimmed, without blanks and without repeats that differ only in case; refused when too long or too many."""
    found = {}
    for value in values:
        keyword = " ".join(str(value).split())
        if keyword:
            found.setdefault(keyword.casefold(), keyword)
    keywords = list(found.values())
    too_long = next((keyword for keyword in keywords if len(keyword) > MAX_KEYWORD_CHARS), None)
    if too_long:
        raise Refused(f"“{too_long[:40]}…” is longer than {MAX_KEYWORD_CHARS} characters; a keyword is a word or "
                      "a short phrase.", code="keyword_too_long")
    if len(keywords) > MAX_KEYWORDS:
        raise Refused(f"Add at most {MAX_KEYWORDS} keywords at a time.", code="too_many_keywords")
    return keywords


def add_keywords(asset, keywords, *, actor):
    """Add ``keywords`` the asset lacks (ignoring case); returns those added (none: nothing written)."""
    permissions.authorise(actor, "change", asset)
    with transaction.atomic():
        asset = Asset.objects.select_for_update(of=("self",)).select_related("current_version").get(pk=asset.pk)
        version = asset.current_version
        if version is None:
            raise Refused("This asset has no file yet, so it cannot have keywords.", code="no_file", status=409)
        existing = list(version.metadata.get("keywords") or [])
        known = {keyword.casefold() for keyword in existing}
        added = [keyword for keyword in unique_keywords(keywords) if keyword.casefold() not in known]
        if added:
            version.metadata = {**version.metadata, "keywords": existing + added}
            version.save(update_fields=["metadata"])
            audit.record(actor, "asset.keywords", asset=asset, obj=version, before={"keywords": existing},
                         after={"keywords": existing + added})
    return added
