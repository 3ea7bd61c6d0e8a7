#!/usr/bin/env bash
# Registry benchmarks (issue 2): CSV import of a generated inventory into SQLite, and proximity
# of every TMF to every Kazakhstan settlement, each with wall time and peak memory.
# Usage: bash bench/registry.sh [OBJECTS]   (default 1000000). Results go to stdout; copy them to
# BENCHMARKS.md with the machine description.
set -euo pipefail
cd "$(dirname "$0")/.."
objects="${1:-1000000}"
out=bench/out
mkdir -p "$out"
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build --release --locked --bin qaita >/dev/null 2>&1 || cargo build --release --locked --bin qaita
qaita=target/release/qaita
csv="$out/generated-$objects.csv"
db="$out/bench-$objects.db"
[ -f "$csv" ] || $qaita generate --objects "$objects" --seed 1 --out "$csv"
rm -f "$db" "$db-wal" "$db-shm"

peak_mb() { awk -F: '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$1"; }
wall_s() { awk '/Elapsed \(wall clock\)/ {n=split($NF,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; printf "%.2f", s}' "$1"; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "input: $csv ($(du -h "$csv" | cut -f1), $objects rows)"

/usr/bin/time -v $qaita --db "$db" import "$csv" --quiet --json > "$out/import.json" 2> "$out/import.time"
rows=$(python3 -c "import json; r=json.load(open('$out/import.json')); print(r['counts']['create'])")
import_s=$(python3 -c "import json; print(round(json.load(open('$out/import.json'))['seconds'], 2))")
echo "import:    $rows rows in $import_s s inside qaita ($(python3 -c "print(round($rows/$import_s))") rows/s); process wall $(wall_s "$out/import.time") s, peak RSS $(peak_mb "$out/import.time") MB   (goal >= 300000 rows/s)"

/usr/bin/time -v $qaita --db "$db" proximity --json --timings > "$out/proximity.json" 2> "$out/proximity.time"
grep '^proximity:' "$out/proximity.time"
assess=$(sed -n 's/.*assess \([0-9.]*\) s.*/\1/p' "$out/proximity.time")
echo "proximity: assess $assess s for $objects TMFs (goal <= 2 s); whole command wall $(wall_s "$out/proximity.time") s incl. reading the database and writing JSON, peak RSS $(peak_mb "$out/proximity.time") MB"
