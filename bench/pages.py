"""Library-wide pages at a million assets: server time of the library page, ``/api/assets/`` (list and detail)
and search with no words (with and without filters), before and after in one run.

The library is ``bench/search.py``'s loader (assets, versions, collections, role grants, labels; no vectors)
furnished as the app would hold it: every version with the default renditions' rows, camera metadata and
a taken time for most, a mix of formats and orientations, search documents with creators, cameras and
colours, usage rights for some. It lives in its own database (``pages_<rows>``) on the bench's embedded
Postgres (``SERVER_SETTINGS``), is loaded once and reused.

"Before" runs the code of ``--before`` (default: the merge base with main), checked out in a temporary
worktree, against the same database (which keeps this checkout's indexes: they can only help "before");
then "after" runs this checkout's code. Each case is requested through Django's test client (the
whole stack but the socket) signed in as a site admin and as a viewer of ~30% of the collections: server
time is the wall time of that call, CPU the time of this process and of its Postgres backend (the machine
is shared: wall time includes waiting for a core). Writes the "## Library-wide pages" section of
docs/benchmarks.md and its keys of bench/results/scale.json.

    python bench/pages.py --rows 1000000 [--before REV] [--requests 40]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
HEADING = "## Library-wide pages"
RESULTS = REPO / "bench" / "results" / "scale.json"
OFF = "off"
# Request budgets would answer a benchmark's hundreds of requests a minute with 429s.
UNTHROTTLED = {f"LUMEN_THROTTLE_{scope}": OFF for scope in ("ANON", "USER", "TOKEN", "SEARCH", "UPLOAD", "LOGIN")}


# --------------------------------------------------------------------------- the library


FORMATS_SQL = "CASE WHEN r < 0.80 THEN 'jpeg' WHEN r < 0.90 THEN 'png' WHEN r < 0.95 THEN 'heif' ELSE 'webp' END"
CAMERAS = ("Canon EOS 40D", "NIKON D70", "PENTAX K10D", "Apple iPhone 13", "SONY ILCE-7M3", "FUJIFILM X-T3")
CREATORS = tuple(f"Photographer {n}" for n in range(40))
# Rows furnished per transaction: one statement over 1M versions (6M rendition rows) ran the server out of
# memory on a shared machine.
FURNISH_CHUNK = 100_000


def furnish(base, rows):
    """What ingest, processing and enrichment would have written for the loaded rows ``base … base+rows-1``:
    formats, sizes and camera metadata of the versions (70% with a taken time), their default renditions,
    the search documents' facets, usage rights for 10% of assets (a fifth of them expired)."""
    from django.db import connection, transaction

    from assets.renditions import default_specs
    from search.concepts import COLOURS

    specs = default_specs()
    # r, s, t: three independent uniform numbers per row from the row's id (deterministic, no table scan twice).
    uniform = "(hashint8({id} * 16 + {k})::int8 + 2147483648) / 4294967296.0"
    randoms = ", ".join(f"{uniform.format(id='v.id', k=k)} AS {name}" for k, name in enumerate("rst"))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(f"""
            UPDATE assets_assetversion v SET
                   format = x.format, mime_type = 'image/' || x.format,
                   width = CASE WHEN x.s < 0.70 THEN 4000 WHEN x.s < 0.95 THEN 3000 ELSE 3000 END,
                   height = CASE WHEN x.s < 0.70 THEN 3000 WHEN x.s < 0.95 THEN 4000 ELSE 3000 END,
                   bytes = 500000 + (x.t * 4000000)::int,
                   metadata = CASE WHEN x.r < 0.70 THEN jsonb_build_object(
                       'taken_at', to_char(v.created_at - (x.t * 2000)::int * interval '1 day',
                                           'YYYY-MM-DD"T"HH24:MI:SS'),
                       'camera_make', split_part(x.camera, ' ', 1), 'camera_model', x.camera,
                       'keywords', jsonb_build_array('bench', 'keyword ' || (x.s * 50)::int)) ELSE '{{}}' END,
                   raw_metadata = CASE WHEN x.r < 0.70 THEN jsonb_build_object('exif', jsonb_build_object(
                       'Make', split_part(x.camera, ' ', 1), 'Model', x.camera,
                       'MakerNote', repeat(md5(v.id::text), 40))) ELSE '{{}}' END
              FROM (SELECT v.id, {FORMATS_SQL.replace('r <', 'f <')} AS format, r, s, t,
                           (%s::text[])[1 + mod((s * 1000)::int, %s)] AS camera
                      FROM (SELECT v.id, {randoms}, {uniform.format(id='v.id', k=9)} AS f
                              FROM assets_assetversion v WHERE v.id BETWEEN %s AND %s) v) x
             WHERE v.id = x.id""", [list(CAMERAS), len(CAMERAS), base, base + rows - 1])
        cursor.execute("""
            UPDATE assets_asset a SET captured_at = (v.metadata->>'taken_at')::timestamp AT TIME ZONE 'UTC'
              FROM assets_assetversion v
             WHERE v.id = a.current_version_id AND v.metadata ? 'taken_at' AND a.id BETWEEN %s AND %s""",
                       [base, base + rows - 1])
        cursor.execute("""
            UPDATE search_searchdocument d SET
                   format = v.format,
                   orientation = CASE WHEN v.width > v.height THEN 'landscape' WHEN v.width < v.height
                                      THEN 'portrait' ELSE 'square' END,
                   taken_at = (v.metadata->>'taken_at')::timestamp AT TIME ZONE 'UTC',
                   camera = coalesce(v.metadata->>'camera_model', ''),
                   creator = CASE WHEN mod(v.id, 2) = 0 THEN (%s::text[])[1 + mod(v.id, %s)] ELSE '' END,
                   has_usage_terms = mod(v.id, 10) = 0,
                   colours = ARRAY[(%s::text[])[1 + mod(v.id, 11)], (%s::text[])[1 + mod(v.id + 1 + mod(v.id / 11, 10), 11)]]::varchar[],
                   colour_shares = ARRAY[0.6, 0.2]
              FROM assets_asset a JOIN assets_assetversion v ON v.id = a.current_version_id
             WHERE d.asset_id = a.id AND a.id BETWEEN %s AND %s""",
                       [list(CREATORS), len(CREATORS), list(COLOURS), list(COLOURS), base, base + rows - 1])
        cursor.execute("""
            INSERT INTO assets_rendition (version_id, spec, file, format, width, height, bytes, created_at)
            SELECT v.id, s.spec, 'renditions/' || v.id || '/' || replace(s.spec, '|', '_') || '.' || s.format,
                   s.format, s.width, (s.width * v.height / v.width), 20000 + s.width * 40, v.created_at
              FROM assets_assetversion v CROSS JOIN unnest(%s::text[], %s::text[], %s::int[]) AS s(spec, format, width)
             WHERE v.id BETWEEN %s AND %s""",
                       [[str(s) for s in specs], [s.format for s in specs], [s.width or 640 for s in specs],
                        base, base + rows - 1])
        cursor.execute("""
            INSERT INTO governance_usagerights (asset_id, licence_type, licence_url, holder, channels, territories,
                   starts_on, expires_on, credit_line, model_release, property_release, restrictions,
                   acquire_licence_url, updated_at)
            SELECT a.id, 'royalty_free', '', 'Bench Photos', '{}', '{}', NULL,
                   CASE WHEN mod(a.id, 50) = 0 THEN current_date - 30 END, '', false, false, '', '', now()
              FROM assets_asset a WHERE a.id BETWEEN %s AND %s AND mod(a.id, 10) = 0""", [base, base + rows - 1])
        cursor.execute("SET LOCAL session_replication_role = origin")


