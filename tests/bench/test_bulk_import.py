"""The bulk-import benchmark's short run: a small queued import and another person's uploads, first come first
served and with fair turns, each end to end on its own embedded Postgres, private Redis and the two worker pools,
printing every figure it promises."""
import re
import subprocess
import sys

import pytest

from support import REPO

pytestmark = pytest.mark.slow


def test_a_short_import_reports_every_figure_for_both_sides():
    done = subprocess.run([sys.executable, "bench/bulk_import.py", "--images", "30", "--singles-every", "0.2",
                           "--no-docs"], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout[done.stdout.index("## Bulk import"):]
    for row in ("their time to thumbnail, p95", "every thumbnail of the import made", "every image searchable",
                "images/s, queue to searchable", "peak worker-child RSS"):
        assert f"| {row}" in table, row
    singles = re.search(r"\| other person's uploads during the import \| (\d+) \| (\d+) \|", table)
    assert singles and int(singles[2]) >= 1, "the other person's uploads were measured with fair turns"
    rss = re.search(r"\| peak worker-child RSS \| (\d+) MB \| (\d+) MB \|", table)
    assert rss and int(rss[1]) > 0 and int(rss[2]) > 0
