#!/usr/bin/env bash
# Regenerates crates/qaita-hydro/tests/data/fulda_gr4j.json with grsuite and hydrogr (PyPI, GPL:
# installed in a throwaway virtualenv, used only to compute reference flows).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=$(mktemp -d)
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet grsuite==1.1.1 hydrogr==1.2.2
"$venv/bin/python" scripts/reference/hydro_reference.py
rm -rf "$venv"
