import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { baseURL, cli, hydrated, partnerKey, reportCspViolations, watch } from '../fixtures';

// Issue 24, broken 3: the portal's docs once wrote every example with the first sandbox client,
// which had client credentials only, so the token-exchange example failed as written. Each
// example now names a client that may use its grant (with a picker when several may), and every
// example shown on the page runs, as copied, with curl.

const API = 'https://docs.soylent.e2e.test';
const IDP = 'https://idp.soylent.e2e.test';
const EMAIL = 'sol@soylent.e2e.test';
const PASSWORD = 'it is people all along';
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

test('every token example in the portal docs runs as copied', async ({ page }) => {
  const problems = watch(page);
  await reportCspViolations(page);
  cli('partner', 'create', '--slug', 'soylent', '--name', 'Soylent', '--stage', 'sandbox');
  cli('audience', 'create', '--identifier', API, '--scopes', 'food:read food:write', '--environment', 'sandbox');
  cli('grant', 'set', '--partner', 'soylent', '--audience', API, '--scopes', 'food:read');
  // The first client may only use client credentials: the examples must not pick it for the rest.
  const plain = JSON.parse(cli('client', 'create', '--partner', 'soylent', '--name', 'batch', '--scopes', 'food:read',
    '--output', 'json'));
  const gateway = JSON.parse(cli('client', 'create', '--partner', 'soylent', '--name', 'gateway', '--scopes', 'food:read',
    '--grant-types', `client_credentials ${EXCHANGE} ${JWT_BEARER}`, '--output', 'json'));
  const secrets: Record<string, string> = {
    [plain.client_id]: plain.client_secret,
    [gateway.client_id]: gateway.client_secret,
  };
  const key = partnerKey('soylent-1');
  const jwksFile = path.resolve(__dirname, '../.data/soylent-idp.json');
  writeFileSync(jwksFile, key.jwks);
  // Trusted for access tokens (exchanges) and assertions (jwt-bearer).
  cli('issuer', 'add', '--partner', 'soylent', '--issuer', IDP, '--jwks-file', jwksFile, '--kinds', 'access_token assertion');
  cli('trust-rule', 'set', '--partner', 'soylent', '--issuer', IDP, '--audience', API, '--scopes', 'food:read', '--delegation');
  const invite = JSON.parse(cli('partner', 'invite', '--partner', 'soylent', '--email', EMAIL, '--role', 'partner_admin',
    '--output', 'json'));

  await page.goto(invite.link);
  await hydrated(page);
  await expect(page.getByLabel('E-mail')).toHaveValue(EMAIL);
  await page.getByLabel(/Password/).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/portal$/);
  await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Docs' }).click();
  await expect(page).toHaveURL(/\/portal\/docs$/);
  await hydrated(page);

  const examples = page.getByRole('region', { name: 'Getting tokens' });
  // A sandbox partner has one environment: no environment picker.
  await expect(examples.getByRole('group', { name: 'Environment' })).toHaveCount(0);
  const snippets = examples.locator('pre.example');
  await expect(snippets).toHaveCount(4);
  // Only the client that may exchange is offered for the exchanges and the assertion.
  await expect(snippets.nth(1)).toContainText(gateway.client_id);
  await expect(snippets.nth(2)).toContainText(gateway.client_id);
  await expect(snippets.nth(3)).toContainText(gateway.client_id);

  const run = (snippet: string) => {
    const id = /-u "([^:"]+):\$CLIENT_SECRET"/.exec(snippet)?.[1];
    expect(id && secrets[id], `a client of ours in:\n${snippet}`).toBeTruthy();
    const now = Math.floor(Date.now() / 1000);
    const token = (sub: string, typ?: string) =>
      key.token({ iss: IDP, sub, aud: baseURL, iat: now, exp: now + 300, jti: randomUUID() }, typ);
    const env = {
      ...process.env,
      CLIENT_SECRET: secrets[id!],
      USER_TOKEN: token('user-4711'),
      SERVICE_TOKEN: token('svc-reports'),
      // An assertion is typed JWT, not at+jwt (RFC 7523 §3; an access token is no grant).
      ASSERTION: token('user-4711', 'JWT'),
    };
    const out = execFileSync('bash', ['-c', `${snippet} -w '\\n%{http_code}'`], { env }).toString();
    const status = out.slice(out.lastIndexOf('\n') + 1);
    expect(status, `${snippet}\n→ ${out}`).toBe('200');
    return JSON.parse(out.slice(0, out.lastIndexOf('\n')));
  };
  const results = [];
  for (const snippet of await snippets.allTextContents()) results.push(run(snippet));
  expect(results.every((r) => typeof r.access_token === 'string')).toBe(true);
  // The delegation example's token names the acting service.
  const delegated = JSON.parse(Buffer.from(results[2].access_token.split('.')[1], 'base64url').toString());
  // (Partner subjects are namespaced by their issuer: `<issuer id>:svc-reports`.)
  expect(delegated.act?.sub).toMatch(/:svc-reports$/);

  // Both clients may use client credentials: a picker chooses, and the example follows it.
  const picker = examples.getByLabel('Client').first();
  await picker.selectOption(plain.client_id);
  await expect(snippets.first()).toContainText(plain.client_id);
  run((await snippets.first().textContent())!);
  await page.screenshot({ path: 'test-results/portal-docs-examples.png', fullPage: true });
  expect(problems, problems.join('\n')).toEqual([]);
});
