#!/usr/bin/env bash
# National Monte Carlo (issue 4): qaita-econ and a vectorised numpy implementation of the same
# model on the same resolved TMF models, side by side; prints both and the ratio.
# Usage: bash bench/econ.sh [TMFS] [PATHS]   (default 2000 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
tmfs="${1:-2000}"
paths="${2:-10000}"
mkdir -p bench/out
venv=bench/out/venv
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet numpy; }
ours=$(cargo bench --quiet -p qaita-econ --bench national_mc -- "$tmfs" "$paths" "$PWD/bench/out/models.json" | tail -n 1)
theirs=$("$venv/bin/python" bench/econ_mc.py bench/out/models.json "$paths")
echo "$ours"
echo "$theirs"
python3 - "$ours" "$theirs" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"qaita-econ {a['seconds']} s, {b['engine']} {b['seconds']} s: ratio {b['seconds'] / a['seconds']:.1f}x "
      f"(goal: <= 1 s and >= 20x); sum of P50 NPV {a['sum_p50_usd']/1e9:.2f} vs {b['sum_p50_usd']/1e9:.2f} bn USD, "
      f"sum of mean NPV {a['sum_mean_usd']/1e9:.2f} vs {b['sum_mean_usd']/1e9:.2f} bn USD")
PY
