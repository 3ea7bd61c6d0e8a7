#!/usr/bin/env bash
# National planning (issue 6): ranking with its stability analysis and the greedy schedule for a
# generated registry of TMFS TMFs over 25 start years (goal <= 1 s together), then the MILP
# schedule with HiGHS (goal: <= 60 s at <= 1% gap). Prints the benchmark's JSON line.
# Usage: bash bench/plan.sh [TMFS] [TIME_LIMIT_S] [GAP]   (default 2000 60 0.01)
set -euo pipefail
cd "$(dirname "$0")/.."
tmfs="${1:-2000}"
limit="${2:-60}"
gap="${3:-0.01}"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
cargo bench --quiet -p qaita-plan --bench plan -- "$tmfs" "$limit" "$gap" | tail -n 1
