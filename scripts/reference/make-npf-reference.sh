#!/usr/bin/env bash
# Regenerates crates/qaita-econ/tests/data/npf_reference.json with numpy-financial (PyPI).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=$(mktemp -d)
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet numpy numpy-financial
"$venv/bin/python" scripts/reference/npf_reference.py
rm -rf "$venv"
