"""Pages of asset lists that cost the same at a million assets as at a hundred (issue #15).

Two things made a library-wide page slow: an exact total (counting every visible asset) and OFFSET
(reading and dropping every row before the page). Totals here stop counting at ``COUNT_CAP`` ("10,000+"),
and the next page of an ordering that an index serves is found by its last row (a keyset cursor), so
the database reads one page of the index wherever the page is.
"""
import base64
import hashlib
import json
from functools import cached_property

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import DEFAULT_DB_ALIAS, OperationalError
from django.db.models import Q
from django.utils.dateparse import parse_datetime

from core.sql import ran_out_of_time, time_budget

COUNT_CAP = 10_000
SLOW = "slow"  # what count_within remembers of a count that ran out of time
# Orderings (assets.filtersets.ORDERINGS keys) whose leading column has an index with the id (Asset.Meta):
# field, descending, and how a cursor's value is read back.
KEYSET_ORDERINGS = {
    "-created_at": ("created_at", True, parse_datetime),
    "created_at": ("created_at", False, parse_datetime),
    "title": ("title", False, str),
    "-taken_at": ("captured_at", True, parse_datetime),
    "taken_at": ("captured_at", False, parse_datetime),
}


class CappedPaginator(Paginator):
    """A Paginator whose total stops at ``COUNT_CAP + 1`` rows (``count_is_exact`` says whether it did).

    With ``time_budget_ms`` (keyset pages only: page numbers need the total), counting also stops when it
    takes longer than that, and the total is None (unknown). A filter that few visible assets match makes
    Postgres check a large part of the library to find 10,001 of them (0.6–0.8 s at 1M); the page should
    not wait for that, and says the total is still being counted (``library_count`` counts it after)."""

    def __init__(self, object_list, per_page, *, time_budget_ms=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.time_budget_ms = time_budget_ms

    @cached_property
    def count(self):
        # Any COUNT_CAP + 1 rows will do: unordered and without the page's joins and computed columns, Postgres
        # stops at the first ones it finds (a site admin's total at 1M: 3.7 -> 0.8 ms) instead of walking the sort
        # order's index.
        capped = self.object_list.order_by().values("pk")[: COUNT_CAP + 1]  # values() drops select_related's joins
        return capped.count() if self.time_budget_ms is None else count_within(capped, self.time_budget_ms)

    @property
    def count_is_exact(self):
        return self.count is not None and self.count <= COUNT_CAP

    @property
    def capped_count(self):
        """The total, ``COUNT_CAP`` once counting stopped at the cap (what the API says, with ``count_is_exact``),
        or None when the time budget ran out."""
        return None if self.count is None else min(self.count, COUNT_CAP)

    @property
    def shown_count(self):
        """The total as people read it: "10,000+" once counting stopped at the cap; None when it is unknown."""
        if self.count is None:
            return None
        return f"{self.count:,}" if self.count_is_exact else f"{COUNT_CAP:,}+"


def count_within(queryset, budget_ms):
    """``queryset.count()``, or None if Postgres takes longer than ``budget_ms`` (``remembered_count``)."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # a gate or filter that can match nothing: there is nothing to ask Postgres
        return 0
    return remembered_count(sql, params, budget_ms, using=queryset.db)


def remembered_count(sql, params, budget_ms, *, using=DEFAULT_DB_ALIAS):
    """The rows of ``sql`` counted within ``budget_ms`` (``core.sql.time_budget``), or None if that ran out.

    What a count found is remembered under its SQL (the same user and filters give the same SQL) when it says
    little that can change soon: a count that ran out of time is not tried again for ``LUMEN_SLOW_COUNT_SECONDS``
    (the list would spend its budget again for nothing on each of its next pages: at 1M assets a viewer of 30%
    of the library needs ~30,000 gate probes, 60–90 ms, to reach "10,000+"), and one that reached the cap
    is "10,000+" for ``LUMEN_CAPPED_COUNT_SECONDS`` (read again, it cost a transaction and 10,001 rows on every
    page of a large library). A total under the cap is counted every time: it is exact, and an upload shows."""
    known_key = "count:" + hashlib.sha256(repr((using, sql, params)).encode()).hexdigest()
    known = cache.get(known_key)
    if known is not None:
        return None if known == SLOW else known
    try:
        with time_budget(budget_ms, using=using) as cursor:
            cursor.execute(f"SELECT count(*) FROM ({sql}) counted", params)
            count = cursor.fetchone()[0]
    except OperationalError as error:
        if ran_out_of_time(error):
            cache.set(known_key, SLOW, timeout=settings.LUMEN_SLOW_COUNT_SECONDS)
            return None
        raise
    if count > COUNT_CAP:
        cache.set(known_key, count, timeout=settings.LUMEN_CAPPED_COUNT_SECONDS)
    return count


class InvalidCursor(ValueError):
    pass


def encode_cursor(value, pk):
    raw = json.dumps([value.isoformat() if hasattr(value, "isoformat") else value, pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor, parse):
    try:
        value, pk = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        parsed = parse(value)
    except (ValueError, TypeError) as exc:
        raise InvalidCursor(cursor) from exc
    if parsed is None or not isinstance(pk, int):
        raise InvalidCursor(cursor)
    return parsed, pk


def keyset_page(queryset, ordering, cursor, size):
    """``(rows, next_cursor)``: the ``size`` rows of ``queryset`` (ordered by ``ordering``) after ``cursor``
    (None: from the start). The leading column's bound is repeated on its own so that it is an index
    condition, not a filter applied to every row before the cursor."""
    field, descending, parse = KEYSET_ORDERINGS[ordering]
    if cursor:
        value, pk = _decode_cursor(cursor, parse)
        before = "lt" if descending else "gt"
        queryset = queryset.filter(
            Q(**{f"{field}__{before}": value}) | Q(**{field: value, f"pk__{before}": pk}),
            **{f"{field}__{before}e": value},
        )
    rows = list(queryset[: size + 1])
    next_cursor = encode_cursor(getattr(rows[size - 1], field), rows[size - 1].pk) if len(rows) > size else None
    return rows[:size], next_cursor
