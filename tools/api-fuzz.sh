#!/usr/bin/env bash
# Property-based test of the admin REST API against its own OpenAPI document (schemathesis):
# starts the given binary on a fresh SQLite database with a small demo catalog, obtains an
# admin API bearer token the way a script would (client_credentials for the admin audience),
# and generates requests for every operation. Fails on any 5xx, any response that does not
# match the document (status code, content type, body schema) and any crash.
# Usage: ENTENTE_BIN=target/debug/entente tools/api-fuzz.sh [examples per operation]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${ENTENTE_BIN:-target/debug/entente}
EXAMPLES=${1:-${API_FUZZ_EXAMPLES:-100}}
PORT=${PORT:-3219}
ST=tools/.venv/bin/st
[ -x "$ST" ] || { echo "schemathesis is missing: run make setup" >&2; exit 1; }
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
export ENTENTE_DATA_DIR=$work ENTENTE_LOG=warn ENTENTE_METRICS_LISTEN=off ENTENTE_SHUTDOWN_DRAIN=0
export ENTENTE_ISSUER=http://127.0.0.1:$PORT
ADMIN_API=$ENTENTE_ISSUER/admin/api/v1
"$BIN" demo seed --partners 30 --audiences 3 --scopes 5 >/dev/null
# The admin API's audience, the operations partner (in production) and a client acting as admin.
# Every API client has an owner: the console user who answers for it (four eyes count people).
"$BIN" admin create --email fuzz-owner@example.test --password-stdin <<<"fuzz owner password 20261207" >/dev/null
creds=$("$BIN" admin api-client --name api-fuzz --role admin --owner fuzz-owner@example.test --output json)
id=$(jq -r .client_id <<<"$creds"); secret=$(jq -r .client_secret <<<"$creds")
"$BIN" serve --listen 127.0.0.1:$PORT > "$work/server.log" 2>&1 & server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
# Tokens live 300 s by default: ask for one per run (the run is shorter).
token=$(curl -sf -u "$id:$secret" -d grant_type=client_credentials -d "resource=$ADMIN_API" \
  -d scope=entente:admin "http://127.0.0.1:$PORT/oauth2/token" | jq -r .access_token)
[ -n "$token" ] && [ "$token" != null ] || { echo "no admin API token" >&2; exit 1; }
status=0
FUZZ_PARTNER=$("$BIN" partner list --output json | jq -r '[.[] | select(.stage == "sandbox" and (.slug | startswith("partner-")))][0].slug') \
  "$ST" --config-file tools/schemathesis.toml run "$ADMIN_API/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,negative_data_rejection,ignored_auth,unsupported_method \
  --max-examples "$EXAMPLES" --seed 20261127 --no-color \
  --exclude-path /admin/api/v1/usage/live || status=$?
# /usage/live answers a server-sent-event stream that lasts minutes, which a fuzzer cannot wait
# for: its parameter checks and the stream are tested in server/tests/api/usage/live.rs.
if grep -q panicked "$work/server.log"; then echo "the server panicked:" >&2; grep -A5 panicked "$work/server.log" >&2; status=1; fi
exit $status
