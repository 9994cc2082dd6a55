"""The audit log in words: what each recorded action means, and its before/after records as readable changes.

The log keeps machine codes (``rights.set``) and JSON records, which the CSV export and the API give as they are;
the pages say "Set the usage rights" and "Expires: 1 Jan 2025 → 1 Jan 2026", with the record itself in an expert
disclosure. An action not listed here (a newer feature's) reads as its code in words, never as nothing.
"""
import json
from dataclasses import dataclass

ACTION_WORDS = {
    "asset.upload": "Uploaded",
    "asset.new_version": "Uploaded a new version",
    "asset.restore_version": "Made an earlier version current",
    "asset.download_original": "Downloaded the original",
    "asset.signed_url_issue": "Made a download link",
    "asset.add_to_collection": "Added to a collection",
    "asset.remove_from_collection": "Removed from a collection",
    "asset.face_policy": "Asked for blurred faces",
    "asset.discard_renditions": "Took down previews",
    "asset.moderation": "Checked automatically for unsafe content",
    "asset.trash": "Moved to the trash",
    "asset.restore": "Restored from the trash",
    "asset.purge": "Purged for good",
    "asset.legal_hold": "Placed a legal hold",
    "asset.legal_hold_lift": "Lifted the legal hold",
    "moderation.flag": "Reported for moderation",
    "moderation.approve": "Approved by a moderator",
    "moderation.reject": "Rejected by a moderator",
    "rights.set": "Set the usage rights",
    "rights.expiry_notice": "Warned the owner that rights expire",
    "label.added": "Added a label",
    "label.rejected": "Rejected a label",
    "label.undo_rejection": "Took back a label's rejection",
    "collection.create": "Created a collection",
    "collection.face_policy": "Changed the collection's face blurring",
    "role.grant": "Granted a role",
    "role.revoke": "Revoked a role",
    "share.create": "Made a share link",
    "share.revoke": "Revoked a share link",
    "user.create": "Added a person",
    "user.invite": "Sent an invitation",
    "user.update": "Changed a person's details",
    "user.site_admin": "Changed who is a site administrator",
    "user.deactivate": "Deactivated a person",
    "user.activate": "Reactivated a person",
    "user.password_set": "Chose a password from an invitation",
    "search.save": "Saved a search",
    "search.update": "Changed a saved search",
    "search.delete": "Deleted a saved search",
    "upload.presign": "Started a direct upload",
    "upload.confirm": "Finished a direct upload",
    "upload.refused": "A direct upload was refused",
    "upload.purge_abandoned": "Cleared abandoned uploads",
    "concept.create": "Created a concept",
    "enrichment.activate_model": "Switched the model in use",
}

# The audit page's "What" filter: every kind of action, and each subject as a whole (a code ending in a dot).
SUBJECTS = {"asset.": "Assets", "moderation.": "Moderation", "rights.": "Usage rights", "label.": "Labels",
            "collection.": "Collections", "role.": "Roles", "share.": "Share links", "user.": "People",
            "search.": "Saved searches", "upload.": "Direct uploads", "concept.": "Concepts",
            "enrichment.": "Models"}

FIELD_WORDS = {"sha256": "checksum", "ttl": "valid for (seconds)", "uid": "id", "acquire_licence_url":
               "where to get a licence", "licence_url": "licence text", "anonymise_faces": "blur faces",
               "expires_on": "expires", "starts_on": "starts", "credit_line": "credit", "via": "through",
               "emailed_to": "mailed to", "site_admin": "site administrator"}
LONGEST_VALUE = 200


def action_words(action):
    """``rights.set`` -> "Set the usage rights"; an unknown code is at least made readable."""
    return ACTION_WORDS.get(action) or action.replace(".", ": ").replace("_", " ").capitalize()


def action_choices():
    """Grouped choices for a select: each subject as a whole, then its actions."""
    groups = [("", "Anything")]
    for prefix, subject in SUBJECTS.items():
        actions = [(code, words) for code, words in ACTION_WORDS.items() if code.startswith(prefix)]
        groups.append((subject, [(prefix, f"Anything about {subject.lower()}"), *actions]))
    return groups


@dataclass(frozen=True)
class Change:
    label: str
    before: str | None  # None: the field was not there (a creation)
    after: str | None  # None: it is no longer there (a deletion)


def changes(before, after):
    """The fields that differ between two audit records (dicts, or anything else JSON kept), in words."""
    if before is None and after is None:
        return []
    if not isinstance(before or {}, dict) or not isinstance(after or {}, dict):
        return [Change("Value", None if before is None else _text(before), None if after is None else _text(after))]
    before, after = before or {}, after or {}
    rows = []
    for name in [*after, *(name for name in before if name not in after)]:
        old, new = before.get(name), after.get(name)
        if name in before and name in after and old == new:
            continue
        rows.append(Change(field_words(name), _text(old) if name in before else None,
                           _text(new) if name in after else None))
    return rows


def field_words(name):
    return FIELD_WORDS.get(name, str(name).replace("_", " ")).capitalize()


def _text(value):
    if value is None or value == "" or value == []:
        text = "—"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, (list, tuple)):
        text = ", ".join(_text(item) for item in value)
    elif isinstance(value, dict):
        text = "; ".join(f"{field_words(key).lower()}: {_text(item)}" for key, item in value.items())
    else:
        text = str(value)
    return text if len(text) <= LONGEST_VALUE else text[:LONGEST_VALUE - 1] + "…"


def record_text(before, after):
    """The records as the log keeps them, for the expert disclosure."""
    return json.dumps({"before": before, "after": after}, ensure_ascii=False, indent=2, sort_keys=True)
