#!/usr/bin/env bash
# Instructions per client_credentials request on the release server, counted by callgrind: the
# repeatable measure of a feature's cost where wall-clock throughput on a shared machine is too
# noisy. Usage: ENTENTE_BIN=target/release/entente bench/callgrind.sh [VAR=value ...]
# e.g. `bench/callgrind.sh ENTENTE_USAGE=off` against `bench/callgrind.sh ENTENTE_USAGE=on`.
set -euo pipefail
cd "$(dirname "$0")"
BIN=${ENTENTE_BIN:-../target/release/entente}
PORT=${PORT:-3290}
command -v valgrind >/dev/null || { echo "valgrind is required" >&2; exit 1; }
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
export ENTENTE_DATA_DIR=$work ENTENTE_LOG=warn ENTENTE_METRICS_LISTEN=off ENTENTE_SHUTDOWN_DRAIN=0
export ENTENTE_ISSUER=http://127.0.0.1:$PORT
# Partners made from the command line start in the sandbox (production is reached by an approved
# promotion), so the load goes to the sandbox endpoints: the same handlers, policy and signing as
# production's, with the sandbox's own keys.
"$BIN" partner create --slug bench --name Bench --stage sandbox >/dev/null
"$BIN" audience create --identifier https://api.example.test --scopes orders:read --environment sandbox >/dev/null
"$BIN" grant set --partner bench --audience https://api.example.test --scopes orders:read >/dev/null
creds=$("$BIN" client create --partner bench --name load --scopes orders:read --output json)
cid=$(jq -r .client_id <<<"$creds"); sec=$(jq -r .client_secret <<<"$creds")
env "$@" ENTENTE_LISTEN=127.0.0.1:$PORT valgrind --tool=callgrind \
  --callgrind-out-file="$work/cg.out" "$BIN" serve 2>"$work/valgrind.log" &
vg=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
python3 keepalive-load.py "$PORT" "$cid" "$sec" 300
callgrind_control -z $vg >/dev/null
python3 keepalive-load.py "$PORT" "$cid" "$sec" 1000
callgrind_control -d $vg >/dev/null
sleep 1
total=$(awk '/^summary:/ {print $2}' "$work/cg.out.1")
echo "$* instructions for 1000 requests: $total ($((total / 1000)) per request)"
