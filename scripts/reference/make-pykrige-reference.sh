#!/usr/bin/env bash
# Regenerates crates/qaita-geostat/tests/data/pykrige_reference.json with PyKrige (PyPI).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=$(mktemp -d)
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet pykrige
"$venv/bin/python" scripts/reference/pykrige_reference.py
rm -rf "$venv"
