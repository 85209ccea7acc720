import { test, expect, Page } from '@playwright/test';
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { baseURL, cli, fillEscalation, hydrated, partnerKey, reportCspViolations, signIn, takeSecret, watch } from '../fixtures';

// A partner's whole way in: an organisation applies on the public form; an administrator reads
// the application, takes it to the sandbox and invites the applicant; the partner admin signs in
// with a password, sets up single sign-on with the organisation's own OpenID provider (npm
// oidc-provider) and signs in through it; creates a sandbox client, mints a trial token in the
// playground and runs its curl from a shell; requests production, which an administrator
// approves; asks for production scopes and a production client, approved too; issues the
// client's secret and gets a production token.

const ORG = 'Oompa Loompa Logistics';
const SLUG = 'oompa-loompa-logistics';
const EMAIL = 'olive@oompa.e2e.test';
const PASSWORD = 'chocolate river logistics';
const SANDBOX_API = 'https://sandbox.oompa.e2e.test';
const API = 'https://oompa.e2e.test';
const IDP = 'https://idp.oompa.e2e.test';
const TX = 'urn:ietf:params:oauth:grant-type:token-exchange';
const SSO_PORT = Number(process.env.E2E_SSO_PORT ?? 3198);
const SSO = `http://127.0.0.1:${SSO_PORT}`;
const SSO_SECRET = 'oompa-sso-secret-0123456789abcdef0123456789';

const portalNav = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name, exact: true }).click();

async function approve(admin: Page, summary: string) {
  await admin.goto('/changes');
  await hydrated(admin);
  const request = admin.locator('.request').filter({ hasText: summary });
  await expect(request).toContainText(`filed by portal:${EMAIL}`);
  admin.once('dialog', (d) => d.accept());
  await request.getByRole('button', { name: 'Approve' }).click();
  await expect(admin.getByRole('status').filter({ hasText: 'approved' })).toBeVisible();
}

