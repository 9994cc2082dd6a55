#!/usr/bin/env python
"""Upload thousands of mutated images to a running Lumen DAM and count what came back.

Every upload must end as a clean ingest (201, or 200 for bytes already stored) or a 4xx with a message for a
person; a 5xx or a dropped connection is a defect. The mutations are seeded (``--seed``), over the shared camera
samples, and are the same ones the suite's hypothesis fuzzer draws (tests/assets/test_fuzz_uploads.py).
While it runs, it samples the resident memory of the Celery worker processes on this machine (or only those of
``--runstack-pid``) and prints the peak.

    $VENV/bin/python scripts/fuzz_uploads.py --url http://127.0.0.1:8000 --user admin --password ... --count 5000

Results of a run are in docs/reliability.md.
"""
import argparse
import collections
import os
import random
import sys
import threading
import time
from pathlib import Path

SHARED = Path(os.environ.get("LUMEN_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
SAMPLES = SHARED / "data" / "exif-samples"
KINDS = ("flip", "truncate", "insert", "repeat", "zero", "header")


def sample_files(root=SAMPLES):
    """The shared samples a fuzzer starts from: every camera JPEG, TIFF and HEIC (sorted, so seeds repeat)."""
    return sorted(path for path in root.rglob("*") if path.suffix.lower() in (".jpg", ".jpeg", ".tif", ".tiff", ".heic"))


def mutate(data, operations):
    """Apply ``operations`` — (kind, where in [0, 1), length, byte) tuples — to ``data``; each kind is a way files
    break in the wild: flipped bits, cut short, junk inserted, a segment repeated, a run zeroed, a mangled header."""
    data = bytearray(data)
    for kind, where, length, value in operations:
        at = int(where * len(data)) if data else 0
        if kind == "flip" and data:
            data[at] ^= value or 1
        elif kind == "truncate":
            del data[max(at, 1):]
        elif kind == "insert":
            data[at:at] = bytes([value]) * length
        elif kind == "repeat":
            data[at:at] = data[at:at + length]
        elif kind == "zero":
            data[at:at + length] = bytes(len(data[at:at + length]))
        elif kind == "header":
            data[:16] = bytes((byte + value) % 256 for byte in data[:16])
    return bytes(data)


def random_operations(rng):
    return [(rng.choice(KINDS), rng.random(), rng.randint(1, 4096), rng.randrange(256)) for _ in range(rng.randint(1, 4))]


def worker_rss_sampler(peaks, stop, under=None):
    """Every half second: resident memory of every Celery worker process (main and pool children) on this machine,
    or only those started by process ``under`` (a runstack's pid); keep the peaks."""
    import psutil

    while not stop.is_set():
        candidates = psutil.Process(under).children(recursive=True) if under else psutil.process_iter()
        total = 0
        for process in candidates:
            try:
                line, rss = " ".join(process.cmdline()), process.memory_info().rss
            except psutil.Error:
                continue
            if "celery" in line and " worker" in line:
                peaks["process"] = max(peaks["process"], rss)
                total += rss
        peaks["total"] = max(peaks["total"], total)
        stop.wait(0.5)


def outcome(response):
    """A short name for what the server answered; a 4xx must carry a message for a person."""
    if response.status in (200, 201):
        return f"{response.status} {'ingested' if response.status == 201 else 'already stored'}"
    if 400 <= response.status < 500:
        try:
            body = response.json()
        except ValueError:
            return f"{response.status} without a JSON message (defect)"
        if not str(body.get("message", "")).strip():
            return f"{response.status} without a message (defect)"
        return f"{response.status} {body.get('error', '?')}"
    return f"{response.status} (defect)"


def main():
    import urllib3

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--drain", type=int, default=900, help="seconds to wait for processing to settle afterwards")
    parser.add_argument("--runstack-pid", type=int, help="measure only the workers this runstack started")
    args = parser.parse_args()

    http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=120))
    token = http.request("POST", f"{args.url}/api/token/", fields={"username": args.user, "password": args.password},
                         encode_multipart=False).json()["token"]
    headers = {"Authorization": f"Token {token}"}
    sources = [(path.name, path.read_bytes()) for path in sample_files()]
    rng = random.Random(args.seed)
    peaks, stop = {"process": 0, "total": 0}, threading.Event()
    threading.Thread(target=worker_rss_sampler, args=(peaks, stop, args.runstack_pid), daemon=True).start()

    counts, defects = collections.Counter(), []
    started = time.monotonic()
    for n in range(args.count):
        name, original = rng.choice(sources)
        operations = random_operations(rng)
        data = mutate(original, operations)
        try:
            response = http.request("POST", f"{args.url}/api/assets/", headers=headers,
                                    fields={"file": (f"fuzz-{n}-{name}", data)})
            result = outcome(response)
        except urllib3.exceptions.HTTPError as exc:
            result = f"connection failed: {type(exc).__name__} (defect)"
        counts[result] += 1
        if "defect" in result:
            defects.append((n, name, operations, result))
        if (n + 1) % 500 == 0:
            print(f"{n + 1} uploads in {time.monotonic() - started:.0f} s", file=sys.stderr)
    upload_seconds = time.monotonic() - started

    def assets_with(status):
        return http.request("GET", f"{args.url}/api/assets/?status={status}&page_size=1", headers=headers).json()["count"]

    deadline = time.monotonic() + args.drain
    while assets_with("processing") and time.monotonic() < deadline:
        time.sleep(5)
    stop.set()

    print(f"{args.count} mutated uploads (seed {args.seed}) in {upload_seconds:.0f} s "
          f"({args.count / upload_seconds:.1f}/s); outcomes:")
    for result, number in counts.most_common():
        print(f"  {number:6d}  {result}")
    print("assets afterwards: " + ", ".join(f"{status} {assets_with(status)}"
                                             for status in ("ready", "failed", "processing")))
    print(f"peak worker RSS: {peaks['process'] / 2**20:.0f} MB in one process, "
          f"{peaks['total'] / 2**20:.0f} MB all worker processes together")
    for n, name, operations, result in defects[:20]:
        print(f"  defect: upload {n} ({name}, {operations}): {result}")
    return 1 if defects else 0


if __name__ == "__main__":
    sys.exit(main())
