"""Usage rights in search, from governance's rules (``governance.services.rights.usable_for``).

The conditions are Asset querysets the search statement embeds as subqueries, so a change to the
rights rules changes search with them.
"""

from assets.models import Asset
from core.sql import probed_exists
from governance.models import UsageRights
from governance.services.rights import usable_for, usable_rights
from search.sql import queryset_sql

STATUSES = {"usable": "Usable today", "not_usable": "Not usable today", "unknown": "No rights recorded"}


def usable_assets(use):
    """Assets usable as ``use`` (a ``search.query.RightsUse``) says; open parts are not tested."""
    return usable_for(Asset.objects.all(), use.channel or None, use.territory or None, use.on_date)


def status_sql(asset_column):
    """SQL for the rights status of the asset in ``asset_column``: usable / not_usable / unknown, today.

    Each test probes the rights row of that one asset (``probed_exists``: hashing every asset's rights first
    cost ~200 ms at a million assets, for facets that count a sample of ~2,000)."""
    usable, usable_params = queryset_sql(usable_rights(), "asset_id")
    recorded, recorded_params = queryset_sql(UsageRights.objects.all(), "asset_id")
    def probe(rows):
        return probed_exists(f"SELECT 1 FROM ({rows}) r WHERE r.asset_id = {asset_column}")

    return (f"CASE WHEN {probe(usable)} THEN 'usable' WHEN {probe(recorded)} THEN 'not_usable' ELSE 'unknown' END",
            [*usable_params, *recorded_params])
