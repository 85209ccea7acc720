import { defineConfig } from '@playwright/test';
import path from 'node:path';
import { ADMIN_EMAIL, ADMIN_PASSWORD, baseURL, port } from './fixtures';

export { baseURL };

// Runs against the `entente` binary built by cargo-leptos (the wasm and CSS under target/site).
// The browser is Debian's Chromium: Playwright's own download does not work on these machines.
const root = path.resolve(__dirname, '..');

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  retries: 0,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: {
    command: path.join(root, 'end2end/start-server.sh'),
    cwd: root,
    url: `${baseURL}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      ENTENTE_LISTEN: `127.0.0.1:${port}`,
      ENTENTE_ISSUER: baseURL,
      E2E_ADMIN_EMAIL: ADMIN_EMAIL,
      E2E_ADMIN_PASSWORD: ADMIN_PASSWORD,
      ...(process.env.ENTENTE_BIN ? { ENTENTE_BIN: process.env.ENTENTE_BIN } : {}),
      ENTENTE_LOG: 'warn',
      // Metrics are served on their own listener; the suites do not need one.
      ENTENTE_METRICS_LISTEN: 'off',
      LEPTOS_SITE_ROOT: 'target/site',
      // The partner journey's OpenID provider (npm oidc-provider) listens on plain http on
      // loopback: development only, never in production (security case E40).
      ENTENTE_DEV_INSECURE_ISSUER_URLS: 'true',
    },
  },
});
