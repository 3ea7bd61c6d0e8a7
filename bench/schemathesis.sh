#!/usr/bin/env bash
# Property-based API testing (issue 5): schemathesis (PyPI, in a virtual environment under
# bench/out) generates requests from /api/v1/openapi.json against a demo server, as an admin
# (bearer token) so that every write path runs too. Pass: no 5xx and no response that breaks
# the document (status codes, content types, headers, schemas).
# Usage: bash bench/schemathesis.sh [MAX_EXAMPLES]   (default 50 per operation)
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-50}"
out=bench/out
mkdir -p "$out"
venv="$out/venv-schemathesis"
[ -x "$venv/bin/st" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q 'schemathesis==4.*'; }
bash scripts/build-web.sh
cargo build --release --locked --bin qaita >/dev/null 2>&1 || cargo build --release --locked --bin qaita
qaita=target/release/qaita
work=$(mktemp -d)
server_pid=
stop() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi; rm -rf "$work"; }
trap stop EXIT
bash scripts/demo-db.sh "$qaita" "$work/demo.db"
$qaita --db "$work/demo.db" serve --demo-users --bind 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
url=
for _ in $(seq 1 300); do
  url=$(grep -o 'http://[0-9.:]*' "$work/serve.out" | head -n 1 || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$work/serve.err"; exit 1; }
token=$($qaita --db "$work/demo.db" user token admin --label schemathesis 2>/dev/null)
"$venv/bin/st" --version
"$venv/bin/st" run "$url/api/v1/openapi.json" \
  --url "$url" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --max-examples "$examples" \
  --seed 42 \
  --exclude-path '/api/v1/tokens/{id}' \
  2>&1 | tee "$out/schemathesis.txt"
