"""Throughput of the running server: requests per second that ``runstack``'s web server (gunicorn, configured
by dam/gunicorn_config.py) answers, measured with ``wrk`` (Debian package) over real sockets, for several
worker classes and thread counts on the same library, in one run.

The library is bench/pages.py's (database ``pages_<rows>`` on the bench's embedded Postgres, loaded once and
reused). For each server configuration this starts ``manage.py runstack --only web`` on a free port, signs in
as the library's site admin (a session cookie, as a browser sends), and lets ``wrk`` ask for each case for
``--seconds`` over ``--connections`` kept-alive connections. Writes the "## Server throughput" section of
docs/benchmarks.md and ``detail_req_per_s``/``list_req_per_s`` (the default configuration's) to
bench/results/scale.json (with ``--before``, from its rounds in turns, below).

With ``--before REV`` it also starts the default configuration of REV's code (a temporary worktree, same
database) beside this checkout's and asks both in turns, ``--rounds`` times per case: on a shared machine
whose load moves by the minute, alternating is what makes the two comparable. The median of the rounds
goes in a before/after table, and the after side's medians become scale.json's keys.

With ``--versus LABEL`` it asks the default configuration and another of ``CONFIGURATIONS`` (this checkout's
code both) in turns the same way: how a configuration is chosen for the default.

    python bench/server.py [--rows 1000000] [--seconds 15] [--connections 8] [--before REV] [--versus LABEL]
                           [--rounds 3]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from dam.gunicorn_config import default_workers  # noqa: E402 -- the checkout's own, whatever the current directory

HEADING = "## Server throughput"
# (label, environment for dam/gunicorn_config.py); the first is what runstack uses.
CONFIGURATIONS = [
    ("sync, 2 processes (default)", {"WEB_WORKER_CLASS": "sync", "WEB_THREADS": "1"}),
    ("sync, 3 processes", {"WEB_WORKER_CLASS": "sync", "WEB_THREADS": "1", "WEB_CONCURRENCY": "3"}),
    ("sync, 4 processes", {"WEB_WORKER_CLASS": "sync", "WEB_THREADS": "1", "WEB_CONCURRENCY": "4"}),
    ("gthread, 2 processes × 4 threads", {"WEB_WORKER_CLASS": "gthread", "WEB_THREADS": "4"}),
    ("sync, 2 processes, prepared statements", {"WEB_WORKER_CLASS": "sync", "WEB_THREADS": "1",
                                                "DB_PREPARE_THRESHOLD": "5"}),
]
# What a configuration leaves unset means these (dam/gunicorn_config.py's and dam/settings.py's defaults).
UNSET = {"WEB_CONCURRENCY": str(default_workers()), "DB_PREPARE_THRESHOLD": "0"}
CASES = [
    ("asset detail (API)", "/api/assets/{uid}/"),
    ("asset page", "/assets/{uid}/"),
    ("/api/assets/ (page of 50)", "/api/assets/"),
    ("library page", "/"),
]
DETAIL_CASE, LIST_CASE = "asset detail (API)", "/api/assets/ (page of 50)"


def shipped_configuration():
    """The label of the configuration dam/gunicorn_config.py uses with no environment (runstack's and compose's),
    read when the report is written: its figures are the ``*_req_per_s`` keys of scale.json."""
    import importlib

    from django.conf import settings

    from dam import gunicorn_config

    config = importlib.reload(gunicorn_config)
    shipped = {"WEB_WORKER_CLASS": config.worker_class, "WEB_THREADS": str(config.threads),
               "WEB_CONCURRENCY": str(config.workers),
               "DB_PREPARE_THRESHOLD": str(settings.DATABASES["default"]["OPTIONS"].get("prepare_threshold", 0))}
    return next(label for label, environment in CONFIGURATIONS
                if all(shipped[key] == environment.get(key, UNSET.get(key)) for key in shipped))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_web(environment, port, log_path, code=REPO):
    """``runstack --only web`` of the checkout ``code`` in its own process group; returns once it answers
    /health/live."""
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runstack", "--only", "web", "--port", str(port)],
            cwd=code, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"runstack stopped:\n{Path(log_path).read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=2):
                return server
        except OSError:
            time.sleep(1)
    stop_web(server)
    raise RuntimeError(f"runstack did not answer within 180 s:\n{Path(log_path).read_text()[-3000:]}")


def stop_web(server):
    """Ctrl-C, as a person stops runstack (it stops gunicorn and its workers); then make sure."""
    os.killpg(server.pid, signal.SIGINT)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def wrk(url, cookie, seconds, connections):
    """Requests/s, p50 and p99 latency (ms) and non-2xx answers of ``wrk`` against ``url``."""
    output = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency",
         "-H", f"Cookie: sessionid={cookie}", url], check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {p: _ms(re.search(rf"\s{p}%\s+([\d.]+\w+)", output).group(1)) for p in ("50", "99")}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"req_per_s": round(rate), "p50_ms": latency["50"], "p99_ms": latency["99"],
            "errors": int(errors.group(1)) if errors else 0}


def _ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return round(float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit], 1)


def alternated(sides, var_dir, cookie, uid, args):
    """Requests/s of two servers asked in turns, ``sides`` being ``[(name, code, environment), ...]``:
    ``{(side, case): [figures of each round]}``."""
    servers, rounds = {}, {}
    try:
        for side, code, environment in sides:
            port = free_port()
            servers[side] = (start_web(environment, port, var_dir / f"server-web-{side}.log", code), port)
        for number in range(args.rounds):
            for name, path in CASES:
                for side, (_, port) in servers.items():
                    target = f"http://127.0.0.1:{port}{path.format(uid=uid)}"
                    wrk(target, cookie, 2, args.connections)
                    rounds.setdefault((side, name), []).append(wrk(target, cookie, args.seconds, args.connections))
                    print(f"round {number + 1} {side:6s} {name:28s} {rounds[side, name][-1]}", flush=True)
    finally:
        for server, _ in servers.values():
            stop_web(server)
    return rounds


def turns_table(rounds, sides, heading):
    """Lines of a table of the median round per side and case, under ``heading``."""
    lines = ["", heading, "", "| server | " + " | ".join(name for name, _ in CASES) + " |",
             "|---|" + "---|" * len(CASES)]
    for side in sides:
        cells = [median_figures(rounds[side, name]) for name, _ in CASES]
        lines.append(f"| {side} | " + " | ".join(
            f"{c['req_per_s']} ({c['p50_ms']} / {c['p99_ms']})" for c in cells) + " |")
        lines.append(f"| {side}, every round | " + " | ".join(
            ", ".join(str(r["req_per_s"]) for r in rounds[side, name]) for name, _ in CASES) + " |")
    return lines


def median_figures(rounds):
    """The round with the median requests/s (its latencies with it)."""
    return sorted(rounds, key=lambda figures: figures["req_per_s"])[len(rounds) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--before", help="also measure this revision's default configuration, in turns with this "
                                         "checkout's")
    parser.add_argument("--versus", choices=[label for label, _ in CONFIGURATIONS[1:]],
                        help="also ask this checkout's default configuration and this one in turns")
    parser.add_argument("--rounds", type=int, default=3, help="turns per case with --before or --versus")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: scripts/bootstrap.sh --dev installs it (Debian package wrk)")
    from bench.pages import prepare, start

    var_dir = Path(os.environ.setdefault("LUMEN_VAR_DIR", str(REPO / "var" / "bench")))
    var_dir.mkdir(parents=True, exist_ok=True)
    url = start(var_dir)
    users = prepare(args.rows, url)
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from assets.models import Asset
    from bench.harness import machine, record_scale_figures, worktree, write_section

    client = Client()
    client.force_login(users["admin"])
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    uid = Asset.objects.order_by("-id").values_list("uid", flat=True).first()
    database_url = urlsplit(url)._replace(path="/" + connection.settings_dict["NAME"]).geturl()
    environment = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=settings.REDIS_URL,
                       DJANGO_SETTINGS_MODULE="dam.settings")
    about = machine()
    results = {}
    for label, config in CONFIGURATIONS:
        port = free_port()
        server = start_web({**environment, **config}, port, var_dir / "server-web.log")
        try:
            for name, path in CASES:
                target = f"http://127.0.0.1:{port}{path.format(uid=uid)}"
                wrk(target, cookie, 2, args.connections)  # warm: every worker's first request, plans, caches
                results[label, name] = wrk(target, cookie, args.seconds, args.connections)
                print(f"{label:45s} {name:28s} {results[label, name]}", flush=True)
        finally:
            stop_web(server)
    lines = [HEADING, "",
             f"`python bench/server.py --rows {args.rows}` — `wrk -c {args.connections}` for {args.seconds} s per "
             f"case against `runstack --only web` on the {args.rows:,}-asset library, signed in as a site admin "
             f"({about['date']}, {about['cpus']} × {about['cpu']}, {about['ram']}, load average at the start "
             f"{about['load average']}; wrk and Postgres share the same cores). Requests/s (p50 / p99 ms).", "",
             "| server | " + " | ".join(name for name, _ in CASES) + " |",
             "|---|" + "---|" * len(CASES)]
    for label, _ in CONFIGURATIONS:
        cells = [results[label, name] for name, _ in CASES]
        lines.append(f"| {label} | " + " | ".join(
            f"{c['req_per_s']} ({c['p50_ms']} / {c['p99_ms']}){' ⚠ ' + str(c['errors']) + ' errors' if c['errors'] else ''}"
            for c in cells) + " |")
    turns = {}
    if args.before:
        with worktree(args.before) as before_code:
            turns["code"] = alternated([("before", before_code, environment), ("after", REPO, environment)],
                                       var_dir, cookie, uid, args)
        lines += turns_table(turns["code"], ("before", "after"), (
            f"Before and after, the default configuration: `{args.before}` and this checkout served side by side on "
            f"the same database and asked in turns, {args.rounds} rounds of {args.seconds} s per case; the median "
            "round's requests/s (p50 / p99 ms), then every round's."))
    if args.versus:
        versus = dict(CONFIGURATIONS)[args.versus]
        turns["configuration"] = alternated([("default", REPO, environment),
                                             (args.versus, REPO, {**environment, **versus})],
                                            var_dir, cookie, uid, args)
        lines += turns_table(turns["configuration"], ("default", args.versus), (
            f"The default configuration and \"{args.versus}\", this checkout's code side by side on the same database "
            f"and asked in turns, {args.rounds} rounds of {args.seconds} s per case; the median round's requests/s "
            "(p50 / p99 ms), then every round's."))
    write_section(HEADING, "\n".join(lines) + "\n")
    # The shipped configuration's figures; with --before, the median of its alternated rounds (less at the
    # mercy of one minute's load than the single run of the table above).
    if args.before:
        shipped = {name: median_figures(turns["code"]["after", name]) for name, _ in CASES}
    else:
        shipped = {name: results[shipped_configuration(), name] for name, _ in CASES}
    record_scale_figures(detail_req_per_s=shipped[DETAIL_CASE]["req_per_s"],
                         list_req_per_s=shipped[LIST_CASE]["req_per_s"])


if __name__ == "__main__":
    main()
