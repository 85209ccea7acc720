#!/usr/bin/env bash
# Instructions per request on the release server, counted by callgrind: the repeatable measure
# of a change's cost where wall-clock throughput on a shared machine is too noisy, and the
# per-step profile of the README's performance section.
# Usage: ENTENTE_BIN=target/release/entente bench/callgrind.sh [cc|exchange|introspect] [VAR=value ...]
# e.g. `bench/callgrind.sh cc ENTENTE_USAGE=off` against `bench/callgrind.sh cc ENTENTE_USAGE=on`.
# BENCH_PROFILE=1 also prints the inclusive instructions per request of the main steps.
set -euo pipefail
cd "$(dirname "$0")"
BIN=${ENTENTE_BIN:-../target/release/entente}
PORT=${PORT:-3290}
path=cc
case "${1:-}" in cc|exchange|introspect) path=$1; shift ;; esac
command -v valgrind >/dev/null || { echo "valgrind is required" >&2; exit 1; }
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
export ENTENTE_DATA_DIR=$work ENTENTE_LOG=warn ENTENTE_METRICS_LISTEN=off ENTENTE_SHUTDOWN_DRAIN=0
export ENTENTE_ISSUER=http://127.0.0.1:$PORT
API=https://api.example.test
# Partners made from the command line start in the sandbox (production is reached by an approved
# promotion), so the load goes to the sandbox endpoints: the same handlers, policy and signing as
# production's, with the sandbox's own keys.
"$BIN" partner create --slug bench --name Bench --stage sandbox >/dev/null
"$BIN" audience create --identifier $API --scopes orders:read --environment sandbox >/dev/null
"$BIN" grant set --partner bench --audience $API --scopes orders:read >/dev/null
creds=$("$BIN" client create --partner bench --name load --scopes orders:read --grant-types \
  "client_credentials urn:ietf:params:oauth:grant-type:token-exchange" --output json)
cid=$(jq -r .client_id <<<"$creds"); sec=$(jq -r .client_secret <<<"$creds")
enc() { jq -rn --arg v "$1" '$v|@uri'; }
body="grant_type=client_credentials&resource=$(enc $API)"
url=/sandbox/oauth2/token; who=("$cid" "$sec")
if [ "$path" = exchange ]; then
  subject=$(node partner-token.mjs "$work/idp.json" "$ENTENTE_ISSUER")
  "$BIN" issuer add --partner bench --issuer https://idp.bench.test --jwks-file "$work/idp.json" --audience "$ENTENTE_ISSUER" >/dev/null
  "$BIN" trust-rule set --partner bench --issuer https://idp.bench.test --audience $API --scopes orders:read >/dev/null
  body="grant_type=$(enc urn:ietf:params:oauth:grant-type:token-exchange)&subject_token_type=$(enc urn:ietf:params:oauth:token-type:access_token)&audience=$(enc $API)&subject_token=$subject"
fi
if [ "$path" = introspect ]; then
  rs=$("$BIN" resource-server create --audience $API --name api --output json)
  who=("$(jq -r .client_id <<<"$rs")" "$(jq -r .client_secret <<<"$rs")")
fi
env "$@" ENTENTE_LISTEN=127.0.0.1:$PORT valgrind --tool=callgrind \
  --callgrind-out-file="$work/cg.out" "$BIN" serve 2>"$work/valgrind.log" &
vg=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
if [ "$path" = introspect ]; then
  token=$(curl -sf -u "$cid:$sec" -d grant_type=client_credentials -d resource=$API "http://127.0.0.1:$PORT$url" | jq -r .access_token)
  body="token=$token"; url=/sandbox/oauth2/introspect
fi
python3 keepalive-load.py "$PORT" "$url" "${who[@]}" "$body" 300
callgrind_control -z $vg >/dev/null
python3 keepalive-load.py "$PORT" "$url" "${who[@]}" "$body" 1000
callgrind_control -d $vg >/dev/null
sleep 1
total=$(awk '/^summary:/ {print $2}' "$work/cg.out.1")
echo "$path $* instructions for 1000 requests: $total ($((total / 1000)) per request)"
if [ "${BENCH_PROFILE:-0}" = 1 ]; then
  # Inclusive instructions per request of the steps named in the README's breakdown.
  callgrind_annotate --inclusive=yes --threshold=100 "$work/cg.out.1" 2>/dev/null |
    awk -v total="$total" 'match($0, /^ *([0-9,]+) /, m) { n = m[1]; gsub(",", "", n); line = $0; sub(/^ *[0-9,]+ \([^)]*\) */, "", line); sub(/ \[.*$/, "", line); if (n / 1000 >= 500) printf "%9d  %5.1f%%  %s\n", n / 1000, 100 * n / total, line }' |
    grep -E "${BENCH_PROFILE_FILTER:-entente|hyper::proto|jsonwebtoken|aws_lc|serde_json|metrics|tracing|tower_http|tokio::runtime::task|form_urlencoded|quick_cache|argon2|axum::}" | head -${BENCH_PROFILE_LINES:-60}
fi
