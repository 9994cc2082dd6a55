#!/usr/bin/env bash
# Create (or update) the project's virtualenv and the system packages the tests need.
#   scripts/bootstrap.sh          runtime packages only (requirements.lock)        — make run / make install
#   scripts/bootstrap.sh --dev    runtime + test/bench packages (requirements-dev.lock) — make bench
#   scripts/bootstrap.sh --test   as --dev, plus the Debian packages the tests use  — make test
# Installs are from the hashed locks with --require-hashes (see README, "Dependencies").
# The venv lives outside the checkout so fresh clones reuse it; a changed lock file triggers a
# reinstall. Override the place with LUMEN_VENV.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${LUMEN_VENV:-$HOME/.cache/lumen-dam/venv}"
PYTHON="${PYTHON:-python3}"
case "${1:-}" in
  --test|--dev) kind=dev; sources=(requirements.txt requirements-dev.txt); lock=requirements-dev.lock ;;
  *) kind=runtime; sources=(requirements.txt); lock=requirements.lock ;;
esac

# A pin edited in a .txt file without `make lock` would otherwise be silently ignored.
"$PYTHON" - "$lock" "${sources[@]}" <<'PY'
import re, sys
norm = lambda name: re.sub(r"[-_.]+", "-", name).lower()
pin = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+)")
def pins(path):
    return {(norm(m[1]), m[2]) for line in open(path) if (m := pin.match(line.strip()))}
locked = pins(sys.argv[1])
stale = sorted(f"{n}=={v}" for path in sys.argv[2:] for n, v in pins(path) - locked)
if stale:
    sys.exit(f"{sys.argv[1]} does not match {' / '.join(sys.argv[2:])} ({', '.join(stale)}): run `make lock`")
PY

# One stamp per kind, named after the lock it installed: the dev lock holds every runtime package
# at the runtime lock's version, so switching between `make run` and `make test` installs nothing new.
stamp="$VENV/.requirements-$kind-$(sha256sum "$lock" | cut -c1-16)"
if [ ! -x "$VENV/bin/python" ]; then
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV"
fi
if [ ! -f "$stamp" ]; then
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet --require-hashes -r "$lock"
  rm -f "$VENV/.requirements-$kind-"*  # this kind's old stamps, and the ones from before the locks:
  find "$VENV" -maxdepth 1 -name '.requirements-*' ! -name '.requirements-runtime-*' ! -name '.requirements-dev-*' -delete
  touch "$stamp"
fi

missing=()
if [ "${1:-}" = "--dev" ] || [ "${1:-}" = "--test" ]; then
  command -v wrk >/dev/null || missing+=(wrk)  # bench/server.py's HTTP load generator
fi
if [ "${1:-}" = "--test" ]; then
  # Debian packages the tests use: Chromium for the browser tests, WordNet 3.0 for the ontology builder's,
  # the wallpaper packages whose photos are part of search's judged set (tests/search/judged/), exiftool to
  # read back the metadata written into downloads.
  command -v chromium >/dev/null || missing+=(chromium)
  command -v exiftool >/dev/null || missing+=(libimage-exiftool-perl)
  [ -f /usr/share/wordnet/data.noun ] || missing+=(wordnet-base)
  for package in gnome-backgrounds plasma-workspace-wallpapers mate-backgrounds ukui-wallpapers; do
    dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "missing Debian packages: ${missing[*]} (apt-get install them)" >&2
  fi
fi
echo "$VENV"
