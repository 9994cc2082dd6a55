"""How long an upload waits for its previews, in words a person can plan with.

A tile that only says "Processing…" for a quarter of an hour gives no reason and no hope. An asset whose
previews are not made yet waits behind the uploads still waiting that workers take first (the renditions
queue runs by fair turn, then in upload order: ``processing.queue_priority``), and the pool works them off at the pace it kept over the last minutes: so the tile can say
"Waiting: 412 images ahead, about 3 minutes". Both are read in two statements per poll, whatever the number
of tiles asking (a partial index keeps the queue small to scan at any library size).
"""
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import Count, Max, Min
from django.utils import timezone

from assets.models import Asset, Rendition

PACE_WINDOW = timedelta(minutes=5)
MIN_PACE_SAMPLE = 3  # fewer previews made in the window say little about the pace
# Without recent work to go by: one image's previews take ~1 s of one worker (process_version's mean,
# docs/benchmarks.md "Ingest and renditions"), so one second per image is a fair first guess.
FIRST_GUESS_SECONDS_PER_IMAGE = 1.0
MIN_SECONDS_PER_IMAGE = 0.05  # previews saved in one burst would otherwise promise no wait at all

_POSITIONS_SQL = f"""
SELECT uid, ahead
  FROM (SELECT uid, row_number() OVER (ORDER BY queue_priority, current_version_id) - 1 AS ahead
          FROM {Asset._meta.db_table}
         WHERE status = %(processing)s AND current_version_id IS NOT NULL AND deleted_at IS NULL) AS queue
 WHERE uid = ANY(%(uids)s::uuid[])
"""


@dataclass(frozen=True)
class Wait:
    """An asset's place in the renditions queue and the seconds until its previews are likely ready."""

    ahead: int
    seconds: float

    def words(self):
        if self.ahead == 0:
            return "Making previews now…"
        images = f"{self.ahead:,} image{'s' if self.ahead != 1 else ''}"
        return f"Waiting: {images} ahead, {duration_words(self.seconds)}"

    def as_dict(self):
        return {"ahead": self.ahead, "estimate_seconds": round(self.seconds), "words": self.words()}


def duration_words(seconds):
    """Rounded the way a person says it: "less than a minute", "about 3 minutes", "about 2 hours"."""
    if seconds < 60:
        return "less than a minute"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"
    return f"about {round(seconds / 3600)} hours"


def waits(uids):
    """``{uid: Wait}`` for those of ``uids`` (UUIDs or their strings) still waiting for previews."""
    uids = [str(uid) for uid in uids]
    if not uids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_POSITIONS_SQL, {"processing": Asset.Status.PROCESSING, "uids": uids})
        positions = cursor.fetchall()
    if not positions:
        return {}
    per_image = seconds_per_image()
    return {str(uid): Wait(ahead, (ahead + 1) * per_image) for uid, ahead in positions}


def seconds_per_image():
    """The pace the pool kept (every worker together) while it worked in the last ``PACE_WINDOW``: the time
    from the first to the last version whose previews were made then, per version after the first. (Idle time
    before an import started does not slow the estimate down.)"""
    recent = Rendition.objects.filter(created_at__gte=timezone.now() - PACE_WINDOW).aggregate(
        versions=Count("version_id", distinct=True), first=Min("created_at"), last=Max("created_at"))
    if recent["versions"] < MIN_PACE_SAMPLE:
        return FIRST_GUESS_SECONDS_PER_IMAGE
    span = (recent["last"] - recent["first"]).total_seconds()
    return max(span / (recent["versions"] - 1), MIN_SECONDS_PER_IMAGE)


def wait_for(asset):
    """The ``Wait`` of one asset, or ``None`` once its previews are made (or failed)."""
    if asset.status != Asset.Status.PROCESSING:
        return None
    return waits([asset.uid]).get(str(asset.uid))
