"""Near-duplicate images by perceptual hash, and putting the extra copies aside.

Pairs come from one statement: current versions of visible, not-archived assets whose dHashes
share a byte band (GIN ``&&``) and differ in at most ``MAX_DISTANCE`` bits (``bit_count``).
Groups are the connected pairs.
"""
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction

from assets import permissions
from assets.models import Asset
from assets.services import audit
from search.models import DuplicateArchive
from search.service import permitted_sql, with_thumbnails

MAX_DISTANCE = 6

_PAIRS_SQL = """
WITH hashed AS MATERIALIZED (
    SELECT a.id AS asset_id, h.dhash, h.bands
      FROM assets_asset a JOIN search_imagehash h ON h.version_id = a.current_version_id
     WHERE a.id IN (%%PERMITTED%%)
       AND NOT EXISTS (SELECT 1 FROM search_duplicatearchive x WHERE x.asset_id = a.id)
)
SELECT x.asset_id, y.asset_id, bit_count((x.dhash # y.dhash)::bit(64)) AS distance
  FROM hashed x JOIN hashed y ON x.asset_id < y.asset_id AND x.bands && y.bands
 WHERE bit_count((x.dhash # y.dhash)::bit(64)) <= %s
"""


def duplicate_pairs(user):
    """(asset_id, asset_id, distance) for every near-duplicate pair ``user`` can see."""
    perm, perm_params = permitted_sql(user)
    with connection.cursor() as cursor:
        cursor.execute(_PAIRS_SQL.replace("%%PERMITTED%%", perm), [*perm_params, MAX_DISTANCE])
        return cursor.fetchall()


def _components(pairs):
    parent = {}

    def root(node):
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for left, right, _ in pairs:
        parent[root(left)] = root(right)
    groups = {}
    for node in parent:
        groups.setdefault(root(node), []).append(node)
    return [sorted(group) for group in groups.values()]


def duplicate_groups(user):
    """Groups of near-duplicate assets (largest first), each a list of assets, oldest first."""
    pairs = duplicate_pairs(user)
    groups = _components(pairs)
    assets = with_thumbnails(Asset.objects.all()).in_bulk([asset_id for group in groups for asset_id in group])
    ordered = [sorted((assets[i] for i in group), key=lambda a: (a.created_at, a.pk)) for group in groups]
    return sorted(ordered, key=lambda group: (-len(group), group[0].pk))


def keep_one(kept, others, *, actor):
    """Keep ``kept`` and archive ``others`` (each must be in its duplicate group), audit-logged.

    There is no trash yet: archived assets are hidden from search and this page, and stay
    readable by their links; a trash service can take these rows over.
    """
    group = next((g for g in _components(duplicate_pairs(actor.user)) if kept.pk in g), [])
    strangers = [asset for asset in others if asset.pk not in group or asset.pk == kept.pk]
    if strangers:
        raise ValueError(f"{strangers[0]} is not a near-duplicate of {kept}.")
    if not all(permissions.can_change(actor.user, asset) for asset in [kept, *others]):
        raise PermissionDenied
    with transaction.atomic():
        for asset in others:
            DuplicateArchive.objects.create(asset=asset, kept=kept, archived_by=actor.user)
            audit.record(actor, "asset.archive_duplicate", asset=asset, obj=asset,
                         after={"kept": str(kept.uid)})
    return others
