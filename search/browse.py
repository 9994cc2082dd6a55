"""The library by time and place: months of capture and map clusters, counted in SQL over the hits of the search
statement (its filters, words and permissions), so a million images cost one aggregate, never a load of assets.

The timeline groups by the month taken, or uploaded when the time taken is unknown (``statement.MONTH_OF``, also
the ``month`` filter), newest first; a page shows a few months with their newest images. The map counts images
with a GPS position per grid cell of the visible area: the cell shrinks as one zooms in, so a view holds at most
about ``CELLS_ACROSS`` x ``CELLS_ACROSS`` markers whatever the library's size.
"""
import math
from dataclasses import dataclass, field
from datetime import datetime

from assets.models import Asset
from assets.templatetags.asset_images import with_thumbnails
from search.service import statement_for
from search.sql import TABLES
from search.statement import MONTH_OF

MONTHS_PER_PAGE = 6
IMAGES_PER_MONTH = 12
CELLS_ACROSS = 16  # markers across the visible width, at most
MAX_ZOOM = 18

_MONTH = MONTH_OF.format(taken="taken_at", created="created_at")


@dataclass
class Month:
    month: str  # YYYY-MM
    count: int
    assets: list = field(default_factory=list)

    @property
    def year(self):
        return self.month[:4]

    @property
    def label(self):
        return datetime.strptime(self.month, "%Y-%m").strftime("%B %Y")

    @property
    def short_label(self):
        return datetime.strptime(self.month, "%Y-%m").strftime("%b")


def months(query, user):
    """Every month with hits, newest first, with its count."""
    statement, _ = statement_for(query, user)
    rows = statement.fetch(*statement.aggregate_sql(
        f"SELECT {_MONTH} AS month, count(*) FROM results GROUP BY 1 ORDER BY 1 DESC"))
    return [Month(month, count) for month, count in rows]


def with_images(query, user, shown, per_month=IMAGES_PER_MONTH):
    """Fill each of the ``shown`` months (``Month`` rows) with its newest ``per_month`` images, in one statement."""
    if not shown:
        return shown
    statement, _ = statement_for(query, user)
    rows = statement.fetch(*statement.aggregate_sql(
        f"SELECT asset_id, month FROM (SELECT asset_id, {_MONTH} AS month, row_number() OVER (PARTITION BY "
        f"{_MONTH} ORDER BY coalesce(taken_at, created_at) DESC, asset_id DESC) AS n FROM results "
        f"WHERE {_MONTH} = ANY(%s)) numbered WHERE n <= %s ORDER BY month DESC, n",
        [m.month for m in shown], per_month))
    assets = with_thumbnails(Asset.objects.all()).in_bulk([asset_id for asset_id, _ in rows])
    by_month = {m.month: m for m in shown}
    for asset_id, month in rows:
        if asset_id in assets:
            by_month[month].assets.append(assets[asset_id])
    return shown


@dataclass(frozen=True)
class Area:
    """The visible part of the map, in degrees, and its zoom level (Leaflet's: 0 shows the whole world)."""

    south: float = -90.0
    west: float = -180.0
    north: float = 90.0
    east: float = 180.0
    zoom: int = 2

    @property
    def cell(self):
        """Degrees per grid cell: the visible width over ``CELLS_ACROSS``, and never less than a window four tiles
        wide shows at this zoom over it; so however wide a ``bbox`` a client sends at whatever zoom, an answer
        holds at most about ``CELLS_ACROSS`` x ``CELLS_ACROSS`` clusters (each loads one image)."""
        width = max(self.east - self.west, 360.0 / 2 ** self.zoom * 4)
        return max(width / CELLS_ACROSS, 1e-5)


@dataclass
class Cluster:
    latitude: float
    longitude: float
    count: int
    bounds: tuple  # south, west, north, east of its images
    asset: Asset | None = None  # one of its images, for a preview


def clusters(query, user, area):
    """Images with a position inside ``area`` grouped per grid cell: count, centre, bounds and one image each."""
    statement, _ = statement_for(query, user)
    cell = area.cell
    rows = statement.fetch(*statement.aggregate_sql(
        "SELECT count(*), avg(d.latitude), avg(d.longitude), min(d.latitude), min(d.longitude), max(d.latitude), "
        f"max(d.longitude), max(r.asset_id) FROM results r JOIN {TABLES.search_document} d ON d.asset_id = r.asset_id "
        "WHERE d.latitude BETWEEN %s AND %s AND d.longitude BETWEEN %s AND %s "
        "GROUP BY floor(d.latitude / %s), floor(d.longitude / %s) ORDER BY 1 DESC",
        area.south, area.north, area.west, area.east, cell, cell))
    assets = with_thumbnails(Asset.objects.all()).in_bulk([row[-1] for row in rows])
    return [Cluster(lat, lon, count, (south, west, north, east), assets.get(sample))
            for count, lat, lon, south, west, north, east, sample in rows]


def area_from(params):
    """The ``bbox`` (west,south,east,north) and ``zoom`` parameters as an ``Area``; ValueError in words when bad."""
    bbox, zoom = params.get("bbox", ""), params.get("zoom", "")
    try:
        west, south, east, north = (float(part) for part in bbox.split(",")) if bbox else (-180.0, -90.0, 180.0, 90.0)
        level = int(zoom) if zoom else 2
    except ValueError:
        raise ValueError("Give bbox as west,south,east,north in degrees and zoom as a whole number.") from None
    if not all(math.isfinite(v) for v in (west, south, east, north)) or south > north or west > east:
        raise ValueError("bbox must be west,south,east,north with west ≤ east and south ≤ north.")
    return Area(max(south, -90.0), max(west, -180.0), min(north, 90.0), min(east, 180.0),
                min(max(level, 0), MAX_ZOOM))
