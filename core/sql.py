"""SQL shapes and statement budgets shared by the permission gate (``assets.permissions``), search and lists."""
from contextlib import contextmanager

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from psycopg.errors import QueryCanceled


def probed_exists(select_sql):
    """``EXISTS (select_sql)`` that Postgres checks row by row, by an index probe, never by hashing every match first.

    Under an OR, or with many outer rows expected, Postgres may run an EXISTS as a hashed subplan: it reads
    every matching row before the first outer row. For a page read from an index under LIMIT it expects to
    check the whole table and so always hashed: ~360,000 collection members read for a viewer's page of 48
    at 1M assets, ~200 ms of rights rows for facets over a sample. An OFFSET keeps the subquery as written
    (the planner's ``simplify_EXISTS_query`` gives up on one), so only the rows read are checked
    (docs/benchmarks.md, "Library-wide pages")."""
    return f"EXISTS ({select_sql} OFFSET 0)"


def statement_timeout_sql(budget_ms):
    """SQL that makes Postgres cancel statements running past ``budget_ms`` until the transaction ends (Django then
    raises an OperationalError: ``ran_out_of_time``), so one request cannot hold a database core for minutes."""
    return f"SELECT set_config('statement_timeout', '{max(1, int(budget_ms))}ms', true)"


def execute_with_settings(cursor, settings, statement, params):
    """Run ``statement`` after ``settings`` (SQL statements of ``set_config(..., true)`` calls) in one round trip.

    On a cursor that binds parameters client-side (``client_bound_cursor``) they all travel in one simple query:
    Postgres runs them as one implicit transaction and the settings reach the statement, and end with it,
    without BEGIN and COMMIT round trips (inside a transaction they last to its end). A cursor that binds
    server-side sends one statement per call, so there they run in a transaction. The cursor is left on the
    statement's rows."""
    if not isinstance(cursor.cursor, psycopg.ClientCursor):
        with transaction.atomic(using=cursor.db.alias):
            for setting in settings:
                cursor.execute(setting)
            cursor.execute(statement, params)
        return
    cursor.execute("; ".join([*settings, statement]), params)
    for _ in settings:
        cursor.nextset()


@contextmanager
def client_bound_cursor(using=DEFAULT_DB_ALIAS):
    """A cursor of the connection ``using`` that binds parameters into the SQL text itself, as Django's did before
    server-side binding (``DB_SERVER_SIDE_BINDING``): for ``execute_with_settings``, whose settings and statement
    then cost one round trip instead of four. Logged like any cursor of the connection."""
    from django.db.backends.postgresql.base import Cursor  # Django's client-side binding cursor

    wrapper = connections[using]
    wrapper.close_if_health_check_failed()  # as connection.cursor() does: a connection Postgres dropped is replaced
    wrapper.ensure_connection()
    raw = Cursor(wrapper.connection)
    with wrapper.make_debug_cursor(raw) if wrapper.queries_logged else wrapper.make_cursor(raw) as cursor:
        yield cursor


@contextmanager
def prepared(using=DEFAULT_DB_ALIAS):
    """Statements run inside are prepared on their connection and stay prepared, so that Postgres plans each one once
    per connection rather than on every run: for lookups whose best plan does not depend on the values, such as
    a row by its key. Planning was about two thirds of Postgres's time for an asset detail at 1M assets
    (docs/benchmarks.md, "Server throughput"). Everything else is planned with its values each time (Django's
    default): a plan kept for one search or filter could be a poor one for the next."""
    wrapper = connections[using]
    wrapper.ensure_connection()
    # The connection of now: a query that fails inside (Postgres restarting) may leave Django without one.
    raw = wrapper.connection
    kept = raw.prepare_threshold  # None: psycopg prepares nothing (Django's default)
    raw.prepare_threshold = 0  # prepare at the first run; a prepared statement is reused after
    try:
        yield
    finally:
        raw.prepare_threshold = kept


@contextmanager
def time_budget(budget_ms, using=DEFAULT_DB_ALIAS):
    """A cursor whose statements run within ``budget_ms`` (``statement_timeout_sql``), in a transaction (a savepoint
    inside another) rolled back at the end, which also undoes the setting: for reading only."""
    with transaction.atomic(using=using):
        with connections[using].cursor() as cursor:
            cursor.execute(statement_timeout_sql(budget_ms))
            yield cursor
        transaction.set_rollback(True, using=using)


def ran_out_of_time(error):
    """Whether a database error is Postgres cancelling a statement past its budget (``statement_timeout_sql``)."""
    return isinstance(error.__cause__, QueryCanceled)


def isoformat(column):
    """``(sql, params)``: the timestamp ``column`` as text, written as DRF writes a timestamp in the current time
    zone (the function ``core_isoformat``, core migration 0002), for JSON that Postgres writes."""
    return f"core_isoformat({column}, %s)", [timezone.get_current_timezone_name()]
