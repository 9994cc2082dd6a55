"""Editing an asset's descriptive metadata: one audited change, whoever calls it (page, API, bulk upload)."""
from django.core.exceptions import ValidationError
from django.db import transaction

from assets import permissions
from assets.models import Asset
from core import audit
from core.refusals import Refused

EDITABLE_FIELDS = ("title", "caption", "alt_text", "keywords", "creator", "credit", "copyright")
MAX_KEYWORDS = 100
MAX_KEYWORD_LENGTH = 100


def clean_keywords(keywords, *, strict=True):
    """Keywords as people type them: trimmed, blanks dropped, each once (the first spelling kept). Too many or
    too long are refused; not ``strict`` (what a file carries), cut to fit instead."""
    seen, cleaned = set(), []
    for keyword in keywords:
        keyword = " ".join(str(keyword).split())
        keyword = keyword if strict else keyword[:MAX_KEYWORD_LENGTH]
        if keyword and keyword.casefold() not in seen:
            seen.add(keyword.casefold())
            cleaned.append(keyword)
    if not strict:
        return cleaned[:MAX_KEYWORDS]
    if len(cleaned) > MAX_KEYWORDS:
        raise Refused(f"At most {MAX_KEYWORDS} keywords, please ({len(cleaned)} given).", code="invalid")
    long = next((keyword for keyword in cleaned if len(keyword) > MAX_KEYWORD_LENGTH), None)
    if long:
        raise Refused(f"Keep each keyword under {MAX_KEYWORD_LENGTH} characters (“{long[:40]}…” is longer).",
                      code="invalid")
    return cleaned


def _cleaned(name, value):
    if name == "keywords":
        return clean_keywords(value)
    return str(value).strip() if name == "caption" else " ".join(str(value).split())  # one line for the others


def edit_metadata(asset, *, actor, **fields):
    """Change some of ``EDITABLE_FIELDS``; the audit entry holds what changed, before and after.

    Search re-indexes the asset (``search.signals``), and the next download carries the new values
    (``metadata_revision`` changes the renditions' URLs). Returns the asset; unchanged values write nothing.
    """
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    fields = {name: _cleaned(name, value) for name, value in fields.items()}
    permissions.authorise(actor, "change", asset)
    with transaction.atomic():
        asset = Asset.objects.select_for_update().get(pk=asset.pk)
        changed = {name: value for name, value in fields.items() if getattr(asset, name) != value}
        if not changed:
            return asset
        before = {name: getattr(asset, name) for name in changed}
        for name, value in changed.items():
            setattr(asset, name, value)
        try:
            asset.full_clean(exclude=[f.name for f in Asset._meta.fields if f.name not in changed])
        except ValidationError as exc:
            raise Refused(" ".join(f"{Asset._meta.get_field(name).verbose_name.capitalize()}: {' '.join(errors)}"
                                   for name, errors in exc.message_dict.items()), code="invalid") from exc
        asset.metadata_revision += 1
        asset.save(update_fields=[*changed, "metadata_revision", "updated_at"])
        audit.record(actor, "asset.edit_metadata", asset=asset, obj=asset, before=before, after=changed)
    return asset
