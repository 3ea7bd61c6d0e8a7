#!/usr/bin/env bash
# Kriging (issue 3): qaita-geostat, R gstat (nmax) and PyKrige (C backend, n_closest_points) on
# the same samples, targets, spherical model and neighbour count; prints each and the ratios.
# Usage: bash bench/kriging.sh [SAMPLES] [TARGETS] [NEIGHBOURS]   (default 20000 1000000 32)
# Then, unless EXTRA_CASES=0: block kriging (2 x 2-discretised cells) beside gstat's, and 3-D
# kriging (anisotropic model, 3-D target grid; ours only), with peak memory of our runs.
# Installs r-cran-gstat (Debian) and PyKrige (PyPI, in a venv) if missing. PyKrige needs ~9 GB
# at one million targets and ~10 minutes at 100k on 2 cores: SKIP_PYKRIGE=1 leaves it out.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-20000}"; m="${2:-1000000}"; k="${3:-32}"
out="$PWD/bench/out/kriging"
mkdir -p "$out"
command -v Rscript >/dev/null && Rscript -e 'library(gstat)' >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq r-cran-gstat >/dev/null; }
venv=bench/out/venv-pykrige
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet pykrige; }
# Build first so that the peak memory measured below is the benchmark's, not rustc's.
cargo bench --quiet --no-run -p qaita-geostat --bench kriging 2>/dev/null
ours=$(/usr/bin/time -f "%M" -o "$out/time-2d.txt" \
  cargo bench --quiet -p qaita-geostat --bench kriging -- "$n" "$m" "$k" "$out" | tail -n 1)
echo "$ours"
echo "peak $(cat "$out/time-2d.txt") KB (includes writing the CSV inputs for the peers)"
gstat=$(Rscript bench/kriging_gstat.R "$out" "$k")
echo "$gstat"
if [ "${SKIP_PYKRIGE:-0}" = 1 ]; then
  pykrige='{"engine":"PyKrige (skipped)","seconds":0,"mean_estimate":0}'
else
  pykrige=$("$venv/bin/python" bench/kriging_peers.py "$out" "$k")
fi
echo "$pykrige"
python3 - "$ours" "$gstat" "$pykrige" <<'PY'
import json, sys
a, g, p = (json.loads(x) for x in sys.argv[1:])
print(f"qaita-geostat {a['seconds']} s; {g['engine']} {g['seconds']} s ({g['seconds'] / a['seconds']:.1f}x); "
      f"{p['engine']} {p['seconds']} s ({p['seconds'] / a['seconds']:.1f}x); "
      f"mean estimate {a['mean_estimate']:.6f} / {g['mean_estimate']:.6f} / {p['mean_estimate']:.6f} "
      "(goal: <= 1.5 s and >= 20x gstat)")
PY
if [ "${EXTRA_CASES:-1}" = 1 ]; then
  run_case() {
    /usr/bin/time -f "peak %M KB" -o "$out/time-$1.txt" \
      cargo bench --quiet -p qaita-geostat --bench kriging -- "$n" "$m" "$k" - "$1" | tail -n 1
    cat "$out/time-$1.txt"
  }
  run_case block
  Rscript bench/kriging_gstat.R "$out" "$k" block
  run_case 3d
fi
