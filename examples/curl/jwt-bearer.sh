#!/usr/bin/env bash
# JWT bearer (RFC 7523 §2.1): a signed assertion from your identity provider in, an Entente
# token out. Each assertion is single-use (its jti), valid for minutes.
#   ENTENTE=… CLIENT_ID=… CLIENT_SECRET=… AUDIENCE=… ASSERTION=eyJ… [SCOPE=…] ./jwt-bearer.sh
set -euo pipefail
: "${ENTENTE:?}" "${CLIENT_ID:?}" "${CLIENT_SECRET:?}" "${AUDIENCE:?}" "${ASSERTION:?}"
args=(--data-urlencode "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer"
      --data-urlencode "assertion=$ASSERTION"
      --data-urlencode "resource=$AUDIENCE")
[ -n "${SCOPE:-}" ] && args+=(--data-urlencode "scope=$SCOPE")
curl -sS --fail-with-body -u "$CLIENT_ID:$CLIENT_SECRET" "${args[@]}" "$ENTENTE/oauth2/token"
echo