test('an organisation applies, onboards itself through the portal and gets a production token', async ({ page, browser }) => {
  test.setTimeout(240_000);
  const idp = spawn('node', [path.resolve(__dirname, '../../interop/partner-sso.mjs'), String(SSO_PORT),
    `${baseURL}/login/sso/callback`, SSO_SECRET], { stdio: 'ignore' });
  try {
    await expect.poll(async () => (await fetch(`${SSO}/.well-known/openid-configuration`).catch(() => null))?.status,
      { timeout: 10_000 }).toBe(200);
    // The provider's own pages (its login form) are not ours to judge.
    const problems = watch(page, (_status, url) => url.startsWith(SSO));
    // The provider's login page (oidc-provider's, which imports a web font this machine cannot
    // reach) is not ours to judge: what the browser reports while on it is set aside.
    const providerNoise: string[] = [];
    page.on('console', (m) => { if (page.url().startsWith(SSO)) providerNoise.push(`${m.type()}: ${m.text()}`); });
    await reportCspViolations(page);

    // 1. The public application form, with inline validation.
    await page.goto('/login');
    await hydrated(page);
    await page.getByRole('link', { name: 'Apply for access' }).click();
    await expect(page).toHaveURL(/\/apply$/);
    await hydrated(page);
    await page.getByLabel('Organisation').fill(ORG);
    await page.getByLabel('Web site (optional)').fill('http://oompa.e2e.test');
    await expect(page.getByText("Your web site's address starts with https://.")).toBeVisible();
    await expect(page.getByRole('button', { name: 'Send application' })).toBeDisabled();
    await page.getByLabel('Web site (optional)').fill('https://oompa.e2e.test');
    await page.getByLabel('Your name').fill('Olive Oompa');
    await page.getByLabel('Your work e-mail').fill(EMAIL);
    await page.getByLabel('What do you want to build?').fill('Tracking chocolate boxes from the factory to the shops through your boxes API.');
    await page.getByRole('button', { name: 'Send application' }).click();
    await expect(page.getByRole('status')).toContainText(`Thank you. Your application is with our partner team, who will write to ${EMAIL}.`);
    await page.screenshot({ path: 'test-results/apply.png', fullPage: true });

    // 2. An administrator reads the application and takes the partner to the sandbox.
    const adminContext = await browser.newContext();
    const admin = await adminContext.newPage();
    const adminProblems = watch(admin);
    await reportCspViolations(admin);
    await signIn(admin);
    await admin.goto(`/partners/${SLUG}/onboarding`);
    await hydrated(admin);
    const application = admin.locator('#application');
    await expect(application).toContainText(ORG);
    await expect(application).toContainText(`Olive Oompa <${EMAIL}>`);
    await expect(application).toContainText('Tracking chocolate boxes');
    await admin.screenshot({ path: 'test-results/application.png', fullPage: true });
    cli('partner', 'stage', '--partner', SLUG, '--to', 'in_review');
    cli('partner', 'stage', '--partner', SLUG, '--to', 'sandbox');
    cli('audience', 'create', '--identifier', SANDBOX_API, '--scopes', 'boxes:read', '--environment', 'sandbox');
    cli('audience', 'create', '--identifier', API, '--scopes', 'boxes:read boxes:write');
    cli('grant', 'set', '--partner', SLUG, '--audience', SANDBOX_API, '--scopes', 'boxes:read');
    // The partner's workload identity provider, trusted for exchanges in the sandbox.
    const key = partnerKey('oompa-1');
    const jwksFile = path.resolve(__dirname, '../.data/oompa-idp.json');
    writeFileSync(jwksFile, key.jwks);
    cli('issuer', 'add', '--partner', SLUG, '--issuer', IDP, '--jwks-file', jwksFile);
    cli('trust-rule', 'set', '--partner', SLUG, '--issuer', IDP, '--audience', SANDBOX_API, '--scopes', 'boxes:read');
    const invite = JSON.parse(cli('partner', 'invite', '--partner', SLUG, '--email', EMAIL, '--role', 'partner_admin', '--output', 'json'));

    // 3. The applicant sets a password and lands in the portal.
    await page.goto(invite.link);
    await hydrated(page);
    await expect(page.getByLabel('E-mail')).toHaveValue(EMAIL);
    await page.getByLabel(/Password/).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page).toHaveURL(/\/portal$/);
    await hydrated(page);
    await expect(page.locator('.partner-name')).toHaveText(ORG);
    await expect(page.getByRole('button', { name: 'Request production' })).toBeDisabled();

    // 4. Single sign-on with the organisation's own provider, then a sign-in through it.
    await portalNav(page, 'Single sign-on');
    await expect(page).toHaveURL(/\/portal\/sign-in$/);
    await hydrated(page);
    await expect(page.locator('.redirect-uri')).toHaveText(`${baseURL}/login/sso/callback`);
    const sso = page.locator('#sign-in-settings');
    await sso.getByLabel('Issuer').fill(SSO);
    await sso.getByLabel('Client ID').fill('entente');
    await sso.getByLabel('Client secret').fill(SSO_SECRET);
    await sso.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Single sign-on saved and on' })).toBeVisible();
    await page.screenshot({ path: 'test-results/portal-sign-in.png', fullPage: true });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/login$/);
    await hydrated(page);
    const federated = page.locator('#sso');
    await federated.getByLabel('Organisation ID').fill(SLUG);
    await federated.getByRole('button', { name: 'Continue to your identity provider' }).click();
    await expect(page).toHaveURL(new RegExp(`^${SSO}/interaction/`));
    await page.locator('input[name=login]').fill(EMAIL);
    await page.locator('input[name=password]').fill('whatever the provider accepts');
    await page.locator('button[type=submit]').first().click();
    await expect(page).toHaveURL(/\/portal$/);
    await hydrated(page);
    await expect(page.locator('.who')).toContainText(EMAIL);
    await page.screenshot({ path: 'test-results/portal-after-sso.png', fullPage: true });

    // 5. A sandbox client that may also exchange tokens, and a trial token in the playground.
    await portalNav(page, 'Clients');
    await hydrated(page);
    const form = page.locator('#new-client');
    await form.getByLabel('Name').fill('box-tracker');
    await form.getByLabel(/Scopes/).fill('boxes:read');
    await form.getByLabel(/Token exchange/).check();
    await form.getByRole('button', { name: 'Create sandbox client' }).click();
    const { clientId, secret: shown } = await takeSecret(page, 'Sandbox client created.');
    const secret = shown!;
    await portalNav(page, 'Playground');
    await hydrated(page);
    const trial = page.locator('#trial');
    await trial.getByRole('combobox', { name: 'Client', exact: true }).selectOption(clientId);
    await trial.getByLabel('Client secret').fill(secret);
    await trial.getByRole('button', { name: 'Send' }).click();
    const result = page.getByRole('region', { name: 'Trial result' });
    await expect(result.getByRole('heading', { name: /Result/ })).toContainText('HTTP 200');
    const curlCommand = (await result.locator('pre.curl').textContent())!;
    const fromShell = JSON.parse(execFileSync('bash', ['-c', curlCommand], { env: { ...process.env, CLIENT_SECRET: secret } }).toString());
    expect(fromShell.token_type).toBe('Bearer');

    // The sandbox test IdP: trusted in one step; a token for a made-up user, exchanged.
    await portalNav(page, 'Trusted issuers');
    await hydrated(page);
    await page.getByRole('button', { name: 'Trust the sandbox test IdP' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'The sandbox test IdP is trusted' })).toBeVisible();
    await portalNav(page, 'Playground');
    await hydrated(page);
    await trial.getByRole('combobox', { name: 'Client', exact: true }).selectOption(clientId);
    await trial.getByLabel('Client secret').fill(secret);
    await trial.getByRole('combobox', { name: 'Grant', exact: true }).selectOption(TX);
    const minter = page.locator('#mint');
    await minter.getByLabel('Test user (sub)').fill('oompa-tester');
    await minter.getByRole('button', { name: 'Mint token' }).click();
    await expect(minter.getByRole('status')).toContainText('Minted');
    const minted = await trial.locator('textarea[name=subject_token]').inputValue();
    expect(minted.split('.')).toHaveLength(3);
    await trial.getByRole('button', { name: 'Send' }).click();
    await expect(result.getByRole('heading', { name: /Result/ })).toContainText('HTTP 200');
    await expect(result.locator('pre.explain')).toContainText('ALLOWED');
    await expect(result.locator('.token-claims')).toContainText('"email": "test-user-1@example.com"');
    await page.screenshot({ path: 'test-results/playground-test-idp.png', fullPage: true });
    // "Validate a sample token" on the issuers page explains the same decision.
    await portalNav(page, 'Trusted issuers');
    await hydrated(page);
    const check = page.locator('#validate-token');
    await check.getByLabel('Token').fill(minted);
    await check.getByRole('button', { name: 'Validate' }).click();
    await expect(page.locator('#decision')).toContainText('Accepted');
    await page.screenshot({ path: 'test-results/portal-issuers.png', fullPage: true });

    // 6. The onboarding checklist: the administrator's part, and the partner's first exchange.
    await admin.goto(`/partners/${SLUG}/onboarding`);
    await hydrated(admin);
    const record = admin.locator('#partner-record');
    await record.getByLabel('Reference').fill('MSA-2026-077');
    await record.getByLabel('Signed on').fill('2026-03-01');
    await record.getByLabel('Expires on').fill('2029-02-28');
    await record.getByLabel('Permitted operations').fill('read boxes');
    await record.getByLabel('Data-handling class').selectOption('internal');
    for (const [kind, who] of [['Technical', 'olive'], ['Security', 'sid'], ['Business', 'bo']]) {
      const set = record.getByRole('group', { name: `${kind} contact` });
      await set.getByLabel('Name').fill(who);
      await set.getByLabel('E-mail').fill(`${who}@oompa.e2e.test`);
      await set.getByLabel('Phone').fill('+44 20 7946 0000');
    }
    await fillEscalation(record, [['Oompa NOC', '+44 20 7946 0001', '24x7']]);
    await record.getByRole('button', { name: 'Save record' }).click();
    await expect(admin.getByRole('heading', { name: /Checklist/ })).toContainText('2 of 5 done');
    await admin.getByRole('button', { name: 'Accept questionnaire' }).click();
    await expect(admin.locator('#check-questionnaire')).toHaveClass(/done/);
    await admin.getByRole('button', { name: 'Check now' }).click();
    await expect(admin.locator('#check-issuer_keys')).toHaveClass(/done/);
    const now = Math.floor(Date.now() / 1000);
    const subject = key.token({ iss: IDP, sub: 'oompa-17', aud: baseURL, iat: now, exp: now + 600, jti: 'e2e-journey-1' });
    const exchanged = await fetch(`${baseURL}/sandbox/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
                 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: TX, subject_token: subject,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token', audience: SANDBOX_API }).toString(),
    });
    expect(exchanged.status, await exchanged.clone().text()).toBe(200);

    // 7. The partner requests production; the administrator approves.
    await portalNav(page, 'Overview');
    await hydrated(page);
    await expect(async () => {
      await page.reload();
      await expect(page.getByRole('region', { name: 'Onboarding checklist' })).toContainText('5 of 5 done', { timeout: 500 });
    }).toPass({ timeout: 5000 });
    await hydrated(page);
    await page.locator('#request-production').getByLabel('Why now (shown to the approver)').fill('sandbox integration passes');
    await page.getByRole('button', { name: 'Request production' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Production requested' })).toBeVisible();
    await page.screenshot({ path: 'test-results/portal-production-requested.png', fullPage: true });
    await approve(admin, `promote ${SLUG} to production`);
    await page.reload();
    await hydrated(page);
    await expect(page.locator('.stage-production')).toHaveText('Production');

    // 8. Production scopes, then a production client: both requests, both approved.
    await portalNav(page, 'Requests');
    await hydrated(page);
    const ask = page.locator('#scope-request');
    await ask.getByLabel('API').selectOption(API);
    await ask.getByLabel(/Scopes/).fill('boxes:delete');
    await expect(page.getByText(`${API} has no scope boxes:delete`)).toBeVisible();
    await ask.getByLabel(/Scopes/).fill('boxes:read');
    await ask.getByLabel(/Why you need them/).fill('production box tracking');
    await ask.getByRole('button', { name: 'Send request' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'filed' })).toContainText(`add "boxes:read" to ${SLUG}'s grant on ${API}`);
    await approve(admin, `add "boxes:read" to ${SLUG}'s grant on ${API}`);
    await page.reload();
    await hydrated(page);
    await expect(page.locator('tr').filter({ hasText: `on ${API}` }).locator('.state')).toHaveText('approved');
    await page.screenshot({ path: 'test-results/portal-requests.png', fullPage: true });

    await portalNav(page, 'Clients');
    await hydrated(page);
    const wanted = page.locator('#request-client');
    await wanted.getByLabel('Name').fill('box-tracker-live');
    await wanted.getByLabel(/Why/).fill('go-live');
    await wanted.getByRole('button', { name: 'Request production client' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'filed' })).toContainText('production client "box-tracker-live"');
    await approve(admin, 'production client "box-tracker-live"');
    await page.reload();
    await hydrated(page);
    const live = page.locator('tr').filter({ hasText: 'box-tracker-live' });
    await expect(live).toContainText('production');
    await live.getByLabel('Old secret keeps working').selectOption('0');
    page.once('dialog', (d) => d.accept());
    await live.getByRole('button', { name: 'Rotate secret' }).click();
    const issued = await takeSecret(page, 'the old one no longer works');
    expect(issued.tokenEndpoint).toBe(`${baseURL}/oauth2/token`);
    const liveId = issued.clientId;
    const liveSecret = issued.secret!;
    const token = JSON.parse(execFileSync('curl', ['-s', '-u', `${liveId}:${liveSecret}`, '-d', 'grant_type=client_credentials',
      '-d', `resource=${API}`, `${baseURL}/oauth2/token`]).toString());
    expect(token.token_type).toBe('Bearer');
    expect(token.scope).toBe('boxes:read');
    const claims = JSON.parse(Buffer.from(token.access_token.split('.')[1], 'base64url').toString());
    expect(claims.iss).toBe(baseURL);
    await page.screenshot({ path: 'test-results/portal-production-client.png', fullPage: true });

    // 9. The docs, written with the partner's own values: the example runs as copied.
    await portalNav(page, 'Docs');
    await hydrated(page);
    const examples = page.getByRole('region', { name: 'Getting tokens' });
    // A production partner's examples open on production, written for its production client.
    await expect(examples.getByRole('radio', { name: 'Production' })).toBeChecked();
    const first = examples.locator('pre.example').first();
    await expect(first).toContainText(liveId);
    await expect(first).toContainText(`${baseURL}/oauth2/token`);
    const fromProductionDocs = JSON.parse(execFileSync('bash', ['-c', (await first.textContent())!],
      { env: { ...process.env, CLIENT_SECRET: liveSecret } }).toString());
    expect(fromProductionDocs.token_type).toBe('Bearer');
    await examples.getByRole('radio', { name: 'Sandbox' }).check();
    await expect(first).toContainText(clientId);
    const clientCredentials = (await first.textContent())!;
    const fromDocs = JSON.parse(execFileSync('bash', ['-c', clientCredentials], { env: { ...process.env, CLIENT_SECRET: secret } }).toString());
    expect(fromDocs.token_type).toBe('Bearer');
    await expect(page.getByRole('region', { name: 'Endpoints' })).toContainText(`${baseURL}/.well-known/oauth-authorization-server/sandbox`);
    await page.screenshot({ path: 'test-results/portal-docs.png', fullPage: true });

    expect(adminProblems).toEqual([]);
    expect(problems.filter((p) => !providerNoise.includes(p))).toEqual([]);
    await adminContext.close();
  } finally {
    idp.kill();
  }
});

