#!/usr/bin/env bash
# The README's run command: builds the web UI and the release binary (the UI is embedded in it),
# creates the demo database on first run (illustrative inventory, valuations, one resource
# estimate) and serves it with anonymous reading and the demo users:
#   viewer / viewer-pass, analyst / analyst-pass, editor / editor-pass, admin / admin-pass.
# Extra arguments go to `qaita serve` (e.g. --bind 0.0.0.0:8080). QAITA_DB picks the database.
set -euo pipefail
cd "$(dirname "$0")/.."
# What building needs (cmake and libclang for the MILP solver, a C toolchain, Node.js): installed
# when missing, or a message with the exact command, before minutes of compiling.
bash scripts/setup.sh build
bash scripts/build-web.sh
cargo build --release --locked --bin qaita
db=${QAITA_DB:-qaita-demo.db}
if [ ! -e "$db" ]; then
  echo "run: creating the demo database $db"
  bash scripts/demo-db.sh ./target/release/qaita "$db"
fi
exec ./target/release/qaita --db "$db" serve --anon-read --demo-users "$@"
