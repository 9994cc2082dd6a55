"""Statement budgets: Postgres cancels what runs past them, and the setting ends with the block."""
import pytest
from django.db import OperationalError, connection

from core.sql import ran_out_of_time, time_budget

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

