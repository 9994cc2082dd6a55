"""The permission gate's covering index (assets migration 0009), without and with it, in one run.

For a viewer, Postgres checks collection membership by hashing the ids of every asset in the viewer's
collections (it expects to check many rows). Without an index on (collection_id, asset_id) those ids come
from the heap of ``assets_asset_collections``, one block per row. This drops the index, times the viewer's
pages, builds it again and times them again, on bench/pages.py's library (``pages_<rows>``, loaded once).
Writes the "## Permission gate index" section of docs/benchmarks.md.

    python bench/gate_index.py [--rows 1000000] [--requests 9]
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HEADING = "## Permission gate index"
INDEX = "asset_collections_members"
CASES = [("library page", "/"), ("/api/assets/ page of 50", "/api/assets/?page_size=50"),
         ("library page, PNG, title order", "/?format=png&ordering=title")]


def timings(client, requests):
    """Median and worst server time (ms) per case, after one warm-up request each."""
    figures = {}
    for name, path in CASES:
        client.get(path)
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        figures[name] = (statistics.median(times), max(times))
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=9)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from bench.pages import prepare, start

    var_dir = Path(os.environ.setdefault("LUMEN_VAR_DIR", str(REPO / "var" / "bench")))
    var_dir.mkdir(parents=True, exist_ok=True)
    users = prepare(args.rows, start(var_dir))
    import logging

    from django.db import connection
    from django.test import Client

    from bench.harness import machine, write_section

    logging.disable(logging.INFO)  # a JSON line per request
    client = Client(HTTP_HOST="localhost")
    client.force_login(users["viewer"])
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    without = timings(client, args.requests)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE INDEX {INDEX} ON assets_asset_collections (collection_id, asset_id)")
        cursor.execute("VACUUM ANALYZE assets_asset_collections")
    with_index = timings(client, args.requests)
    about = machine()
    lines = [HEADING, "",
             f"`python bench/gate_index.py --rows {args.rows}` — {args.rows:,} assets ({about['date']}, "
             f"{about['cpus']} × {about['cpu']}, {about['ram']}, load average {about['load average']}). A viewer "
             f"with a role on ~30% of the collections, Django's test client, {args.requests} requests per case: "
             "median / worst ms, without and with the index on (collection_id, asset_id).", "",
             "| case | without | with |", "|---|---:|---:|"]
    for name, _ in CASES:
        lines.append(f"| {name} | {without[name][0]:.0f} / {without[name][1]:.0f} | "
                     f"{with_index[name][0]:.0f} / {with_index[name][1]:.0f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    write_section(HEADING, text)


if __name__ == "__main__":
    main()