def drop_database(url, name):
    import psycopg
    from django.db import connections

    connections["default"].close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _complete(url, name):
    """Whether database ``name`` holds a library loaded to the end (furnishing writes renditions last but
    one step, and a load stopped half-way must not be measured)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return True  # nothing to drop: use_database creates it
    with psycopg.connect(urlsplit(url)._replace(path="/" + name).geturl(), autocommit=True) as conn:
        tables = conn.execute("SELECT to_regclass('assets_asset'), to_regclass('governance_usagerights')").fetchone()
        if None in tables:
            return True
        assets = conn.execute("SELECT EXISTS (SELECT 1 FROM assets_asset)").fetchone()[0]
        rights = conn.execute("SELECT EXISTS (SELECT 1 FROM governance_usagerights)").fetchone()[0]
        return rights or not assets


def prepare(rows, url, *, reload=False):
    """The library of ``rows`` assets in database ``pages_<rows>``: loaded and furnished once, then reused
    (``reload``: dropped and loaded again). Returns the users the cases sign in as."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from assets.models import Asset, Collection, CollectionRole
    from bench.search import VISIBLE_COLLECTION_SHARE, index_search_documents, load_dataset, make_dataset, use_database

    if reload or not _complete(url, f"pages_{rows}"):
        drop_database(url, f"pages_{rows}")
    use_database(url, f"pages_{rows}")
    users = get_user_model().objects
    owner, _ = users.get_or_create(username="bench-owner")
    admin, _ = users.get_or_create(username="bench-admin", defaults={"is_superuser": True, "is_staff": True})
    viewer, _ = users.get_or_create(username="bench-viewer")
    if not Asset.objects.exists():
        start = time.perf_counter()
        _, dataset = make_dataset(rows, dims=0)
        loaded = load_dataset(dataset, owner=owner)
        index_search_documents()
        first = int(loaded.version_ids[0])
        for offset in range(0, rows, FURNISH_CHUNK):
            furnish(first + offset, min(FURNISH_CHUNK, rows - offset))
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(f"loaded {rows:,} assets in {time.perf_counter() - start:.0f} s", flush=True)
    collections = Collection.objects.filter(slug__startswith="bench-collection-").order_by("pk")
    visible = list(collections[:int(collections.count() * VISIBLE_COLLECTION_SHARE)])
    for collection in visible:
        CollectionRole.objects.get_or_create(collection=collection, user=viewer, defaults={"role": "viewer"})
    return {"admin": admin, "viewer": viewer}


