"""Usage rights in search, from governance's rules (``governance.services.rights.usable_for``).

The conditions are Asset querysets the search statement embeds as subqueries, so a change to the
rights rules changes search with them.
"""
from django.utils import timezone

from assets.models import Asset
from governance.models import UsageRights
from governance.services.rights import usable_for
from search.sql import queryset_sql

STATUSES = {"usable": "Usable today", "not_usable": "Not usable today", "unknown": "No rights recorded"}


def usable_assets(use):
    """Assets usable as ``use`` (a ``search.query.RightsUse``) says; open parts are not tested."""
    return usable_for(Asset.objects.all(), use.channel or None, use.territory or None, use.on_date)


def status_sql(asset_column):
    """SQL for the rights status of the asset in ``asset_column``: usable / not_usable / unknown, today."""
    usable, usable_params = queryset_sql(usable_for(Asset.objects.all(), on_date=timezone.localdate()))
    recorded, recorded_params = queryset_sql(UsageRights.objects.all(), "asset_id")
    return (f"CASE WHEN {asset_column} IN ({usable}) THEN 'usable' WHEN {asset_column} IN ({recorded}) "
            "THEN 'not_usable' ELSE 'unknown' END", [*usable_params, *recorded_params])
