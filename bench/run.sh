#!/usr/bin/env bash
# Side-by-side benchmark of client_credentials → ES256 JWT: Entente (release) vs npm oidc-provider,
# the same wrk load against each in turn on loopback. Prints tokens/s, p50/p99, peak RSS, ratios.
set -euo pipefail
cd "$(dirname "$0")"
BIN=${ENTENTE_BIN:-../target/release/entente}
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-16}
E_PORT=3201; P_PORT=3301; N_PORT=3202; R_PORT=3203; REDIS_PORT=3204; U_PORT=3205
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
[ -d node_modules/oidc-provider ] || npm ci --no-audit --no-fund >/dev/null
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server is required for the cluster-mode row (apt-get install redis-server)" >&2; exit 1; }

export ENTENTE_DATA_DIR="$work/data" ENTENTE_LOG=warn
# Runs follow each other on the same port: no shutdown drain.
export ENTENTE_SHUTDOWN_DRAIN=0
# Partners made from the command line start in the sandbox (production is reached by an approved
# promotion), so the load goes to the sandbox endpoints: the same handlers, policy and signing as
# production's, with the sandbox's own keys.
"$BIN" partner create --slug bench --name Bench --stage sandbox >/dev/null
"$BIN" audience create --identifier https://api.example.test --scopes "orders:read" --environment sandbox >/dev/null
"$BIN" grant set --partner bench --audience https://api.example.test --scopes "orders:read" >/dev/null
creds=$("$BIN" client create --partner bench --name load --scopes "orders:read" --output json)
cid=$(node -e 'const c=JSON.parse(process.argv[1]);console.log(c.client_id)' "$creds")
sec=$(node -e 'const c=JSON.parse(process.argv[1]);console.log(c.client_secret)' "$creds")
# Token exchange: a partner IdP with a static JWKS, a trust rule, a client allowed to exchange.
subject=$(node partner-token.mjs "$work/idp.json" "http://127.0.0.1:$E_PORT")
"$BIN" issuer add --partner bench --issuer https://idp.bench.test --jwks-file "$work/idp.json" \
  --audience "http://127.0.0.1:$E_PORT" >/dev/null
"$BIN" trust-rule set --partner bench --issuer https://idp.bench.test --audience https://api.example.test --scopes "orders:read" >/dev/null
xcreds=$("$BIN" client create --partner bench --name exchanger --scopes "orders:read" \
  --grant-types "urn:ietf:params:oauth:grant-type:token-exchange" --output json)
xcid=$(node -e 'const c=JSON.parse(process.argv[1]);console.log(c.client_id)' "$xcreds")
xsec=$(node -e 'const c=JSON.parse(process.argv[1]);console.log(c.client_secret)' "$xcreds")
# Rate limits: a second partner on a tier it never reaches, so every request runs the limiter
# (per client and per partner) and none is refused; its cost is the difference from `bench`.
"$BIN" limit tier set --name bench-ceiling --per-second 1000000 --burst 1000000 >/dev/null
"$BIN" partner create --slug limited --name Limited --stage sandbox >/dev/null
"$BIN" grant set --partner limited --audience https://api.example.test --scopes "orders:read" >/dev/null
"$BIN" limit set --partner limited --tier bench-ceiling >/dev/null
lcreds=$("$BIN" client create --partner limited --name load --scopes "orders:read" --output json)
lcid=$(node -e 'const c=JSON.parse(process.argv[1]);console.log(c.client_id)' "$lcreds")
lsec=$(node -e 'const c=JSON.parse(process.argv[1]);console.log(c.client_secret)' "$lcreds")