# --------------------------------------------------------------------------- measuring


# (name, path) of what is measured; ``{uid}`` is an asset both users see (filled in by ``measure``).
CASES = [
    ("library page", "/"),
    ("library page, PNG, title order", "/?format=png&ordering=title"),
    ("library page, taken order", "/?ordering=-taken_at"),
    ("/api/assets/ page of 50", "/api/assets/?page_size=50"),
    ("/api/assets/ page of 50, PNG", "/api/assets/?page_size=50&format=png"),
    ("/api/assets/<uid>/ detail", "/api/assets/{uid}/"),
    ("asset page", "/assets/{uid}/"),
    ("search page, no words", "/search/?q="),
    ("search page, no words, filters", "/search/?q=&format=png&orientation=portrait"),
    ("/api/search/ no words", "/api/search/?q="),
    # What the search page fetches after it is shown when browsing: its facets, and a total it did not know.
    ("search facets, no words (after the page)", "/search/facets/?q="),
    ("search count, no words, filters (after the page)", "/search/count/?q=&format=png&orientation=portrait"),
]


def _client(user):
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def _backend_cpu_ms(pid):
    """CPU time of our Postgres backend so far (utime + stime from /proc), in ms."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def measure(users, requests):
    """Per case and user: p50/p95 server time, mean CPU ms of this process and of its Postgres backend,
    queries per request, the status. Each case is asked for twice first (caches, plans)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assets.models import Asset, CollectionRole

    roles = CollectionRole.objects.filter(user=users["viewer"]).values("collection_id")
    uid = Asset.objects.filter(collections__in=roles, moderation_state="clear").order_by("-id").values_list(
        "uid", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    figures = []
    for name, path in CASES:
        path = path.format(uid=uid)
        for role, user in users.items():
            client = _client(user)
            for _ in range(2):
                client.get(path)
            times, own_cpu, db_cpu = [], 0.0, 0.0
            with CaptureQueriesContext(connection) as queries:
                for _ in range(requests):
                    cpu, db = time.process_time(), _backend_cpu_ms(backend)
                    started = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - started) * 1000)
                    own_cpu += (time.process_time() - cpu) * 1000
                    db_cpu += _backend_cpu_ms(backend) - db
            times.sort()
            figures.append({
                "case": name, "user": role, "status": response.status_code,
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 1),
                "cpu_ms": round(own_cpu / requests, 1), "db_cpu_ms": round(db_cpu / requests, 1),
                "queries": len(queries) // requests,
            })
            print(f"{name:40s} {role:6s} {figures[-1]}", flush=True)
    return figures


def run_before(rev, rows, requests):
    """This script's measurements with the code of ``rev`` (a temporary worktree) on the same database."""
    from bench.harness import worktree

    with worktree(rev) as tree:
        out = tree / "figures.json"
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--rows", str(rows), "--requests",
                        str(requests), "--code", str(tree), "--figures", str(out)], check=True,
                       env=dict(os.environ, LUMEN_VAR_DIR=os.environ["LUMEN_VAR_DIR"]))
        return json.loads(out.read_text())


