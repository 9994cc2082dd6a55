#!/usr/bin/env bash
# Create (or update) the project's virtualenv and the system packages the tests need.
# The venv lives outside the checkout so fresh clones reuse it; a changed
# requirements.txt triggers a reinstall. Override the place with LUMEN_VENV.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${LUMEN_VENV:-$HOME/.cache/lumen-dam/venv}"
PYTHON="${PYTHON:-python3}"
stamp="$VENV/.requirements-$(sha256sum requirements.txt | cut -c1-16)"

if [ ! -x "$VENV/bin/python" ]; then
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV"
fi
if [ ! -f "$stamp" ]; then
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet -r requirements.txt
  rm -f "$VENV"/.requirements-*
  touch "$stamp"
fi

if [ "${1:-}" = "--test" ]; then
  # Debian packages the tests use: Chromium for the browser tests, WordNet 3.0 for the ontology builder's.
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  [ -f /usr/share/wordnet/data.noun ] || missing+=(wordnet-base)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      echo "missing Debian packages for the tests: ${missing[*]} (apt-get install them)" >&2
    fi
  fi
fi
echo "$VENV"
