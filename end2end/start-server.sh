#!/usr/bin/env bash
# Started by Playwright (webServer): a fresh database with one administrator made by the real CLI,
# then the server. Done here, not in globalSetup, because Playwright starts the web server first.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${ENTENTE_BIN:-target/debug/entente}
export ENTENTE_DATA_DIR=end2end/.data
rm -rf "$ENTENTE_DATA_DIR"
printf '%s\n' "$E2E_ADMIN_PASSWORD" | "$BIN" admin create --email "$E2E_ADMIN_EMAIL" --password-stdin >/dev/null
exec "$BIN" serve
