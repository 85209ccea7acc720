#!/usr/bin/env bash
# Console pages at scale: seeds an empty database with `entente demo seed` (default 10,000
# partners, 10 audiences x 20 scopes), starts the given binary, signs in, and prints the p50 and
# p95 of each page's server-side render (curl's total time, 30 requests each, after 3 warm-ups),
# then the scope matrix's time to interactive in Chromium (bench/matrix-interactive.mjs) and the
# sign-in page's over an emulated network (bench/console-network.mjs).
# Usage: ENTENTE_BIN=target/release/entente LEPTOS_SITE_ROOT=target/site bench/console-pages.sh [partners]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${ENTENTE_BIN:-target/release/entente}
PARTNERS=${1:-10000}
PORT=${PORT:-3211}
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
export ENTENTE_DATA_DIR=$work ENTENTE_LOG=warn ENTENTE_METRICS_LISTEN=off ENTENTE_SHUTDOWN_DRAIN=0
export ENTENTE_ISSUER=http://127.0.0.1:$PORT LEPTOS_SITE_ROOT=${LEPTOS_SITE_ROOT:-target/site}
"$BIN" demo seed --partners "$PARTNERS" --audiences 10 --scopes 20
printf 'correct horse battery staple\n' | "$BIN" admin create --email bench@example.test --password-stdin >/dev/null
"$BIN" serve --listen 127.0.0.1:$PORT & server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
login=$(curl -s "http://127.0.0.1:$PORT/login" | grep -o '/api/login[0-9]*' | head -1)
cookie=$(curl -s -D - -o /dev/null -H "origin: http://127.0.0.1:$PORT" \
  --data-urlencode email=bench@example.test --data-urlencode 'password=correct horse battery staple' \
  "http://127.0.0.1:$PORT$login" | grep -i '^set-cookie' | head -1 | sed 's/^[Ss]et-[Cc]ookie: //; s/;.*//')
[ -n "$cookie" ] || { echo "sign-in failed" >&2; exit 1; }
echo "page                                p50 ms   p95 ms   bytes"
for page in / /partners /partners/partner-00042 /partners/partner-00042/onboarding /partners/partner-00042/trust \
            /matrix /audiences /keys /changes /users /audit; do
  for _ in 1 2 3; do curl -s -o /dev/null -H "cookie: $cookie" "http://127.0.0.1:$PORT$page"; done
  times=$(for _ in $(seq 30); do curl -s -o /dev/null -w '%{time_total}\n' -H "cookie: $cookie" "http://127.0.0.1:$PORT$page"; done | sort -n)
  bytes=$(curl -s -H "cookie: $cookie" "http://127.0.0.1:$PORT$page" | wc -c)
  p50=$(echo "$times" | sed -n 15p); p95=$(echo "$times" | sed -n 29p)
  printf '%-36s %7.1f  %7.1f  %7d\n' "$page" "$(echo "$p50*1000" | bc -l)" "$(echo "$p95*1000" | bc -l)" "$bytes"
done
if [ -z "${SKIP_BROWSER:-}" ]; then
  BASE=http://127.0.0.1:$PORT COOKIE="$cookie" node bench/matrix-interactive.mjs
  BASE=http://127.0.0.1:$PORT node bench/console-network.mjs
fi
