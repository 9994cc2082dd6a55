"""Known vulnerabilities in the hashed locks (``make audit``, and CI): pip-audit over each lock, judged here.

pip-audit alone is unsafe offline: when PyPI's JSON API answers 404 it skips every package and still prints
"No known vulnerabilities found" with exit status 0. So this reads its JSON report and says what happened in
one line per lock: vulnerabilities (exit 1), packages that could not be checked, or no database reachable
at all (exit 2: nothing was audited), or a clean audit (exit 0).

    python scripts/audit.py requirements.lock requirements-dev.lock
"""
import json
import subprocess
import sys
from pathlib import Path

VULNERABLE, UNCHECKED = 1, 2


def audit(lock):
    """(exit status, one line) for one lock file."""
    command = [sys.executable, "-m", "pip_audit", "--disable-pip", "--require-hashes", "-r", str(lock),
               "--format", "json", "--progress-spinner", "off"]
    run = subprocess.run(command, capture_output=True, text=True)
    try:
        report = json.loads(run.stdout)
    except ValueError:
        problem = (run.stderr.strip().splitlines() or ["no output"])[-1]
        return UNCHECKED, f"{lock}: pip-audit could not reach a vulnerability database ({problem[:200]})"
    packages = report["dependencies"]
    skipped = [p for p in packages if "skip_reason" in p]
    vulnerable = [p for p in packages if p.get("vulns")]
    if vulnerable:
        found = ", ".join(f"{p['name']} {p['version']} ({', '.join(v['id'] for v in p['vulns'])})" for p in vulnerable)
        return VULNERABLE, f"{lock}: {len(vulnerable)} vulnerable package(s): {found}"
    if skipped and len(skipped) == len(packages):
        return UNCHECKED, (f"{lock}: no vulnerability database reachable (PyPI's JSON API answered for none of the "
                           f"{len(packages)} packages); nothing was audited")
    if skipped:
        return UNCHECKED, (f"{lock}: {len(skipped)} of {len(packages)} packages could not be audited: "
                           + ", ".join(p["name"] for p in skipped))
    return 0, f"{lock}: no known vulnerabilities in {len(packages)} packages"


def main(locks):
    worst = 0
    for lock in locks:
        status, line = audit(Path(lock))
        print(line)
        worst = max(worst, status)
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["requirements.lock", "requirements-dev.lock"]))