test('a sandbox tester lands in the playground and reaches nothing else', async ({ page }) => {
  const problems = watch(page);
  await reportCspViolations(page);
  cli('partner', 'create', '--slug', 'slugworth', '--name', 'Slugworth Sweets', '--stage', 'sandbox');
  const invite = JSON.parse(cli('partner', 'invite', '--partner', 'slugworth', '--email', 'tess@slugworth.e2e.test',
    '--role', 'sandbox_tester', '--output', 'json'));
  await page.goto(invite.link);
  await hydrated(page);
  await expect(page.getByLabel('E-mail')).toHaveValue('tess@slugworth.e2e.test');
  await page.getByLabel(/Password/).fill('everlasting gobstopper test');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/sandbox$/);
  await hydrated(page);
  const nav = page.getByRole('navigation', { name: 'Portal' });
  await expect(nav.getByRole('link')).toHaveCount(1);
  await expect(nav.getByRole('link', { name: 'Playground' })).toBeVisible();
  // A tester cannot create clients: until the partner's admins let testers get their own, the
  // page says whom to ask, and offers no link to a page they may not open.
  await expect(page.locator('#own-client')).toContainText('have not let sandbox testers get their own client');
  await expect(page.getByRole('button', { name: 'Get my sandbox credentials' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Create one' })).toHaveCount(0);
  await page.screenshot({ path: 'test-results/sandbox-tester.png', fullPage: true });
  // Any other portal page sends them back to the playground.
  await page.goto('/portal/clients');
  await expect(page).toHaveURL(/\/sandbox$/);
  await hydrated(page);
  expect(problems).toEqual([]);
});
