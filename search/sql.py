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


def permitted_sql(user):
    """``visible_assets(user)`` as a subquery: search follows whatever the permission gate says."""
    return queryset_sql(visible_assets(user))
