"""Pieces for writing the search statements: a parameter-safe builder and querysets as subqueries."""
from django.core.exceptions import EmptyResultSet

from assets.permissions import visible_assets

NOTHING = "SELECT NULL::bigint WHERE false"


class Sql:
    """SQL text and its parameters, appended together so placeholders and values never drift apart."""

    def __init__(self):
        self.parts, self.params = [], []

    def add(self, sql, *params):
        self.parts.append(sql)
        self.params.extend(params)
        return self

    def text(self):
        return "".join(self.parts)


def queryset_sql(queryset, *fields):
    """A queryset as (sql, params) for a subquery; a queryset that can match nothing becomes NOTHING."""
    try:
        return queryset.order_by().values(*(fields or ("id",))).query.sql_with_params()
    except EmptyResultSet:
        return NOTHING, ()


_PERMITTED = {}  # (user id, flags) -> (sql, params); cleared when it grows past PERMITTED_CACHE_SIZE
PERMITTED_CACHE_SIZE = 10_000


def permitted_sql(user):
    """``visible_assets(user)`` as a subquery: search follows whatever the permission gate says.

    The gate's SQL depends on the user only through its id and flags (roles and group memberships are
    read by its subqueries when the statement runs), so it is compiled once per user and flags and
    kept: building its subqueries through the ORM cost more than planning the whole search statement.
    """
    key = (getattr(user, "pk", None), *(bool(getattr(user, flag, False))
                                        for flag in ("is_authenticated", "is_active", "is_superuser")))
    if key not in _PERMITTED:
        if len(_PERMITTED) >= PERMITTED_CACHE_SIZE:
            _PERMITTED.clear()
        _PERMITTED[key] = queryset_sql(visible_assets(user))
    return _PERMITTED[key]
