"""Timeline and map benchmark: the months and map clusters of a large library, counted in SQL over the search
statement's hits (``search.browse``), against counting them from every visible asset loaded into Python.

Loads N assets with bench/search.py's loader into their own database on the bench server (``var/bench``; reused
between runs), gives them capture dates over twenty years (10% unknown) and GPS positions (30%, around 50
places), then times each case 20 times after 3 untimed runs, for a site admin and for a viewer of 30% of the
collections. Writes its section of docs/benchmarks.md.

    python bench/browse.py --rows 100000 1000000
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUNS, WARM_UP = 20, 3
HEADING = "## Timeline and map"


def _vector_bench():
    """bench/search.py's server, loader and machine facts, loaded by path: as ``search`` it would shadow the app."""
    spec = importlib.util.spec_from_file_location("bench_search", Path(__file__).with_name("search.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


PLACES_SQL = """
UPDATE search_searchdocument d SET
    taken_at = CASE WHEN hashint8(d.asset_id) % 10 = 0 THEN NULL
               ELSE timestamptz '2005-01-01' + (abs(hashint8(d.asset_id * 7)) % (20 * 365 * 86400)) * interval '1 second' END,
    latitude = CASE WHEN abs(hashint8(d.asset_id * 3)) % 10 < 3 THEN
               -40 + (abs(hashint8(d.asset_id * 3)) % 50) * 1.7 + (abs(hashint8(d.asset_id * 5)) % 1000) / 5000.0 END,
    longitude = CASE WHEN abs(hashint8(d.asset_id * 3)) % 10 < 3 THEN
               -120 + (abs(hashint8(d.asset_id * 3)) % 50) * 4.9 + (abs(hashint8(d.asset_id * 11)) % 1000) / 5000.0 END
"""


def prepare(bench, rows, url):
    from django.contrib.auth import get_user_model
    from django.db import connection

    from assets.models import Asset, Collection, CollectionRole

    bench.use_database(url, f"bench_browse_{rows}")
    users = get_user_model().objects
    owner, _ = users.get_or_create(username="bench-owner")
    admin, _ = users.get_or_create(username="bench-admin", defaults={"is_superuser": True, "is_staff": True})
    viewer, _ = users.get_or_create(username="bench-viewer")
    if not Asset.objects.exists():
        _, dataset = bench.make_dataset(rows, dims=8, clusters=50)
        bench.load_dataset(dataset, owner=owner)
        with connection.cursor() as cursor:
            cursor.execute(PLACES_SQL)
            cursor.execute("VACUUM ANALYZE")
    collections = list(Collection.objects.order_by("pk").values_list("pk", flat=True))
    for pk in collections[:int(len(collections) * 0.3)]:
        CollectionRole.objects.get_or_create(collection_id=pk, user=viewer, defaults={"role": "viewer"})
    return {"site admin": admin, "viewer of 30%": viewer}


def everything_loaded(user):
    """Before: every visible asset's dates and position loaded, months and cells counted in Python."""
    from collections import Counter

    from assets.permissions import visible_assets
    from search.models import SearchDocument

    rows = SearchDocument.objects.filter(asset__in=visible_assets(user)).values_list(
        "taken_at", "asset__created_at", "latitude", "longitude")
    months, cells = Counter(), Counter()
    for taken, created, lat, lon in rows.iterator(chunk_size=10_000):
        months[(taken or created).strftime("%Y-%m")] += 1
        if lat is not None:
            cells[(int(lat // 22.5), int(lon // 22.5))] += 1
    return months, cells


def cases():
    from search import browse
    from search.query import SearchQuery

    everything = SearchQuery()
    return {
        "timeline: every month": lambda user: browse.months(everything, user),
        "timeline: a page (6 months, 12 images each)": lambda user: browse.with_images(
            everything, user, browse.months(everything, user)[:browse.MONTHS_PER_PAGE]),
        "timeline: one format, words 'image 12'": lambda user: browse.months(
            SearchQuery(text="image 12", formats=["jpeg"]), user),
        "map: world, zoom 2": lambda user: browse.clusters(everything, user, browse.Area()),
        "map: a region, zoom 6": lambda user: browse.clusters(everything, user, browse.Area(30, -60, 45, -30, 6)),
        "map: a town, zoom 14": lambda user: browse.clusters(
            everything, user, browse.Area(-40.01, -120.01, -39.79, -119.79, 14)),
        "before: load every visible asset, count in Python": everything_loaded,
    }


def measure(call, user):
    for _ in range(WARM_UP):
        call(user)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        call(user)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--no-docs", action="store_true", help="print only; do not write docs/benchmarks.md")
    args = parser.parse_args()
    var_dir = Path(os.environ.setdefault("LUMEN_VAR_DIR", str(REPO / "var" / "bench")))
    var_dir.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dam.settings")
    bench = _vector_bench()
    url = bench.start_server(var_dir)
    os.environ["DATABASE_URL"] = url
    from dam.embedded import prepare_environment

    prepare_environment(var_dir)
    import django

    django.setup()
    before = bench.machine()
    lines = ["| assets | case | user | p50 ms | p95 ms |", "|---:|---|---|---:|---:|"]
    print("\n".join(lines), flush=True)
    for rows in args.rows:
        users = prepare(bench, rows, url)
        for name, call in cases().items():
            for who, user in users.items():
                p50, p95 = measure(call, user)
                lines.append(f"| {rows:,} | {name} | {who} | {p50:.1f} | {p95:.1f} |")
                print(lines[-1], flush=True)
    after = bench.machine()
    text = "\n".join([
        HEADING, "",
        "`python bench/browse.py` (`search.browse`: one aggregate statement per timeline or map request, over the "
        "search statement's hits; \"before\" loads every visible asset and counts in Python). "
        f"{RUNS} runs per case after {WARM_UP} untimed.", "",
        f"Machine: {before['cpus']} CPUs ({before['cpu']}), {before['ram']} RAM; {before['postgres']}. "
        f"Load average {before['load average']} at start, {after['load average']} at end (shared machine).", "",
        *lines, ""])
    print(text)
    if not args.no_docs:
        from harness import write_section

        write_section(HEADING, text)


if __name__ == "__main__":
    main()
