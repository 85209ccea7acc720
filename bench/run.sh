#!/usr/bin/env bash
# `make bench`: every path of the performance table, Entente (release) against npm oidc-provider
# (the peer) under the same wrk load on loopback, in one run. Prints a table and one JSON line per
# path ({"path","entente_rps","peer_rps","ratio","target","p99_ms","rss_mb"}) to compare commits.
# BENCH_PIN=1 puts the servers on core 0 and the load generator (and the CLI) on core 1.
# Benchmarks are not tests: nothing here fails on a figure, only on a request that does not work.
set -euo pipefail
cd "$(dirname "$0")"
BIN=${ENTENTE_BIN:-../target/release/entente}
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-16}
BIG=${BENCH_BIG_CATALOG:-10000}
E_PORT=3201; P_PORT=3301; N_PORT=3202; R_PORT=3203; REDIS_PORT=3204; U_PORT=3205; B_PORT=3206; V_PORT=3207
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
[ -d node_modules/oidc-provider ] || npm ci --no-audit --no-fund >/dev/null
for t in wrk jq curl redis-server; do
  command -v $t >/dev/null || { echo "$t is required (make setup, or apt-get install $t)" >&2; exit 1; }
done

pin_server=""; pin_load=""
if [ "${BENCH_PIN:-0}" = 1 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  pin_server="taskset -c 0"; pin_load="taskset -c 1"
fi
export ENTENTE_LOG=warn
# Runs follow each other on the same port: no shutdown drain.
export ENTENTE_SHUTDOWN_DRAIN=0
API=https://api.example.test
field() { jq -r ".$1" <<<"$2"; }
cli() { $pin_load "$BIN" "$@"; }

# The bench catalog, in the data directory $ENTENTE_DATA_DIR. Partners made from the command line
# start in the sandbox (production is reached by an approved promotion), so the load goes to the
# sandbox endpoints: the same handlers, policy and signing as production's, with its own keys.
catalog() {
  cli partner create --slug bench --name Bench --stage sandbox >/dev/null
  cli audience create --identifier $API --scopes "orders:read" --environment sandbox >/dev/null
  cli grant set --partner bench --audience $API --scopes "orders:read" >/dev/null
  creds=$(cli client create --partner bench --name load --scopes "orders:read" --output json)
  cid=$(field client_id "$creds"); sec=$(field client_secret "$creds")
}

# Side by side on the small catalog.
export ENTENTE_DATA_DIR="$work/data"
catalog
# Token exchange: a partner IdP with a static JWKS, a trust rule, a client allowed to exchange.
subject=$(node partner-token.mjs "$work/idp.json" "http://127.0.0.1:$E_PORT")
cli issuer add --partner bench --issuer https://idp.bench.test --jwks-file "$work/idp.json" \
  --audience "http://127.0.0.1:$E_PORT" >/dev/null
cli trust-rule set --partner bench --issuer https://idp.bench.test --audience $API --scopes "orders:read" >/dev/null
x=$(cli client create --partner bench --name exchanger --scopes "orders:read" \
  --grant-types "urn:ietf:params:oauth:grant-type:token-exchange" --output json)
xcid=$(field client_id "$x"); xsec=$(field client_secret "$x")
# Introspection: the API's own client (a resource server).
rs=$(cli resource-server create --audience $API --name "Orders API" --output json)
rcid=$(field client_id "$rs"); rsec=$(field client_secret "$rs")
# Rate limits: a second partner on a tier it never reaches, so every request runs the limiter
# (per client and per partner) and none is refused; its cost is the difference from `bench`.
cli limit tier set --name bench-ceiling --per-second 1000000 --burst 1000000 >/dev/null
cli partner create --slug limited --name Limited --stage sandbox >/dev/null
cli grant set --partner limited --audience $API --scopes "orders:read" >/dev/null
cli limit set --partner limited --tier bench-ceiling >/dev/null
l=$(cli client create --partner limited --name load --scopes "orders:read" --output json)
lcid=$(field client_id "$l"); lsec=$(field client_secret "$l")

serve() { # port metrics-port log [VAR=value ...]: starts an Entente, prints its pid
  local port=$1 mport=$2 log=$3; shift 3
  env "$@" ENTENTE_LISTEN=127.0.0.1:$port ENTENTE_METRICS_LISTEN=127.0.0.1:$mport \
    ENTENTE_ISSUER=http://127.0.0.1:$E_PORT $pin_server "$BIN" serve >/dev/null 2>"$work/$log.log" &
  echo $!
}
ready() { for _ in $(seq 300); do curl -sf "$1" >/dev/null && return; sleep 0.1; done; echo "$1 never answered" >&2; exit 1; }
e_pid=$(serve $E_PORT 9464 entente)
$pin_server node peer.mjs $P_PORT >"$work/peer.log" 2>&1 &
p_pid=$!
# A second Entente on the same database with the first-exchange note off: the note's cost is the
# difference between the two exchange runs.
serve $N_PORT 9465 entente-nonote ENTENTE_FIRST_EXCHANGE_NOTE=off >/dev/null
# Cluster mode: a third on the same database with its own Redis; the limited client's requests
# there pay one Redis round trip each (the GCRA script).
redis-server --port $REDIS_PORT --bind 127.0.0.1 --save "" --appendonly no >/dev/null &
serve $R_PORT 9466 entente-redis ENTENTE_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0 >/dev/null
# The usage pipeline off: its cost is the difference from the first server's runs.
u_pid=$(serve $U_PORT 9467 entente-nousage ENTENTE_USAGE=off)
# The memory of verified signatures off: every partner token and introspected token is verified.
v_pid=$(serve $V_PORT 9469 entente-nomemory ENTENTE_VERIFIED_TOKENS=0)
for u in $E_PORT $N_PORT $R_PORT $U_PORT $V_PORT; do ready "http://127.0.0.1:$u/readyz"; done
ready "http://127.0.0.1:$P_PORT/.well-known/openid-configuration"
sleep 1
rss_now() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$1/status"; }
idle_e=$(rss_now "$e_pid"); idle_p=$(rss_now "$p_pid")

# run NAME PID URL BASIC SCRIPT [check-curl-args...]: checks one request, warms up, measures.
run() {
  local name=$1 pid=$2 url=$3 basic; basic=$(printf '%s' "$4" | base64 -w0); local script=$5; shift 5
  local code; code=$(curl -s -o "$work/$name.check" -w '%{http_code}' -H "Authorization: Basic $basic" "$@" "$url")
  case "$code" in 200|304) ;; *) echo "$name: $code $(cat "$work/$name.check")" >&2; exit 1 ;; esac
  if [ "$code" = 200 ] && grep -q '"active":false' "$work/$name.check"; then echo "$name: token inactive" >&2; exit 1; fi
  BENCH_BASIC=$basic $pin_load wrk -t1 -c"$CONNS" -d2s -s "$script" "$url" >/dev/null
  # The peak resident set of this run alone (writing 5 to clear_refs resets VmHWM).
  echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || true
  BENCH_BASIC=$basic $pin_load wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "$script" "$url" >"$work/$name.txt"
  awk '/VmHWM/ {print int($2/1024)}' "/proc/$pid/status" >"$work/$name.rss"
  if grep -q "Non-2xx" "$work/$name.txt"; then echo "$name: failed responses under load" >&2; cat "$work/$name.txt" >&2; exit 1; fi
}
cc=(-d grant_type=client_credentials -d resource=$API -d scope=orders:read)
xc=(-d grant_type=urn:ietf:params:oauth:grant-type:token-exchange
    -d subject_token_type=urn:ietf:params:oauth:token-type:access_token -d audience=$API
    --data-urlencode "subject_token=$subject")
