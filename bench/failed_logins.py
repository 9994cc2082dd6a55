"""Failed sign-ins as a lever against everyone else: how slow a legitimate API call gets while other clients
send wrong passwords to /api/token/ or wrong API tokens, with the lockout and budgets off ("before", as the code
was) and at their defaults ("after"), in one run on one gunicorn.

Each wrong password costs a PBKDF2 hash (Django's default, ~1 s of CPU here); the lockout refuses an address
before hashing once it has failed ``LUMEN_LOGIN_FAILURE_LIMIT`` times. The attackers send from 127.0.0.2, the
legitimate client from 127.0.0.1 (the lockout is per address). Everything stays on this machine's loopback and
every loop is bounded in time. Runs on its own embedded Postgres in a temporary directory and writes the
"## Failed sign-ins" section of docs/benchmarks.md.

    python bench/failed_logins.py [--attackers 6] [--seconds 15] [--no-docs]
"""
import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import harness
from harness import REPO, isolate_environment, write_section

HEADING = "## Failed sign-ins"
VICTIM, ATTACKER = "127.0.0.1", "127.0.0.2"
WORKERS = 2  # gunicorn processes: a small deployment on this 2-core machine
PHASES = {
    "before (no lockout, no budgets)": {"LUMEN_LOGIN_FAILURE_LIMIT": "1000000", "LUMEN_THROTTLE_LOGIN": "off",
                                        "LUMEN_THROTTLE_ANON": "off"},
    "after (defaults)": {},
}


def free_port():
    with socket.socket() as probe:
        probe.bind((VICTIM, 0))
        return probe.getsockname()[1]


def request(port, method, path, *, source, headers=None, body=None, timeout=120):
    """(status, seconds) of one request from ``source`` (a loopback address)."""
    connection = http.client.HTTPConnection(VICTIM, port, timeout=timeout, source_address=(source, 0))
    started = time.perf_counter()
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        connection.close()


def start_gunicorn(port, environment):
    env = {**os.environ, **environment}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "dam.wsgi", "-b", f"{VICTIM}:{port}", "-w", str(WORKERS),
                               "--timeout", "300", "--log-level", "warning"],
                              cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            request(port, "GET", "/login/", source=VICTIM, timeout=5)
            return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise RuntimeError("gunicorn did not answer")


def forget_failures():
    """Each phase starts with no failed sign-ins or spent budgets (they live in the cache)."""
    from django.conf import settings
    from django.core.cache import cache

    redis = cache._cache.get_client(write=True)
    for key in redis.scan_iter(f"{settings.CACHES['default']['KEY_PREFIX']}:*"):
        redis.delete(key)


def attack(port, kind, stop, outcomes, username):
    """One attacking client: wrong passwords at /api/token/ or wrong tokens, back to back until ``stop``."""
    while not stop.is_set():
        if kind == "wrong passwords":
            body = json.dumps({"username": username, "password": "not-the-password"})
            status, _ = request(port, "POST", "/api/token/", source=ATTACKER, body=body,
                                headers={"Content-Type": "application/json"})
        else:
            status, _ = request(port, "GET", "/api/assets/", source=ATTACKER,
                                headers={"Authorization": "Token " + "0" * 40})
        outcomes[status] += 1


def victim_latencies(port, token, seconds):
    """A legitimate script listing assets with its token, one call after another, for ``seconds``."""
    latencies, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, elapsed = request(port, "GET", "/api/assets/", source=VICTIM, headers={"Authorization": f"Token {token}"})
        assert status == 200, status
        latencies.append(elapsed * 1000)
    return latencies


def scenario(port, token, username, kind, attackers, seconds):
    outcomes, stop = Counter(), threading.Event()
    threads = [threading.Thread(target=attack, args=(port, kind, stop, outcomes, username)) for _ in range(attackers)]
    for thread in threads:
        thread.start()
    time.sleep(1)  # let the attack reach full speed
    try:
        latencies = victim_latencies(port, token, seconds)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return latencies, outcomes


def summary(latencies):
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"{len(ordered)} | {statistics.median(ordered):.0f} | {p95:.0f} | {ordered[-1]:.0f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attackers", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="lumen-bench-logins-"))
    isolate_environment(var_dir)
    from django.contrib.auth.hashers import get_hasher
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    user = User.objects.create_user("bench", password="the-right-password")
    token = Token.objects.create(user=user).key
    started = time.perf_counter()
    get_hasher().encode("x", get_hasher().salt())
    hash_ms = (time.perf_counter() - started) * 1000
    before = harness.machine(hasher=f"{get_hasher().algorithm}, {get_hasher().iterations:,} iterations, "
                                    f"{hash_ms:.0f} ms per hash", gunicorn_workers=WORKERS)

    rows = []
    for phase, environment in PHASES.items():
        forget_failures()
        port = free_port()
        server = start_gunicorn(port, environment)
        try:
            idle = victim_latencies(port, token, args.seconds / 3)
            rows.append(f"| {phase} | nobody | {summary(idle)} | |")
            for kind in ("wrong passwords", "wrong tokens"):
                forget_failures()
                latencies, outcomes = scenario(port, token, user.username, kind, args.attackers, args.seconds)
                answered = ", ".join(f"{count}× {status}" for status, count in sorted(outcomes.items()))
                rows.append(f"| {phase} | {args.attackers} clients, {kind} | {summary(latencies)} | {answered} |")
                print(rows[-1], flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
    after = harness.machine()
    text = "\n".join([
        HEADING, "",
        f"`python bench/failed_logins.py --attackers {args.attackers} --seconds {args.seconds:g}`: a script lists "
        f"assets with its API token (`GET /api/assets/`, from {VICTIM}) while {args.attackers} clients (from "
        f"{ATTACKER}) send wrong passwords to `/api/token/` or wrong tokens, on one gunicorn of {WORKERS} workers. "
        "\"before\": lockout and budgets off, as the code was; \"after\": the defaults (10 failures lock the "
        "address out for 15 minutes, refused before hashing; 10 token requests a minute per address).",
        "",
        f"Machine: {before['cpus']} × {before['cpu']}, {before['ram']}; {before['hasher']}; load average "
        f"{before['load average']} at the start, {after['load average']} at the end ({before['date']}).",
        "",
        "| phase | other clients | legitimate calls | median ms | p95 ms | max ms | what the other clients got |",
        "|---|---|---|---|---|---|---|",
        *rows,
    ])
    print(text)
    if not args.no_docs:
        write_section(HEADING, text)


if __name__ == "__main__":
    main()
