"""Acting on many assets at once (a library selection, ``POST /api/assets/bulk/``): the services of single actions,
with their permission checks, asset by asset.

Per-item results: each asset is changed in its own transaction and answered on its own, so one asset under legal
hold or beyond the caller's rights neither blocks nor undoes the others. What applies to the whole request is
checked first and refuses all of it: an unknown action, too many assets, a collection the caller may not file
into. (A ZIP download is all or nothing instead: ``assets.services.archive``.)
"""
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError

from assets import permissions
from assets.models import Asset
from assets.services.collections import add_to_collection, remove_from_collection
from assets.services.editing import clean_keywords
from assets.services.keywords import add_keywords
from core.refusals import Refused
from governance.services import retention, rights

MAX_ASSETS = 500
# action -> the gate's action each asset must allow
ACTIONS = {"add_to_collection": "change", "remove_from_collection": "change", "add_keywords": "change",
           "set_rights": "manage_rights", "trash": "delete"}
NOT_SEEN = "There is no such asset, or it is not shared with you."


@dataclass(frozen=True)
class ItemResult:
    """What happened to one asset: ``ok`` (done, or already so: ``changed`` says which), else why not."""

    uid: str
    ok: bool
    changed: bool = False
    error: str = ""
    message: str = ""


def act_on_many(uids, action, *, actor, collection=None, keywords=(), rights_fields=None, reason=""):
    """Do ``action`` to each asset of ``uids`` the caller may; one ``ItemResult`` per distinct uid, in order."""
    perform = _performer(action, actor, collection=collection, keywords=keywords, rights_fields=rights_fields,
                         reason=reason)
    uids = list(dict.fromkeys(str(uid) for uid in uids))
    if not uids:
        raise Refused("Choose at least one image first.", code="nothing_chosen")
    if len(uids) > MAX_ASSETS:
        raise Refused(f"Act on at most {MAX_ASSETS} images at a time.", code="too_many")
    chosen = Asset.objects.filter(uid__in=[uid for uid in uids if permissions.is_uid(uid)])
    seen = chosen if actor.user is None else permissions.visible_assets(actor.user, chosen)
    found = {str(asset.uid): asset for asset in seen}
    return [_act(found.get(uid), uid, action, perform, actor) for uid in uids]


def _act(asset, uid, action, perform, actor):
    if asset is None:
        return ItemResult(uid, False, error="not_found", message=NOT_SEEN)
    try:
        permissions.authorise(actor, ACTIONS[action], asset)
        changed = perform(asset)
    except Refused as refusal:
        return ItemResult(uid, False, error=refusal.code, message=refusal.message)
    except PermissionDenied as exc:
        return ItemResult(uid, False, error="permission_denied",
                          message=str(exc) or permissions.refusal_text(ACTIONS[action]))
    except ValidationError as exc:
        return ItemResult(uid, False, error="invalid", message=_in_words(exc))
    return ItemResult(uid, True, changed=bool(changed))


def _in_words(error):
    """A model's validation error with the fields it names: "licence type: This field cannot be blank."."""
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    return " ".join(f"{field.replace('_', ' ')}: {' '.join(messages)}" for field, messages in error.message_dict.items())


def _performer(action, actor, *, collection, keywords, rights_fields, reason):
    """The change for one asset (returning whether anything changed), after the whole-request checks."""
    if action not in ACTIONS:
        raise Refused(f"Unknown action “{action}”; use one of: {', '.join(ACTIONS)}.", code="unknown_action")
    if action in ("add_to_collection", "remove_from_collection"):
        if collection is None:
            raise Refused("Choose a collection.", code="collection_required")
        if actor.user is not None and not permissions.can_upload(actor.user, collection):
            raise PermissionDenied(f"You may not file assets into or take them out of “{collection.name}”.")
        change = add_to_collection if action == "add_to_collection" else remove_from_collection
        return lambda asset: change(asset, collection, actor=actor)
    if action == "add_keywords":
        keywords = clean_keywords(keywords)
        if not keywords:
            raise Refused("Type at least one keyword.", code="keywords_required")
        return lambda asset: add_keywords(asset, keywords, actor=actor)
    if action == "set_rights":
        if not rights_fields:
            raise Refused("Say which usage rights to set.", code="rights_required")
        return lambda asset: _set_rights(asset, actor, rights_fields)
    return lambda asset: _trash(asset, actor, reason)


def _set_rights(asset, actor, fields):
    before = getattr(asset, "usage_rights", None) and asset.usage_rights.updated_at
    return rights.set_rights(asset, actor=actor, **fields).updated_at != before


def _trash(asset, actor, reason):
    retention.trash(asset, actor=actor, reason=reason)
    return True


def summary(results):
    """One sentence per outcome for the page's message: how many were done, and each reason some were not."""
    done = sum(result.ok for result in results)
    reasons = {}
    for result in results:
        if not result.ok:
            reasons[result.message] = reasons.get(result.message, 0) + 1
    refused = [f"{_images(count)}: {message}" for message, count in reasons.items()]
    return done, refused


def _images(count):
    return f"{count} image{'s' if count != 1 else ''}"
