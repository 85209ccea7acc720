#!/usr/bin/env bash
# Refresh (RFC 6749 §6): a refresh token from an exchange whose trust rule allows them, in; a new
# access token and a new refresh token out. Use the new one next time: the old one is spent, and
# presenting a spent one again revokes the whole family.
#   ENTENTE=… CLIENT_ID=… CLIENT_SECRET=… REFRESH_TOKEN=… ./refresh-token.sh
set -euo pipefail
: "${ENTENTE:?}" "${CLIENT_ID:?}" "${CLIENT_SECRET:?}" "${REFRESH_TOKEN:?}"
curl -sS --fail-with-body -K - \
  -d grant_type=refresh_token --data-urlencode "refresh_token=$REFRESH_TOKEN" "$ENTENTE/oauth2/token" \
  <<<"user = \"$CLIENT_ID:$CLIENT_SECRET\""
echo
