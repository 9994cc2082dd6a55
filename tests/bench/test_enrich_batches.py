"""The enrichment-batches benchmark's short run: a few photos enriched one at a time and in batches through the
task's own code, on its own embedded Postgres and Redis, printing both rows of figures."""
import re
import subprocess
import sys

import pytest

from support import REPO

pytestmark = pytest.mark.slow


def test_a_short_run_reports_both_ways_of_enriching():
    done = subprocess.run([sys.executable, "bench/enrich_batches.py", "--images", "4", "--batch", "2", "--rounds", "2",
                           "--no-docs"], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout[done.stdout.index("## Enrichment batches"):]
    for way in ("one at a time", "batches of 2"):
        row = re.search(rf"\| {way} \| ([\d.]+) \(.*\) \| ([\d.]+) \(.*\) \|", table)
        assert row and float(row[1]) > 0 and float(row[2]) > 0, way
    assert re.search(r"Batches / one at a time, wall: \d+\.\d\d\.", table)
