#!/usr/bin/env bash
# Token exchange (RFC 8693): a token your identity provider issued to a user (or a workload) in,
# an Entente token for one API out, within the trust rule your Entente administrators set.
#   ENTENTE=… CLIENT_ID=… CLIENT_SECRET=… AUDIENCE=… SUBJECT_TOKEN=eyJ… \
#     [SUBJECT_TOKEN_TYPE=urn:ietf:params:oauth:token-type:access_token] [SCOPE=…] \
#     [ACTOR_TOKEN=eyJ…] ./token-exchange.sh
# With ACTOR_TOKEN the result is delegation (an `act` claim names the actor); without, impersonation.
set -euo pipefail
: "${ENTENTE:?}" "${CLIENT_ID:?}" "${CLIENT_SECRET:?}" "${AUDIENCE:?}" "${SUBJECT_TOKEN:?}"
args=(--data-urlencode "grant_type=urn:ietf:params:oauth:grant-type:token-exchange"
      --data-urlencode "subject_token=$SUBJECT_TOKEN"
      --data-urlencode "subject_token_type=${SUBJECT_TOKEN_TYPE:-urn:ietf:params:oauth:token-type:access_token}"
      --data-urlencode "audience=$AUDIENCE")
[ -n "${SCOPE:-}" ] && args+=(--data-urlencode "scope=$SCOPE")
if [ -n "${ACTOR_TOKEN:-}" ]; then
  args+=(--data-urlencode "actor_token=$ACTOR_TOKEN"
         --data-urlencode "actor_token_type=urn:ietf:params:oauth:token-type:access_token")
fi
# The credentials go to curl on stdin (a config line), never on its command line, where other
# users of the machine could read them.
curl -sS --fail-with-body -K - "${args[@]}" "$ENTENTE/oauth2/token" <<<"user = \"$CLIENT_ID:$CLIENT_SECRET\""
echo