E=http://127.0.0.1:$E_PORT/sandbox
run entente "$e_pid" "$E/oauth2/token" "$cid:$sec" token.lua "${cc[@]}"
run nousage "$u_pid" "http://127.0.0.1:$U_PORT/sandbox/oauth2/token" "$cid:$sec" token.lua "${cc[@]}"
# Limits on and off alternate (twice each) so that drift on a shared machine falls on both.
run limited "$e_pid" "$E/oauth2/token" "$lcid:$lsec" token.lua "${cc[@]}"
run entente2 "$e_pid" "$E/oauth2/token" "$cid:$sec" token.lua "${cc[@]}"
run nousage2 "$u_pid" "http://127.0.0.1:$U_PORT/sandbox/oauth2/token" "$cid:$sec" token.lua "${cc[@]}"
run limited2 "$e_pid" "$E/oauth2/token" "$lcid:$lsec" token.lua "${cc[@]}"
curl -sf "http://127.0.0.1:9466/readyz" | grep -q '"rate_limits":"cluster"' || { echo "the cluster-mode server has no Redis" >&2; exit 1; }
run cluster "$e_pid" "http://127.0.0.1:$R_PORT/sandbox/oauth2/token" "$lcid:$lsec" token.lua "${cc[@]}"
export BENCH_SUBJECT=$subject
run exchange "$e_pid" "$E/oauth2/token" "$xcid:$xsec" exchange.lua "${xc[@]}"
run exchange-nonote "$e_pid" "http://127.0.0.1:$N_PORT/sandbox/oauth2/token" "$xcid:$xsec" exchange.lua "${xc[@]}"
run exchange-nomemory "$v_pid" "http://127.0.0.1:$V_PORT/sandbox/oauth2/token" "$xcid:$xsec" exchange.lua "${xc[@]}"
PEER_SECRET=bench-secret-0123456789abcdef0123456789abcdef
run peer "$p_pid" "http://127.0.0.1:$P_PORT/token" "bench:$PEER_SECRET" token.lua "${cc[@]}"
# Introspection of a fresh token (the audience's tokens live 5 minutes).
etoken=$(curl -sf -u "$cid:$sec" "${cc[@]}" "$E/oauth2/token" | jq -r .access_token)
BENCH_TOKEN=$etoken run introspect "$e_pid" "$E/oauth2/introspect" "$rcid:$rsec" introspect.lua -d "token=$etoken"
BENCH_TOKEN=$etoken run introspect-nomemory "$v_pid" "http://127.0.0.1:$V_PORT/sandbox/oauth2/introspect" "$rcid:$rsec" introspect.lua -d "token=$etoken"
ptoken=$(curl -sf -u "bench-opaque:$PEER_SECRET" -d grant_type=client_credentials -d scope=orders:read "http://127.0.0.1:$P_PORT/token" | jq -r .access_token)
BENCH_TOKEN=$ptoken run peer-introspect "$p_pid" "http://127.0.0.1:$P_PORT/token/introspection" "bench-opaque:$PEER_SECRET" introspect.lua -d "token=$ptoken"
# JWKS: Entente revalidated with its ETag (304); the peer sends no ETag, so it answers in full.
etag=$(curl -sfI "http://127.0.0.1:$E_PORT/.well-known/jwks.json" | awk -F': ' 'tolower($1)=="etag" {print $2}' | tr -d '\r')
[ -n "$etag" ] || { echo "Entente's JWKS has no ETag" >&2; exit 1; }
BENCH_ETAG=$etag run jwks "$e_pid" "http://127.0.0.1:$E_PORT/.well-known/jwks.json" ":" jwks.lua -H "If-None-Match: $etag"
BENCH_ETAG= run peer-jwks "$p_pid" "http://127.0.0.1:$P_PORT/jwks" ":" jwks.lua
grep -q "Non-2xx\|Socket errors" "$work/jwks.txt" && { echo "jwks: errors" >&2; exit 1; }
kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true

