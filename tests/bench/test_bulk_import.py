"""The bulk-import benchmark's short run: a small import with another person's uploads in between, end to end on
its own embedded Postgres, private Redis and the two worker pools, printing every figure it promises."""
import re
import subprocess
import sys

import pytest

from support import REPO

pytestmark = pytest.mark.slow


def test_a_short_import_reports_every_figure():
    done = subprocess.run([sys.executable, "bench/bulk_import.py", "--images", "12", "--singles-every", "0.5",
                           "--no-docs"], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout[done.stdout.index("## Bulk import"):]
    for row in ("import uploaded", "every thumbnail of the import made", "every image searchable",
                "images/s, upload to searchable", "their time to thumbnail, p50 / p95 / max", "peak worker-child RSS"):
        assert f"| {row}" in table, row
    singles = int(re.search(r"\| other person's uploads during the import \| (\d+) \|", table)[1])
    p95 = re.search(r"p50 / p95 / max \| ([\d.]+) / ([\d.]+) / ([\d.]+) s", table)
    assert singles >= 1 and p95 is not None, "the other person's uploads were measured"
    assert int(re.search(r"peak worker-child RSS \| (\d+) MB", table)[1]) > 0
