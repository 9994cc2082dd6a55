"""Near-duplicate images: perceptual hash for candidates, the similarity vector to confirm, complete-linkage
groups, and keeping one of a group (the others go to the trash, each only if the person may change it).

Pairs come from one statement over the current versions of assets the user may see: dHashes that share a
byte band (GIN ``&&``) and differ in at most ``MAX_DISTANCE`` bits, of the same shape (aspect ratios within
``MAX_ASPECT_DIFFERENCE``), and, when both have a vector of the active similarity model, within
``MAX_VECTOR_DISTANCE`` of each other. Tiny images (a side under ``MIN_SIDE`` px) and flat ones (a hash
with fewer than ``MIN_HASH_EDGES`` bits set, or unset: a blank, a plain colour or a smooth gradient) say
nothing about their content, so they are never paired.

Groups are complete-linkage: an image joins a group only when it pairs with every image already in it, so
A~B and B~C never put A with C (single-link chaining made a "6 near-identical images" group of a towel
sculpture and a waterfall). Trashed assets are invisible to ``visible_assets``, so they leave the groups
and search at once, and can be restored from the trash.
"""
from dataclasses import dataclass

from django.db import connection, transaction

from assets.models import Asset
from assets.permissions import permitted_assets, refusal_text
from assets.templatetags.asset_images import with_thumbnails
from core.refusals import Refused
from enrichment.models import Capability
from governance.services import retention
from search.embeddings import active_run
from search.sql import TABLES, permitted_sql

MAX_DISTANCE = 6
# Cosine distance of mobilenetv2 similarity vectors (docs/search.md, "Near-duplicates"): re-encodes,
# resizes and small crops of one photo measured 0.00-0.06, different photos of one kind 0.2-0.5.
MAX_VECTOR_DISTANCE = 0.15
MAX_ASPECT_DIFFERENCE = 0.05  # |ln(w1/h1) - ln(w2/h2)|: 5 %, so a crop to another shape is not a copy
MIN_SIDE = 32
MIN_HASH_EDGES = 6

_PAIRS_SQL = f"""
WITH hashed AS MATERIALIZED (
    SELECT a.id AS asset_id, a.current_version_id AS version_id, h.dhash, h.bands,
           ln(v.width::float8 / v.height) AS aspect
      FROM {TABLES.asset} a JOIN {TABLES.image_hash} h ON h.version_id = a.current_version_id
      JOIN {TABLES.asset_version} v ON v.id = a.current_version_id
     WHERE a.id IN ({{permitted}}) AND {{scope}}
       AND least(v.width, v.height) >= %s AND bit_count(h.dhash::bit(64)) BETWEEN %s AND 64 - %s
)
SELECT x.asset_id, y.asset_id, bit_count((x.dhash # y.dhash)::bit(64)) AS distance,
       (ex.vector <=> ey.vector)::float8 AS vector_distance
  FROM hashed x JOIN hashed y ON x.asset_id < y.asset_id AND x.bands && y.bands
  LEFT JOIN {TABLES.embedding} ex ON ex.version_id = x.version_id AND ex.model_id = %s
  LEFT JOIN {TABLES.embedding} ey ON ey.version_id = y.version_id AND ey.model_id = %s
 WHERE bit_count((x.dhash # y.dhash)::bit(64)) <= %s AND abs(x.aspect - y.aspect) <= %s
   AND (ex.vector IS NULL OR ey.vector IS NULL OR (ex.vector <=> ey.vector) <= %s)
"""
# ``of``: that asset's hash bands narrow the candidates through the index before any pair is compared.
_SCOPE_OF_SQL = (f"h.bands && (SELECT oh.bands FROM {TABLES.image_hash} oh JOIN {TABLES.asset} oa "
                 "ON oa.current_version_id = oh.version_id WHERE oa.id = %s)")


@dataclass(frozen=True)
class Pair:
    left: int
    right: int
    distance: int
    vector_distance: float | None


