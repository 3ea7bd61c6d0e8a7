#!/usr/bin/env bash
# HTTP API load (issue 5): wrk on GET /api/v1/tmfs?bbox=... over a generated 100k-object
# registry, on SQLite and on PostgreSQL/PostGIS, with the release binary.
# Usage: bash bench/api.sh [OBJECTS] [SECONDS]   (default 100000, 20)
# Each request asks for a different random 0.2 x 0.2 degree box inside Kazakhstan (wrk Lua),
# so no response is served twice from any cache but the server's own proximity memo.
set -euo pipefail
cd "$(dirname "$0")/.."
objects="${1:-100000}"
seconds="${2:-20}"
out=bench/out
mkdir -p "$out"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
bash scripts/build-web.sh
cargo build --release --locked --bin qaita >/dev/null 2>&1 || cargo build --release --locked --bin qaita
qaita=target/release/qaita
csv="$out/generated-$objects.csv"
[ -f "$csv" ] || $qaita generate --objects "$objects" --seed 1 --out "$csv"
pg_admin="${QAITA_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}"

cat > "$out/bbox.lua" <<'LUA'
-- A random 0.2-degree box inside Kazakhstan's extent for each request.
math.randomseed(42)
request = function()
  local lon = 50 + math.random() * 32
  local lat = 42 + math.random() * 12
  local path = string.format("/api/v1/tmfs?bbox=%.3f,%.3f,%.3f,%.3f&limit=100", lon, lat, lon + 0.2, lat + 0.2)
  return wrk.format("GET", path)
end
LUA

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
server_pid=
stop() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=; fi; }
trap stop EXIT

run() { # name db
  local name=$1 db=$2
  $qaita --db "$db" serve --anon-read --bind 127.0.0.1:0 --pool "${POOL:-4}" >"$out/serve-$name.out" 2>"$out/serve-$name.err" &
  server_pid=$!
  local url=
  for _ in $(seq 1 300); do
    url=$(grep -o 'http://[0-9.:]*' "$out/serve-$name.out" | head -n 1 || true)
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { cat "$out/serve-$name.err"; exit 1; }
  # What a typical box holds, and the response size.
  python3 - "$url" <<'PY'
import json, random, sys, urllib.request
random.seed(7)
url = sys.argv[1]
counts, sizes = [], []
for _ in range(200):
    lon, lat = 50 + random.random() * 32, 42 + random.random() * 12
    body = urllib.request.urlopen(f"{url}/api/v1/tmfs?bbox={lon:.3f},{lat:.3f},{lon+0.2:.3f},{lat+0.2:.3f}&limit=100").read()
    counts.append(len(json.loads(body)["items"])); sizes.append(len(body))
print(f"  boxes: mean {sum(counts)/len(counts):.1f} TMFs per response (max {max(counts)}), mean body {sum(sizes)/len(sizes)/1024:.1f} KiB")
PY
  # Warm-up (fills the proximity memo as a long-running server would have), then the measurement.
  wrk -t2 -c32 -d5s -s "$out/bbox.lua" "$url" >/dev/null
  wrk -t2 -c32 -d"${seconds}s" --latency -s "$out/bbox.lua" "$url" | tee "$out/wrk-$name.txt" |
    awk -v name="$name" '/Requests\/sec/ {rps=$2} /^ +99%/ {p99=$2} /^ +50%/ {p50=$2} /Non-2xx/ {bad=$NF} END {printf "%s: %s req/s, p50 %s, p99 %s, non-2xx %s   (goal >= 20000 req/s, p99 <= 20 ms)\n", name, rps, p50, p99, (bad==""?0:bad)}'
  stop
}

db="$out/api-$objects.db"
if [ ! -f "$db" ]; then
  $qaita --db "$db" import "$csv" --quiet >/dev/null
fi
run sqlite "$db"

schema="qaita_bench_api"
psql "$pg_admin" -qc "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" >/dev/null
sep='?'; case "$pg_admin" in *\?*) sep='&';; esac
pg="$pg_admin${sep}options=-csearch_path%3D$schema,public"
$qaita --db "$pg" import "$csv" --quiet >/dev/null
run postgres "$pg"
psql "$pg_admin" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null
