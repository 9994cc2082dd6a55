"""Near-duplicate images by perceptual hash, and keeping one of them (the others go to the trash).

Pairs come from one statement: current versions of assets the user may see whose dHashes share
a byte band (GIN ``&&``) and differ in at most ``MAX_DISTANCE`` bits (``bit_count``). Groups are
the connected pairs. Trashed assets are invisible to ``visible_assets``, so they leave the groups
and search at once, and can be restored from the trash.
"""
from django.db import connection, transaction

from assets.models import Asset
from assets.services import retention
from search.service import with_thumbnails
from search.sql import permitted_sql

MAX_DISTANCE = 6

_PAIRS_SQL = """
WITH hashed AS MATERIALIZED (
    SELECT a.id AS asset_id, h.dhash, h.bands
      FROM assets_asset a JOIN search_imagehash h ON h.version_id = a.current_version_id
     WHERE a.id IN (%%PERMITTED%%)
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
    groups = _components(duplicate_pairs(user))
    assets = with_thumbnails(Asset.objects.all()).in_bulk([asset_id for group in groups for asset_id in group])
    ordered = [sorted((assets[i] for i in group), key=lambda a: (a.created_at, a.pk)) for group in groups]
    return sorted(ordered, key=lambda group: (-len(group), group[0].pk))


def keep_one(kept, others, *, actor):
    """Keep ``kept`` and move ``others`` (each in its duplicate group) to the trash, audit-logged there."""
    group = next((g for g in _components(duplicate_pairs(actor.user)) if kept.pk in g), [])
    stranger = next((asset for asset in others if asset.pk not in group or asset.pk == kept.pk), None)
    if stranger is not None:
        raise ValueError(f"“{stranger}” is not a near-duplicate of “{kept}”.")
    with transaction.atomic():
        return [retention.trash(asset, actor=actor, reason=f"near-duplicate of {kept.uid}") for asset in others]
