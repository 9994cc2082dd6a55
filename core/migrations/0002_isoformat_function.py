"""``core_isoformat(ts, zone)``: a timestamp as DRF writes it, for JSON that Postgres writes (``core.sql.isoformat``).

DRF's ``DateTimeField`` turns the value into the current time zone and writes ``datetime.isoformat()``: the
fraction only when the microseconds are not 0, the offset as ``+HH:MM`` (with ``:SS`` when it has seconds, as
some historical offsets do), and ``Z`` for UTC. One SELECT without FROM, so Postgres inlines it where it is
called (no function call per row).
"""
from django.db import migrations

FORWARD = """
CREATE FUNCTION core_isoformat(ts timestamptz, zone text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT to_char(ts AT TIME ZONE zone, 'YYYY-MM-DD"T"HH24:MI:SS')
    || CASE WHEN date_part('microseconds', ts AT TIME ZONE zone)::bigint % 1000000 = 0 THEN ''
            ELSE to_char(ts AT TIME ZONE zone, '.US') END
    || CASE
        WHEN (ts AT TIME ZONE zone) = (ts AT TIME ZONE 'UTC') THEN 'Z'
        WHEN (ts AT TIME ZONE zone) > (ts AT TIME ZONE 'UTC')
            THEN '+' || to_char((ts AT TIME ZONE zone) - (ts AT TIME ZONE 'UTC'), 'HH24:MI')
                || CASE WHEN date_part('second', (ts AT TIME ZONE zone) - (ts AT TIME ZONE 'UTC')) = 0 THEN ''
                        ELSE to_char((ts AT TIME ZONE zone) - (ts AT TIME ZONE 'UTC'), ':SS') END
        ELSE '-' || to_char((ts AT TIME ZONE 'UTC') - (ts AT TIME ZONE zone), 'HH24:MI')
            || CASE WHEN date_part('second', (ts AT TIME ZONE 'UTC') - (ts AT TIME ZONE zone)) = 0 THEN ''
                    ELSE to_char((ts AT TIME ZONE 'UTC') - (ts AT TIME ZONE zone), ':SS') END
    END
$$;
"""

BACKWARD = "DROP FUNCTION core_isoformat(timestamptz, text);"


class Migration(migrations.Migration):

    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
