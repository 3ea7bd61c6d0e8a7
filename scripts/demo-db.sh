#!/usr/bin/env bash
# Creates a demo database: the illustrative inventory (`qaita demo`), a valuation of every TMF
# and a resource estimate of KZ-TMF-0012 from the bundled auger campaign.
#   scripts/demo-db.sh QAITA_BINARY DATABASE
set -euo pipefail
cd "$(dirname "$0")/.."
qaita=$1
db=$2
"$qaita" --db "$db" --actor demo demo >/dev/null
"$qaita" --db "$db" --actor demo value --all >/dev/null
"$qaita" --db "$db" --actor demo estimate KZ-TMF-0012 \
  --samples data/demo/sampling/donskoy-auger.csv --value Cr2O3 >/dev/null