def duplicate_pairs(user, *, of=None):
    """Every near-duplicate pair ``user`` can see (only those with asset ``of``, when given)."""
    perm, perm_params = permitted_sql(user)
    run = active_run(Capability.SIMILARITY)
    model = run.pk if run else None
    scope, scope_params = (_SCOPE_OF_SQL, [of.pk]) if of is not None else ("true", [])
    sql = _PAIRS_SQL.replace("{permitted}", perm).replace("{scope}", scope)
    params = [*perm_params, *scope_params, MIN_SIDE, MIN_HASH_EDGES, MIN_HASH_EDGES, model, model,
              MAX_DISTANCE, MAX_ASPECT_DIFFERENCE, MAX_VECTOR_DISTANCE]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        pairs = [Pair(*row) for row in cursor.fetchall()]
    return [p for p in pairs if of is None or of.pk in (p.left, p.right)]


def complete_linkage_groups(pairs):
    """Groups in which every two members are a pair, closest pairs joined first; singletons dropped."""
    linked = {(p.left, p.right) for p in pairs} | {(p.right, p.left) for p in pairs}
    group_of = {}
    for pair in sorted(pairs, key=lambda p: (p.distance, p.vector_distance or 0.0, p.left, p.right)):
        left = group_of.setdefault(pair.left, [pair.left])
        right = group_of.setdefault(pair.right, [pair.right])
        if left is right or not all((a, b) in linked for a in left for b in right):
            continue
        left.extend(right)
        for member in right:
            group_of[member] = left
    unique = {id(group): group for group in group_of.values()}
    return [sorted(group) for group in unique.values() if len(group) > 1]


@dataclass
class DuplicateGroup:
    assets: list          # oldest first
    trashable: set        # ids of the assets the user may move to the trash

    def __len__(self):
        return len(self.assets)


def duplicate_groups(user):
    """Groups of near-duplicate assets ``user`` can see (largest first), each saying which ones they may trash."""
    groups = complete_linkage_groups(duplicate_pairs(user))
    ids = [asset_id for group in groups for asset_id in group]
    assets = with_thumbnails(Asset.objects.all()).in_bulk(ids)
    trashable = set(permitted_assets(user, "delete", Asset.objects.filter(pk__in=ids)).values_list("pk", flat=True))
    ordered = [sorted((assets[i] for i in group), key=lambda a: (a.created_at, a.pk)) for group in groups]
    return [DuplicateGroup(group, trashable & {a.pk for a in group})
            for group in sorted(ordered, key=lambda group: (-len(group), group[0].pk))]


def possible_duplicates(asset, user):
    """Visible assets that look like ``asset`` (the note at upload), closest first, the oldest first among equally
    close ones (what a new upload duplicates is usually the first of them; the pairs' SQL order is no order)."""
    def other(pair):
        return pair.right if pair.left == asset.pk else pair.left

    pairs = sorted(duplicate_pairs(user, of=asset), key=lambda p: (p.distance, p.vector_distance or 0.0, other(p)))
    ids = [other(p) for p in pairs]
    found = Asset.objects.in_bulk(ids)
    return [found[i] for i in ids if i in found]


def _refuse(message, code, status):
    raise Refused(message, code=code, status=status)


def check_keep_one(kept, others, user):
    """What ``keep_one`` would do, or a refusal saying why not (nothing to trash, not in the group,
    not the user's to change)."""
    if not others:
        _refuse("Choose at least one image to move to the trash.", "nothing_chosen", 400)
    groups = complete_linkage_groups(duplicate_pairs(user))
    group = next((g for g in groups if kept.pk in g), [])
    stranger = next((asset for asset in others if asset.pk not in group or asset.pk == kept.pk), None)
    if stranger is not None:
        _refuse(f"“{stranger}” is not a near-duplicate of “{kept}”.", "not_a_duplicate", 400)
    allowed = set(permitted_assets(user, "delete", Asset.objects.filter(pk__in=[a.pk for a in others]))
                  .values_list("pk", flat=True))
    forbidden = next((asset for asset in others if asset.pk not in allowed), None)
    if forbidden is not None:
        _refuse(f"“{forbidden}”: {refusal_text('delete')}", "forbidden", 403)


def keep_one(kept, others, *, actor):
    """Keep ``kept`` and move ``others`` (in its duplicate group, each one the actor may change) to the
    trash, audit-logged there; all or none."""
    check_keep_one(kept, others, actor.user)
    with transaction.atomic():
        return [retention.trash(asset, actor=actor, reason=f"near-duplicate of {kept.uid}") for asset in others]