# Pinning: with it, each system gets core 0 and the load generator core 1, so neither competes with wrk.
# Off by default; BENCH_PIN=1 gives each system one core (server and peer on core 0, wrk on core 1).
pin_server=""; pin_load=""
if [ "${BENCH_PIN:-0}" = 1 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  pin_server="taskset -c 0"; pin_load="taskset -c 1"
fi
ENTENTE_LISTEN=127.0.0.1:$E_PORT ENTENTE_ISSUER=http://127.0.0.1:$E_PORT $pin_server "$BIN" serve 2>"$work/entente.log" &
e_pid=$!
$pin_server node peer.mjs $P_PORT >"$work/peer.log" 2>&1 &
p_pid=$!
# A second Entente on the same database with the first-exchange note off: the note's cost is the
# difference between the two exchange runs (same load, same catalog, same issuer).
ENTENTE_FIRST_EXCHANGE_NOTE=off ENTENTE_METRICS_LISTEN=127.0.0.1:9465 ENTENTE_LISTEN=127.0.0.1:$N_PORT \
  ENTENTE_ISSUER=http://127.0.0.1:$E_PORT $pin_server "$BIN" serve 2>"$work/entente-nonote.log" &
# Cluster mode: a third Entente on the same database with its own Redis; the limited client's
# requests there pay one Redis round trip each (the GCRA script).
redis-server --port $REDIS_PORT --bind 127.0.0.1 --save "" --appendonly no >/dev/null &
ENTENTE_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0 ENTENTE_METRICS_LISTEN=127.0.0.1:9466 ENTENTE_LISTEN=127.0.0.1:$R_PORT \
  ENTENTE_ISSUER=http://127.0.0.1:$E_PORT $pin_server "$BIN" serve 2>"$work/entente-redis.log" &
# The usage pipeline off (ENTENTE_USAGE=off): its cost is the difference from the first server's
# client_credentials runs (alternated, same load, same catalog).
ENTENTE_USAGE=off ENTENTE_METRICS_LISTEN=127.0.0.1:9467 ENTENTE_LISTEN=127.0.0.1:$U_PORT \
  ENTENTE_ISSUER=http://127.0.0.1:$E_PORT $pin_server "$BIN" serve 2>"$work/entente-nousage.log" &
for u in http://127.0.0.1:$E_PORT/readyz http://127.0.0.1:$N_PORT/readyz http://127.0.0.1:$R_PORT/readyz http://127.0.0.1:$U_PORT/readyz http://127.0.0.1:$P_PORT/.well-known/openid-configuration; do
  for _ in $(seq 100); do curl -sf "$u" >/dev/null && break; sleep 0.1; done
done

rss() { awk '/VmHWM/ {print int($2/1024)}' /proc/$1/status; }
idle_e=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$e_pid/status)

run() { # name url basic [wrk script]
  local basic; basic=$(printf '%s' "$3" | base64 -w0)
  local script=${4:-token.lua}
  # Warm up, then check that the request really succeeds before measuring.
  if [ "$script" = token.lua ]; then
    curl -sf -H "Authorization: Basic $basic" -d grant_type=client_credentials -d resource=https://api.example.test -d scope=orders:read "$2" | grep -q access_token \
      || { echo "$1: token request failed" >&2; exit 1; }
  else
    curl -sf -H "Authorization: Basic $basic" -d grant_type=urn:ietf:params:oauth:grant-type:token-exchange \
      -d subject_token_type=urn:ietf:params:oauth:token-type:access_token -d audience=https://api.example.test \
      --data-urlencode "subject_token=$BENCH_SUBJECT" "$2" | grep -q access_token \
      || { echo "$1: token exchange failed" >&2; exit 1; }
  fi
  BENCH_BASIC=$basic $pin_load wrk -t1 -c"$CONNS" -d2s -s "$script" "$2" >/dev/null
  BENCH_BASIC=$basic $pin_load wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "$script" "$2" >"$work/$1.txt"
  if grep -q "Non-2xx" "$work/$1.txt"; then echo "$1: non-2xx responses under load" >&2; cat "$work/$1.txt" >&2; exit 1; fi
}
run entente "http://127.0.0.1:$E_PORT/sandbox/oauth2/token" "$cid:$sec"
run nousage "http://127.0.0.1:$U_PORT/sandbox/oauth2/token" "$cid:$sec"
# Limits on and off alternate (twice each) so that drift on a shared machine falls on both.
run limited "http://127.0.0.1:$E_PORT/sandbox/oauth2/token" "$lcid:$lsec"
run entente2 "http://127.0.0.1:$E_PORT/sandbox/oauth2/token" "$cid:$sec"
run nousage2 "http://127.0.0.1:$U_PORT/sandbox/oauth2/token" "$cid:$sec"
run limited2 "http://127.0.0.1:$E_PORT/sandbox/oauth2/token" "$lcid:$lsec"
curl -sf "http://127.0.0.1:9466/readyz" | grep -q '"rate_limits":"cluster"' || { echo "the cluster-mode server has no Redis" >&2; exit 1; }
run cluster "http://127.0.0.1:$R_PORT/sandbox/oauth2/token" "$lcid:$lsec"
export BENCH_SUBJECT=$subject
run exchange "http://127.0.0.1:$E_PORT/sandbox/oauth2/token" "$xcid:$xsec" exchange.lua
run exchange-nonote "http://127.0.0.1:$N_PORT/sandbox/oauth2/token" "$xcid:$xsec" exchange.lua
run peer "http://127.0.0.1:$P_PORT/token" "bench:bench-secret-0123456789abcdef0123456789abcdef"

