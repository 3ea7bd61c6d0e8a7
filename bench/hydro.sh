#!/usr/bin/env bash
# GR4J (issue 14): qaita-hydro beside hydrogr (Rust) and grsuite (Numba, warm JIT) on the same
# 10-year daily Fulda inputs: one run, and a Michel calibration on KGE; prints each and the
# ratios. Installs the peers (PyPI, GPL: bench-time only) in a venv under bench/out.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=bench/out/venv-hydro
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet grsuite==1.1.1 hydrogr==1.2.2; }
ours=$(cargo bench --quiet -p qaita-hydro --bench gr4j 2>/dev/null | tail -n 1)
echo "$ours"
peers=$("$venv/bin/python" bench/hydro_peers.py crates/qaita-hydro/tests/data/fulda_gr4j.json)
echo "$peers"
python3 - "$ours" "$peers" <<'PY'
import json, sys
ours = json.loads(sys.argv[1])
peers = [json.loads(l) for l in sys.argv[2].splitlines() if l.strip()]
print(f"qaita-hydro: run {ours['run_seconds']*1e6:.1f} us (goal < 100), calibration {ours['calibration_seconds']*1e3:.1f} ms in {ours['calibration_runs']} runs (goal < 50), ensemble 51 x 30 d x 1000 catchments {ours['ensemble_51x30x1000_seconds']*1e3:.1f} ms (goal < 2000)")
for p in peers:
    line = f"{p['engine']}: run {p['run_seconds']*1e6:.1f} us = {p['run_seconds']/ours['run_seconds']:.1f}x ours"
    if "calibration_seconds" in p:
        line += f"; calibration {p['calibration_seconds']*1e3:.1f} ms = {p['calibration_seconds']/ours['calibration_seconds']:.1f}x ours"
    print(line)
PY
