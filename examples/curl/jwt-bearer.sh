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
# The credentials go to curl on stdin (a config line), never on its command line, where other
# users of the machine could read them.
curl -sS --fail-with-body -K - "${args[@]}" "$ENTENTE/oauth2/token" <<<"user = \"$CLIENT_ID:$CLIENT_SECRET\""
echo
