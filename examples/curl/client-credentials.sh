#!/usr/bin/env bash
# Client credentials (RFC 6749 §4.4): a partner's backend gets a token for one API.
#   ENTENTE=https://id.example.com CLIENT_ID=cl_… CLIENT_SECRET=… AUDIENCE=https://orders.example \
#     [SCOPE="orders:read"] ./client-credentials.sh
# In the sandbox, ENTENTE is the sandbox issuer: https://id.example.com/sandbox.
set -euo pipefail
: "${ENTENTE:?}" "${CLIENT_ID:?}" "${CLIENT_SECRET:?}" "${AUDIENCE:?}"
args=(-d grant_type=client_credentials --data-urlencode "resource=$AUDIENCE")
[ -n "${SCOPE:-}" ] && args+=(--data-urlencode "scope=$SCOPE")
# HTTP Basic (client_secret_basic); the credentials go to curl on stdin (a config line), never
# on its command line, where other users of the machine could read them.
curl -sS --fail-with-body -K - "${args[@]}" "$ENTENTE/oauth2/token" <<<"user = \"$CLIENT_ID:$CLIENT_SECRET\""
echo
