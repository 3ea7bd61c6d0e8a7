#!/usr/bin/env bash
# The one test command (README, .ci/run): formatting, lints, and every test, including the store
# suite on SQLite and PostgreSQL/PostGIS, the CLI end-to-end tests and the web UI in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
# The fresh-machine check: setup.sh names every missing piece on a simulated bare machine.
bash scripts/test-setup.sh
# No module imports another in a circle, in any crate.
python3 scripts/check-module-cycles.py
# The UI first: the server binary embeds web/dist.
bash scripts/build-web.sh
export QAITA_TEST_POSTGRES="${QAITA_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
bash scripts/test-web.sh
