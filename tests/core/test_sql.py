"""Statement budgets: Postgres cancels what runs past them, and the setting ends with the block. Timestamps that
Postgres writes read as DRF writes them."""
from datetime import UTC, datetime, timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone
from rest_framework import serializers

from assets.models import Asset
from core.sql import isoformat, prepared, ran_out_of_time, time_budget

pytestmark = pytest.mark.django_db


def statement_timeout():
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


def test_a_statement_past_its_budget_is_cancelled_and_the_budget_ends_with_the_block():
    before = statement_timeout()
    with time_budget(500) as cursor:
        cursor.execute("SELECT count(*) FROM generate_series(1, 1000)")
        assert cursor.fetchone() == (1000,)
    with pytest.raises(OperationalError) as cancelled:
        with time_budget(50) as cursor:
            cursor.execute("SELECT pg_sleep(2)")
    assert ran_out_of_time(cancelled.value)
    assert statement_timeout() == before  # neither the kept nor the cancelled budget outlives its block



def prepared_statements():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_statements_run_under_prepared_stay_prepared_and_others_are_planned_each_time():
    def lookup(uid):
        return Asset.objects.filter(uid=uid).first()

    lookup("6f1c2a6e-1d2b-4c3a-9e8f-0a1b2c3d4e5f")
    assert not [statement for statement in prepared_statements() if "assets_asset" in statement]
    with prepared():
        lookup("6f1c2a6e-1d2b-4c3a-9e8f-0a1b2c3d4e5f")
        lookup("0a1b2c3d-1d2b-4c3a-9e8f-6f1c2a6e4e5f")  # the same statement with other values: prepared once
    kept = [statement for statement in prepared_statements() if "assets_asset" in statement]
    assert len(kept) == 1 and "$1" in kept[0]
    assert connection.connection.prepare_threshold is None  # outside the block nothing more is prepared


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_inside_prepared_leaves_the_next_one_as_django_makes_it():
    """Postgres restarting under a prepared lookup: the error is the database's (a 503 for the API), not ours."""
    with prepared():
        connection.close()  # as Django does when a query finds the server gone
    assert connection.connection is None
    assert Asset.objects.count() == 0 and connection.connection.prepare_threshold is None


# UTC, whole-hour offsets on both sides of it with summer time, half and three-quarter hours, and a zone whose
# offset had seconds until 1972 (Monrovia, -00:44:30). Earlier history is left out: Postgres's time-zone database
# and Python's need not agree on it (they give Amsterdam in 1890 different local mean times).
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns",
         "Africa/Monrovia"]
MOMENTS = [
    datetime(2026, 12, 7, 4, 0, 0, tzinfo=UTC),  # no fraction: isoformat leaves it out
    datetime(2026, 12, 7, 4, 0, 0, 1, tzinfo=UTC),
    datetime(2026, 7, 1, 23, 59, 59, 999999, tzinfo=UTC),  # a summer date that is another day in some zones
    datetime(2026, 3, 29, 1, 30, 0, 120000, tzinfo=UTC),  # summer time starting in Europe
    datetime(1971, 5, 17, 12, 0, 0, tzinfo=UTC),
]


@pytest.mark.parametrize("zone", ZONES)
def test_timestamps_written_by_postgres_read_as_drf_writes_them(zone):
    field = serializers.DateTimeField()
    with timezone.override(zone):
        sql, params = isoformat("moment")
        with connection.cursor() as cursor:
            for moment in MOMENTS + [datetime.now(UTC) + timedelta(microseconds=7)]:
                cursor.execute(f"SELECT {sql} FROM (SELECT %s::timestamptz AS moment) given", [*params, moment])
                assert cursor.fetchone()[0] == field.to_representation(moment), (zone, moment)