# The large catalog: BIG partners of the demo seed (each with grants and clients), the bench
# partner beside them. Memory idle and under load, and the catalog reload under load.
export ENTENTE_DATA_DIR="$work/big"
seed_started=$(date +%s.%N)
cli demo seed --partners "$BIG" --entente-issuer "http://127.0.0.1:$E_PORT" >/dev/null
seed_s=$(awk -v a="$seed_started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", b-a}')
catalog
b_pid=$(serve $B_PORT 9468 entente-big)
ready "http://127.0.0.1:$B_PORT/readyz"
sleep 2
idle_big=$(rss_now "$b_pid")
# Reloads with the server otherwise idle: five catalog changes a second apart, and the load
# starts only when the last of their reloads is done.
metric() { curl -sf http://127.0.0.1:9468/metrics | awk -v n="$1" '$1==n {print $2}'; }
per_reload() { # sum0 count0: mean ms per reload since then, and how many
  awk -v s0="$1" -v c0="$2" -v s="$(metric entente_catalog_reload_seconds_sum)" -v c="$(metric entente_catalog_reload_seconds_count)" \
    'BEGIN {if (c > c0) printf "%.0f ms mean of %d", (s-s0)/(c-c0)*1000, c-c0; else print "none done"}'
}
idle_sum=$(metric entente_catalog_reload_seconds_sum); idle_count=$(metric entente_catalog_reload_seconds_count)
for i in 1 2 3 4 5; do cli partner create --slug "idle-$i" --name "Idle $i" --stage applied >/dev/null; sleep 1; done
for _ in $(seq 100); do
  [ "$(awk -v a="$(metric entente_catalog_reload_seconds_count)" -v b="$idle_count" 'BEGIN {print (a >= b + 5)}')" = 1 ] && break
  sleep 0.1
done
reload_idle=$(per_reload "$idle_sum" "$idle_count")
B=http://127.0.0.1:$B_PORT/sandbox
run big "$b_pid" "$B/oauth2/token" "$cid:$sec" token.lua "${cc[@]}"
# Catalog changes every half second under the same load: each is a reload of every partner.
reloads_before=$(metric entente_catalog_reload_seconds_count); reload_sum_before=$(metric entente_catalog_reload_seconds_sum)
( i=0; while :; do i=$((i+1)); cli partner create --slug "churn-$i" --name "Churn $i" --stage applied >/dev/null; sleep 0.5; done ) &
churn=$!
run big-reload "$b_pid" "$B/oauth2/token" "$cid:$sec" token.lua "${cc[@]}"
kill $churn; wait $churn 2>/dev/null || true
sleep 1.5
m=$(curl -sf http://127.0.0.1:9468/metrics)
reload_max=$(awk '/^entente_catalog_reload_seconds\{quantile="1"\}/ {printf "%.0f", $2*1000}' <<<"$m")
reload_under_load=$(per_reload "$reload_sum_before" "$reloads_before")
partners=$(awk '/^entente_catalog_partners/ {print $2}' <<<"$m")

# The report.
rps() { awk '/Requests\/sec/ {print $2}' "$work/$1.txt"; }
p99() { awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}' "$work/$1.txt"; }
rss() { cat "$work/$1.rss"; }
mean() { awk -v a="$(rps "$1")" -v b="$(rps "$2")" 'BEGIN {printf "%.0f", (a+b)/2}'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
rows=()
row() { # path entente_rps peer_rps ratio target p99 rss [note]
  rows+=("$(jq -cn --arg path "$1" --argjson e "$2" --argjson p "$3" --argjson r "$4" --arg t "$5" \
    --argjson p99 "$6" --argjson rss "$7" --arg note "${8:-}" \
    '{path:$path, entente_rps:$e, peer_rps:$p, ratio:$r, target:$t, p99_ms:$p99, rss_mb:$rss} + (if $note=="" then {} else {note:$note} end)')")
}
cc_e=$(mean entente entente2)
row client_credentials "$cc_e" "$(rps peer)" "$(div "$cc_e" "$(rps peer)")" ">= 8x peer; p99 <= 2 ms" "$(p99 entente)" "$(rss entente)"
row token_exchange "$(rps exchange)" "$(rps peer)" "$(div "$(rps exchange)" "$(rps peer)")" ">= 4x peer client_credentials" "$(p99 exchange)" "$(rss exchange)"
row introspection "$(rps introspect)" "$(rps peer-introspect)" "$(div "$(rps introspect)" "$(rps peer-introspect)")" ">= 10x peer introspection (opaque)" "$(p99 introspect)" "$(rss introspect)"
row jwks_if_none_match "$(rps jwks)" "$(rps peer-jwks)" "$(div "$(rps jwks)" "$(rps peer-jwks)")" ">= 20x peer JWKS" "$(p99 jwks)" "$(rss jwks)"
lim=$(mean limited limited2)
row client_credentials+rate_limits "$lim" null "$(div "$lim" "$cc_e")" ">= 0.97 of without" "$(p99 limited)" "$(rss limited)" "ratio: limits on / off, same server"
nou=$(mean nousage nousage2)
row client_credentials-usage_off "$nou" null "$(div "$cc_e" "$nou")" ">= 0.97 of without" "$(p99 nousage)" "$(rss nousage)" "ratio: usage pipeline on / off"
row client_credentials+redis "$(rps cluster)" null "$(div "$(rps cluster)" "$lim")" "(cluster mode, no target)" "$(p99 cluster)" null "ratio: limits in Redis / in process"
row token_exchange-memory_off "$(rps exchange-nomemory)" "$(rps peer)" "$(div "$(rps exchange-nomemory)" "$(rps peer)")" "(no target: every signature verified)" "$(p99 exchange-nomemory)" "$(rss exchange-nomemory)" "ENTENTE_VERIFIED_TOKENS=0; ratio against the peer's client_credentials"
row introspection-memory_off "$(rps introspect-nomemory)" "$(rps peer-introspect)" "$(div "$(rps introspect-nomemory)" "$(rps peer-introspect)")" "(no target: every signature verified)" "$(p99 introspect-nomemory)" "$(rss introspect-nomemory)" "ENTENTE_VERIFIED_TOKENS=0"
row token_exchange-first_note_off "$(rps exchange-nonote)" null "$(div "$(rps exchange)" "$(rps exchange-nonote)")" "(no target)" "$(p99 exchange-nonote)" null "ratio: first-exchange note on / off"
row memory_idle null null null "<= 40 MB" null "$idle_e" "peer idle: $idle_p MB"
row "client_credentials@${BIG}_partners" "$(rps big)" "$(rps peer)" "$(div "$(rps big)" "$(rps peer)")" "<= 150 MB under load" "$(p99 big)" "$(rss big)" "idle with the catalog: $idle_big MB; seeding took ${seed_s}s"
row "catalog_reload@${BIG}_partners" "$(rps big-reload)" null "$(div "$(rps big-reload)" "$(rps big)")" "<= 200 ms; p99 unchanged" "$(p99 big-reload)" "$(rss big-reload)" \
  "reloads of $partners partners idle: $reload_idle; under load: $reload_under_load, max $reload_max ms; p99 without reloads $(p99 big) ms"

printf '\nEntente (release) against oidc-provider %s, wrk -t1 -c%s -d%s, loopback, %s cores, pinning: %s\n' \
  "$(jq -r .version node_modules/oidc-provider/package.json)" "$CONNS" "$DURATION" "$(nproc)" "${pin_server:-off}"
printf '%-34s %10s %10s %7s %9s %7s  %s\n' path entente/s peer/s ratio p99-ms rss-MB target
for r in "${rows[@]}"; do
  jq -r '[.path, (.entente_rps // "-"), (.peer_rps // "-"), (.ratio // "-"), (.p99_ms // "-"), (.rss_mb // "-"), .target] | @tsv' <<<"$r" |
    awk -F'\t' '{printf "%-34s %10s %10s %7s %9s %7s  %s\n", $1, $2, $3, $4, $5, $6, $7}'
  n=$(jq -r '.note // empty' <<<"$r"); [ -z "$n" ] || printf '%-34s %s\n' "" "$n"
done
echo
printf '%s\n' "${rows[@]}"
