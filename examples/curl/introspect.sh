#!/usr/bin/env bash
# Introspection (RFC 7662), by a resource server with its own client: is this token active, and
# for whom? Resource servers that can, validate tokens locally with the JWKS instead (see
# ../resource-server); introspection also sees revocations at once.
#   ENTENTE=… RS_CLIENT_ID=… RS_CLIENT_SECRET=… TOKEN=eyJ… ./introspect.sh
set -euo pipefail
: "${ENTENTE:?}" "${RS_CLIENT_ID:?}" "${RS_CLIENT_SECRET:?}" "${TOKEN:?}"
curl -sS --fail-with-body -K - \
  --data-urlencode "token=$TOKEN" "$ENTENTE/oauth2/introspect" <<<"user = \"$RS_CLIENT_ID:$RS_CLIENT_SECRET\""
echo
