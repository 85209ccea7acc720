import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import path from 'node:path';
import { expect } from '@playwright/test';

export const ADMIN_EMAIL = 'admin@example.test';
export const ADMIN_PASSWORD = 'correct horse battery staple';
export const port = Number(process.env.E2E_PORT ?? 3107);
export const baseURL = `http://127.0.0.1:${port}`;

const root = path.resolve(__dirname, '..');
const bin = process.env.ENTENTE_BIN ?? path.join(root, 'target/debug/entente');

// The real `entente` CLI on the suite's database, as an operator of the host would run it.
export function cli(...args: string[]): string {
  return cliWithInput(undefined, ...args);
}

export function cliWithInput(input: string | undefined, ...args: string[]): string {
  return execFileSync(bin, args, {
    cwd: root,
    input,
    env: { ...process.env, ENTENTE_DATA_DIR: 'end2end/.data', ENTENTE_ISSUER: baseURL, ENTENTE_LOG: 'warn' },
  }).toString();
}

// A Content-Security-Policy violation anywhere in the page is reported as a console error, which
// every suite fails on (Chromium also logs its own "Refused to …" line).
export async function reportCspViolations(page: import('@playwright/test').Page) {
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
    });
  });
}

// Sessions made by `signIn`, reused by later tests of this worker: the sign-in throttle allows
// 5 attempts a minute per account, and the suite signs in more often than that.
const sessions = new Map<string, Awaited<ReturnType<import('@playwright/test').BrowserContext['cookies']>>>();

// Signs in through the form, as a user would (once per account; later calls reuse the session),
// and waits for the overview (the console's home).
export async function signIn(page: import('@playwright/test').Page, email = ADMIN_EMAIL, password = ADMIN_PASSWORD) {
  const known = sessions.get(email);
  if (known) {
    await page.context().addCookies(known);
    await page.goto('/');
    await page.waitForLoadState('networkidle');
    return;
  }
  await page.goto('/login');
  await page.waitForLoadState('networkidle');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.pathname === '/');
  sessions.set(email, await page.context().cookies());
}

// Collects what the browser reports as wrong: console errors, hydration warnings, page errors and
// HTTP errors (`allowed` names the responses a test provokes on purpose).
export function watch(page: import('@playwright/test').Page, allowed: (status: number, url: string) => boolean = () => false): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    const t = m.text();
    const expected4xx = /Failed to load resource: the server responded with a status of 4\d\d/.test(t);
    if ((m.type() === 'error' && !expected4xx) || /hydrat/i.test(t)) problems.push(`${m.type()}: ${t}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !(r.status() < 500 && allowed(r.status(), r.url()))) problems.push(`HTTP ${r.status()} ${r.url()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return problems;
}

// The wasm bundle has hydrated the page (the entry marks <html> when hydrate_body returns) and
// the network is idle after load.
export async function hydrated(page: import('@playwright/test').Page) {
  await page.waitForSelector('html[data-hydrated="true"]', { state: 'attached' });
  await page.waitForLoadState('networkidle');
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

// A partner identity provider's ES256 key: its JWKS, and a signer of tokens with it.
export function partnerKey(kid: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...publicKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid };
  const token = (claims: object, typ = 'at+jwt') => {
    const head = b64url(JSON.stringify({ alg: 'ES256', typ, kid }));
    const body = b64url(JSON.stringify(claims));
    const sig = sign('sha256', Buffer.from(`${head}.${body}`), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    return `${head}.${body}.${b64url(sig)}`;
  };
  return { jwks: JSON.stringify({ keys: [jwk] }), token };
}

// The one-time secret dialog (issue 24, item 7): it has the focus, names the client, and is
// closed with "I have copied it". What it showed, read before closing it.
export async function takeSecret(page: import('@playwright/test').Page, expectNote?: string | RegExp) {
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  // The focus is in the dialog (on it when it opens; on its buttons once used).
  await expect.poll(() => dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
  if (expectNote) await expect(dialog).toContainText(expectNote);
  const clientId = (await dialog.locator('.client-id').textContent())!.trim();
  const secrets = dialog.locator('.client-secret');
  const secret = (await secrets.count()) ? (await secrets.textContent())!.trim() : undefined;
  const tokenEndpoint = (await dialog.locator('.token-endpoint').textContent())!.trim();
  await expect(dialog.getByRole('heading')).toContainText(clientId);
  await dialog.getByRole('button', { name: secret ? 'I have copied it' : 'Close' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  // Gone from the page, not hidden: nothing left to copy later.
  if (secret) await expect(page.getByText(secret)).toHaveCount(0);
  return { clientId, secret, tokenEndpoint };
}

/** Fills the partner record's escalation path, one row per step (rows added as needed). */
export async function fillEscalation(form: import('@playwright/test').Locator, steps: [string, string, string][]) {
  for (const [i, [name, contact, hours]] of steps.entries()) {
    const n = i + 1;
    if ((await form.getByLabel(`Step ${n} name`).count()) === 0) await form.getByRole('button', { name: 'Add a step' }).click();
    await form.getByLabel(`Step ${n} name`).fill(name);
    await form.getByLabel(`Step ${n} contact`).fill(contact);
    await form.getByLabel(`Step ${n} hours`).fill(hours);
  }
}
