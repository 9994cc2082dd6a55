"""Storage figures for /metrics, read from the database when it is scraped: two aggregate queries over the
recorded sizes, never a listing of the storage itself (which, on S3, costs a request per thousand objects)."""
import logging

from django.db import DatabaseError
from django.db.models import Count, Sum
from prometheus_client.core import GaugeMetricFamily

from assets.models import AssetVersion, Rendition

logger = logging.getLogger(__name__)


class StorageCollector:
    """Bytes and files of originals (every version) and renditions. Identical uploads that became separate
    assets share one stored file but count once each."""

    def collect(self):
        stored = GaugeMetricFamily("lumen_storage_bytes", "Bytes stored, as recorded in the database.", labels=["kind"])
        files = GaugeMetricFamily("lumen_storage_files", "Files stored, as recorded in the database.", labels=["kind"])
        try:
            for kind, model in (("originals", AssetVersion), ("renditions", Rendition)):
                totals = model.objects.aggregate(bytes=Sum("bytes"), files=Count("pk"))
                stored.add_metric([kind], totals["bytes"] or 0)
                files.add_metric([kind], totals["files"])
        except DatabaseError as exc:
            logger.warning("metrics could not read storage totals: %s", exc)
            return
        yield from (stored, files)