def merge_base():
    return subprocess.run(["git", "-C", str(REPO), "merge-base", "HEAD", "main"], check=True, capture_output=True,
                          text=True).stdout.strip()


def p95_of(figures, case, user="viewer"):
    return next(f["p95_ms"] for f in figures if f["case"] == case and f["user"] == user)


def report(rows, before, after, rev):
    """The "## Library-wide pages" section of docs/benchmarks.md and the #15 keys of scale.json."""
    from bench.harness import machine, record_scale_figures, write_section

    about = machine()
    lines = [HEADING, "",
             f"`python bench/pages.py --rows {rows}` — {rows:,} assets ({about['date']}, {about['cpus']} × "
             f"{about['cpu']}, {about['ram']}, load average {about['load average']}). Server time through "
             "Django's test client (everything but the socket), p50/p95 ms of each case; CPU ms per request of "
             "Django and of its Postgres backend; queries per request. Viewer: a role on ~30% of the "
             "collections; admin: sees everything. " + (f"Before: `{rev[:10]}` (same database, same run)."
                                                         if before else "This checkout only (no before)."), "",
             "| case | user | before p50 / p95 ms | after p50 / p95 ms | CPU / DB CPU ms before → after | queries before → after |",
             "|---|---|---|---|---|---|"]
    old = {(f["case"], f["user"]): f for f in before}
    for f in after:
        b = old.get((f["case"], f["user"]))
        if b and b["status"] != f["status"]:  # e.g. a page the old code does not have (404): nothing to compare
            b = None
        was = f"{b['p50_ms']} / {b['p95_ms']}" if b else "—"
        lines.append(f"| {f['case']} | {f['user']} | {was} | {f['p50_ms']} / {f['p95_ms']} | "
                     f"{b['cpu_ms'] if b else '—'} / {b['db_cpu_ms'] if b else '—'} → {f['cpu_ms']} / {f['db_cpu_ms']} | "
                     f"{b['queries'] if b else '—'} → {f['queries']} |")
    write_section(HEADING, "\n".join(lines) + "\n")
    suffix = "_1m" if rows == 1_000_000 else f"_{rows // 1000}k"
    record_scale_figures(**{
        f"browse_p95_ms{suffix}": max(p95_of(after, c) for c in ("library page", "search page, no words")),
        f"api_list_p95_ms{suffix}": p95_of(after, "/api/assets/ page of 50"),
        f"api_detail_p95_ms{suffix}": p95_of(after, "/api/assets/<uid>/ detail"),
    })


# --------------------------------------------------------------------------- running


def start(var_dir):
    """The bench's embedded Postgres (bench/search.py's server settings) and Django, request budgets off."""
    from bench.search import start_server

    os.environ.update(DJANGO_SETTINGS_MODULE="dam.settings", **UNTHROTTLED)
    url = start_server(var_dir)
    os.environ["DATABASE_URL"] = url
    from dam.embedded import prepare_environment

    prepare_environment(var_dir)
    import dam.wsgi  # noqa: F401 -- Django set up as the measured code's web processes start it

    return url


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--before", help="the code to compare with (default: the merge base with main; "
                        "'none': measure this checkout only, e.g. a re-run on a quieter machine)")
    parser.add_argument("--prepare-only", action="store_true", help="load the library, measure nothing")
    parser.add_argument("--reload", action="store_true", help="drop the library's database and load it again")
    parser.add_argument("--code", help=argparse.SUPPRESS)     # run_before: the checkout whose code runs
    parser.add_argument("--figures", help=argparse.SUPPRESS)  # run_before: where its figures go
    args = parser.parse_args()
    code = Path(args.code) if args.code else REPO
    sys.path.insert(0, str(code))
    os.chdir(code)
    var_dir = Path(os.environ.setdefault("LUMEN_VAR_DIR", str(REPO / "var" / "bench")))
    var_dir.mkdir(parents=True, exist_ok=True)
    url = start(var_dir)
    users = prepare(args.rows, url, reload=args.reload)
    if args.prepare_only:
        return
    if args.figures:
        Path(args.figures).write_text(json.dumps(measure(users, args.requests)))
        return
    rev = args.before or merge_base()
    before = []
    if rev != "none":
        print(f"before: {rev}", flush=True)
        before = run_before(rev, args.rows, args.requests)
    print("after: this checkout", flush=True)
    report(args.rows, before, measure(users, args.requests), rev)


if __name__ == "__main__":
    main()