rps() { awk '/Requests\/sec/ {print $2}' "$work/$1.txt"; }
pct() { awk -v p="$2" '$1==p {print $2}' "$work/$1.txt"; }
printf '\nclient_credentials → ES256 JWT, wrk -t1 -c%s -d%s, loopback, %s cores, pinning: %s\n' "$CONNS" "$DURATION" "$(nproc)" "${pin_server:-off}"
printf '%-10s %12s %10s %10s %14s\n' system tokens/s p50 p99 peak-RSS-MB
printf '%-10s %12s %10s %10s %14s\n' entente "$(rps entente)" "$(pct entente 50%)" "$(pct entente 99%)" "$(rss $e_pid)"
printf '%-10s %12s %10s %10s %14s\n' peer "$(rps peer)" "$(pct peer 50%)" "$(pct peer 99%)" "$(rss $p_pid)"
printf 'entente idle RSS before load: %s MB\n' "$idle_e"
printf '%-10s %12s %10s %10s\n' exchange "$(rps exchange)" "$(pct exchange 50%)" "$(pct exchange 99%)"
printf '%-10s %12s %10s %10s   (ENTENTE_FIRST_EXCHANGE_NOTE=off)\n' exchange "$(rps exchange-nonote)" "$(pct exchange-nonote 50%)" "$(pct exchange-nonote 99%)"
awk -v a="$(rps exchange)" -v b="$(rps exchange-nonote)" 'BEGIN { printf "first-exchange note: %+.1f%% exchange throughput (on vs off, same run)\n", (a/b-1)*100 }'
printf '%-10s %12s %10s %10s   (limits on: client and partner checked, never refused)\n' limited "$(rps limited)" "$(pct limited 50%)" "$(pct limited 99%)"
printf '%-10s %12s %10s %10s   (second pair of runs)\n' entente "$(rps entente2)" "$(pct entente2 50%)" "$(pct entente2 99%)"
printf '%-10s %12s %10s %10s   (second pair of runs)\n' limited "$(rps limited2)" "$(pct limited2 50%)" "$(pct limited2 99%)"
printf '%-10s %12s %10s %10s   (cluster mode: limits in Redis, one round trip each)\n' cluster "$(rps cluster)" "$(pct cluster 50%)" "$(pct cluster 99%)"
awk -v a="$(rps limited)" -v a2="$(rps limited2)" -v b="$(rps entente)" -v b2="$(rps entente2)" \
  'BEGIN { printf "rate limits: %+.1f%% client_credentials throughput (on vs off, same server, same run; target >= -3%%)\n", ((a+a2)/(b+b2)-1)*100 }'
awk -v r="$(rps cluster)" -v a="$(rps limited)" -v a2="$(rps limited2)" \
  'BEGIN { printf "cluster mode: %+.1f%% throughput against limits in process, %.1f us of the 2 cores per request (1/rps difference)\n", (r/((a+a2)/2)-1)*100, (1/r-2/(a+a2))*1e6 }'
printf '%-10s %12s %10s %10s   (ENTENTE_USAGE=off, two runs: %s)\n' nousage "$(rps nousage)" "$(pct nousage 50%)" "$(pct nousage 99%)" "$(rps nousage2)"
awk -v a="$(rps entente)" -v a2="$(rps entente2)" -v b="$(rps nousage)" -v b2="$(rps nousage2)" \
  'BEGIN { printf "usage pipeline: %+.1f%% client_credentials throughput (on vs off, same run; target >= -3%%)\n", ((a+a2)/(b+b2)-1)*100 }'
awk -v a="$(rps entente)" -v b="$(rps peer)" 'BEGIN { printf "ratio entente/peer: %.1fx (target >= 8x)\n", a/b }'
awk -v a="$(rps exchange)" -v b="$(rps peer)" 'BEGIN { printf "ratio token exchange/peer client_credentials: %.1fx (target >= 4x)\n", a/b }'
