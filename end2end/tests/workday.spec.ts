import { test, expect, Browser } from '@playwright/test';
import { ADMIN_PASSWORD, baseURL, fillEscalation, hydrated, partnerKey, reportCspViolations, signIn, takeSecret, watch } from '../fixtures';

// Issue 24, "done when": an administrator's day in the browser only — no CLI. A second
// administrator is invited; APIs are registered with described scopes; a partner is created and
// taken through onboarding (record, questionnaire, issuer keys, a first real exchange by the
// partner's own gateway); it gets a client with token exchange, a trust rule with a mapping, a
// rate-limit tier and a partner limit; the signing key is rotated; production is requested, and
// the second administrator approves with the diff in view; the partner's first admin is invited
// and finds the production access in the portal, lets sandbox testers get their own client and
// invites one, who gets a trial token with it in the playground. Every page is photographed.

const SLUG = 'dunder';
const IDP = 'https://idp.dunder.test';
const SANDBOX_API = 'https://ledger.sandbox.e2e.test';
const API = 'https://ledger.e2e.test';
const TX = 'urn:ietf:params:oauth:grant-type:token-exchange';
const SECOND = 'dora@example.test';
const PARTNER_ADMIN = 'pam@dunder.e2e.test';
const TESTER = 'toby@dunder.e2e.test';

async function fresh(browser: Browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watch(page);
  await reportCspViolations(page);
  return { context, page, problems };
}

test("an administrator's day, in the browser only", async ({ browser }) => {
  test.setTimeout(240_000);
  const { context, page, problems } = await fresh(browser);
  const shot = (name: string) => page.screenshot({ path: `test-results/day/${name}.png`, fullPage: true });
  await signIn(page);

  // A second administrator, for four eyes.
  await page.goto('/users');
  await hydrated(page);
  const invite = page.locator('#invite');
  await invite.getByLabel('E-mail').fill(SECOND);
  await invite.getByLabel('Role').selectOption('admin');
  await invite.getByRole('button', { name: 'Create invitation link' }).click();
  const secondLink = ((await page.locator('.invite-link').textContent()) ?? '').trim();
  expect(secondLink).toContain('/setup?token=');
  await shot('01-users');

  // Two APIs, one per environment, each with two scopes; one scope described as sensitive.
  await page.goto('/audiences');
  await hydrated(page);
  for (const [identifier, environment] of [[SANDBOX_API, 'sandbox'], [API, 'production']]) {
    await page.getByLabel('Identifier').fill(identifier);
    await page.getByLabel('Name').fill(environment === 'sandbox' ? 'Ledger (sandbox)' : 'Ledger');
    await page.getByLabel('Scopes (space-separated)').fill('ledger:read ledger:write');
    await page.getByLabel('Environment').selectOption(environment);
    await page.getByRole('button', { name: 'Create audience' }).click();
    await expect(page.getByLabel('Identifier')).toHaveValue('');
  }
  await page.getByLabel('Filter audiences').fill('ledger');
  const ledger = page.getByRole('row').filter({ hasText: API }).filter({ hasNotText: 'sandbox' });
  await ledger.locator('details.edit > summary').click();
  const describe = ledger.getByRole('form', { name: 'Describe a scope of Ledger' });
  await describe.getByLabel('Describe scope').selectOption('ledger:write');
  await describe.getByLabel('Description').fill('Post ledger entries');
  await describe.getByLabel('Sensitivity').selectOption('high');
  await describe.getByRole('button', { name: 'Save description' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Scope ledger:write saved.' })).toBeVisible();
  await shot('02-audiences');

  // The partner, in the sandbox, granted the sandbox API's read scope (chips, not text).
  await page.goto('/partners');
  await hydrated(page);
  await page.getByLabel('Slug').fill(SLUG);
  await page.getByLabel('Name').fill('Dunder Mifflin');
  await page.getByLabel('Starts as').selectOption('sandbox');
  await page.getByRole('button', { name: 'Create partner' }).click();
  await expect(page.getByLabel('Slug')).toHaveValue('');
  await page.goto(`/partners/${SLUG}?tab=grants`);
  await hydrated(page);
  for (const [audience, scopes] of [[SANDBOX_API, ['ledger:read', 'ledger:write']], [API, ['ledger:read']]] as const) {
    const grant = page.locator('form.grant').filter({ hasText: audience }).filter(audience === API ? { hasNotText: 'sandbox' } : {});
    for (const scope of scopes) await grant.getByRole('checkbox', { name: scope }).check();
    await grant.getByRole('button', { name: 'Save grant' }).click();
    for (const scope of scopes) await expect(grant.getByRole('checkbox', { name: scope })).toBeChecked();
    await expect(grant.getByRole('button', { name: 'Save grant' })).toBeDisabled();
  }
  await shot('03-grants');

  // A client for the partner's gateway that may exchange tokens.
  await page.goto(`/partners/${SLUG}?tab=clients`);
  await hydrated(page);
  const newClient = page.locator('#new-client');
  await newClient.getByLabel('Name').fill('gateway');
  await newClient.getByLabel(/Scopes/).fill('ledger:read ledger:write');
  await newClient.getByLabel(/Token exchange/).check();
  await newClient.getByRole('button', { name: 'Create client' }).click();
  const gateway = await takeSecret(page, 'Client created in sandbox.');
  await shot('04-clients');

  // The partner's identity provider, and a trust rule with a mapping.
  const key = partnerKey('dunder-1');
  await page.goto(`/partners/${SLUG}/trust`);
  await hydrated(page);
  await page.getByLabel('Issuer (exact iss)').fill(IDP);
  await page.getByLabel('…or paste the JWKS').fill(key.jwks);
  await page.getByRole('button', { name: 'Add issuer' }).click();
  await expect(page.locator('#issuers')).toContainText(IDP);
  const rule = page.locator('#new-rule');
  await rule.locator('select[name=audience]').selectOption(SANDBOX_API);
  await rule.getByLabel('At most these scopes').fill('ledger:read ledger:write');
  await rule.getByLabel('Claim values that unlock scopes').fill('groups:accounting=ledger:write');
  await rule.getByRole('button', { name: 'Save rule' }).click();
  await expect(page.locator('#rules')).toContainText(SANDBOX_API);
  await shot('05-trust');

  // A tier, and the partner's own limit.
  await page.goto('/rate-limits');
  await hydrated(page);
  const tier = page.locator('#tier-form');
  await tier.getByLabel('Name').fill('gold');
  await tier.getByLabel('Requests per second').fill('500');
  await tier.getByLabel('Burst').fill('1000');
  await tier.getByRole('button', { name: 'Save tier' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Tier gold saved' })).toBeVisible();
  const limitRow = page.locator(`#partner-${SLUG}`);
  await page.getByLabel('Filter partners').fill(SLUG);
  await limitRow.locator('details.limit-edit').getByText('Change').click();
  await limitRow.getByLabel('Tier').selectOption('gold');
  await limitRow.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: `${SLUG} is on tier gold.` })).toBeVisible();
  await expect(limitRow.locator('td.limit')).toContainText('500/s, burst 1000');
  await shot('06-rate-limits');

  // The signing key rotated (the new key pre-published before it signs).
  await page.goto('/keys');
  await hydrated(page);
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Rotate now' }).click();
  await expect(page.getByRole('status').filter({ hasText: /published/ })).toBeVisible();
  await shot('07-keys');

  // Onboarding: the record, the questionnaire, the issuer's keys checked by the server.
  await page.goto(`/partners/${SLUG}/onboarding`);
  await hydrated(page);
  const record = page.locator('#partner-record');
  await record.getByLabel('Legal name').fill('Dunder Mifflin Paper Company, Inc.');
  await record.getByLabel('Reference').fill('MSA-2026-112');
  await record.getByLabel('Signed on').fill('2026-03-01');
  await record.getByLabel('Expires on').fill('2029-02-28');
  await record.getByLabel('Permitted operations').fill('read and post ledger entries');
  await record.getByLabel('Data-handling class').selectOption('confidential');
  for (const [kind, who] of [['Technical', 'dwight'], ['Security', 'angela'], ['Business', 'michael']]) {
    const set = record.getByRole('group', { name: `${kind} contact` });
    await set.getByLabel('Name').fill(who);
    await set.getByLabel('E-mail').fill(`${who}@dunder.e2e.test`);
    await set.getByLabel('Phone').fill('+1 570 555 0100');
  }
  await fillEscalation(record, [['Dunder NOC', '+1 570 555 0199', '24x7']]);
  await record.getByRole('button', { name: 'Save record' }).click();
  await page.getByRole('button', { name: 'Accept questionnaire' }).click();
  await expect(page.locator('#check-questionnaire')).toHaveClass(/done/);
  await page.getByRole('button', { name: 'Check now' }).click();
  await expect(page.locator('#check-issuer_keys')).toHaveClass(/done/);

  // The partner's gateway makes its first exchange (the partner's doing, not the console's).
  const now = Math.floor(Date.now() / 1000);
  const subject = key.token({ iss: IDP, sub: 'jim', aud: baseURL, iat: now, exp: now + 600, jti: 'e2e-day-1', groups: ['accounting'] });
  const exchanged = await fetch(`${baseURL}/sandbox/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${gateway.clientId}:${gateway.secret}`).toString('base64')}`,
               'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: TX, subject_token: subject,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token', audience: SANDBOX_API }).toString(),
  });
  const body = await exchanged.text();
  expect(exchanged.status, body).toBe(200);
  expect(JSON.parse(body).scope).toBe('ledger:read ledger:write');
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole('heading', { name: /Checklist/ })).toContainText('5 of 5 done', { timeout: 500 });
  }).toPass({ timeout: 5000 });
  await hydrated(page);
  const request = page.locator('#request-production');
  await request.getByLabel('Reason (shown to the approver)').fill('onboarding complete, go-live Monday');
  await request.getByRole('button', { name: 'Request production' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Change request #' })).toContainText(`promote ${SLUG} to production`);
  await shot('08-onboarding');

  // The second administrator joins from the link, reads the diff and approves.
  const second = await fresh(browser);
  await second.page.goto(secondLink);
  await hydrated(second.page);
  await expect(second.page.getByLabel('E-mail')).toHaveValue(SECOND);
  await second.page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await second.page.getByRole('button', { name: 'Create account' }).click();
  await second.page.waitForURL((u) => u.pathname === '/');
  await second.page.goto('/changes');
  await hydrated(second.page);
  const card = second.page.locator('.request').filter({ hasText: `promote ${SLUG} to production` });
  const diff = card.locator('.request-diff');
  await expect(diff.locator('li.add')).toHaveText(/Production/);
  await expect(diff.locator('.diff-group').filter({ hasText: `grant on ${API}` })).toBeVisible();
  await expect(diff).not.toContainText(SANDBOX_API);
  await expect(card).toContainText('onboarding complete, go-live Monday');
  await second.page.screenshot({ path: 'test-results/day/09-approval.png', fullPage: true });
  second.page.once('dialog', (d) => d.accept());
  await card.getByRole('button', { name: 'Approve' }).click();
  await expect(second.page.getByRole('status').filter({ hasText: 'approved' })).toBeVisible();
  expect(second.problems).toEqual([]);
  await second.context.close();

  // The partner is in production; its first admin is invited from its Users tab.
  await page.goto(`/partners/${SLUG}?tab=users`);
  await hydrated(page);
  await expect(page.locator('.stage-production').first()).toHaveText('Production');
  const team = page.locator('#invite-partner-user');
  await team.getByLabel('E-mail').fill(PARTNER_ADMIN);
  await team.getByRole('button', { name: 'Create invitation link' }).click();
  await expect(page.locator('.invite-link')).toContainText('/setup?token=');
  const partnerLink = ((await page.locator('.invite-link').textContent()) ?? '').trim();
  await shot('10-partner-users');

  const partner = await fresh(browser);
  await partner.page.goto(partnerLink);
  await hydrated(partner.page);
  await partner.page.getByLabel(/Password/).fill(ADMIN_PASSWORD);
  await partner.page.getByRole('button', { name: 'Create account' }).click();
  await expect(partner.page).toHaveURL(/\/portal$/);
  await hydrated(partner.page);
  await expect(partner.page.locator('.partner-name')).toHaveText('Dunder Mifflin');
  await expect(partner.page.locator('main')).toContainText('Production');
  await partner.page.screenshot({ path: 'test-results/day/11-portal.png', fullPage: true });

  // The partner admin lets sandbox testers get their own client, and invites one.
  await partner.page.goto('/portal/team');
  await hydrated(partner.page);
  const testers = partner.page.locator('#tester-clients');
  await testers.getByLabel('Let each sandbox tester get their own sandbox client').check();
  partner.page.once('dialog', (d) => d.accept());
  await testers.getByRole('button', { name: 'Save' }).click();
  await expect(partner.page.getByRole('status').filter({ hasText: 'Sandbox testers may now get their own sandbox client' })).toBeVisible();
  const teamInvite = partner.page.locator('#invite');
  await teamInvite.getByLabel('E-mail').fill(TESTER);
  await teamInvite.getByLabel('Role').selectOption('sandbox_tester');
  await teamInvite.getByRole('button', { name: 'Create invitation link' }).click();
  await expect(partner.page.locator('.invite-link')).toContainText('/setup?token=');
  await expect(teamInvite.getByLabel('E-mail')).toHaveValue('');
  const testerLink = ((await partner.page.locator('.invite-link').textContent()) ?? '').trim();
  await partner.page.screenshot({ path: 'test-results/day/12-portal-team.png', fullPage: true });
  expect(partner.problems).toEqual([]);
  await partner.context.close();

  // The tester gets credentials of their own in the playground — nobody passes a secret on —
  // and a trial token with them.
  const tester = await fresh(browser);
  await tester.page.goto(testerLink);
  await hydrated(tester.page);
  await tester.page.getByLabel(/Password/).fill(ADMIN_PASSWORD);
  await tester.page.getByRole('button', { name: 'Create account' }).click();
  await expect(tester.page).toHaveURL(/\/sandbox$/);
  await hydrated(tester.page);
  await tester.page.getByRole('button', { name: 'Get my sandbox credentials' }).click();
  const own = await takeSecret(tester.page, 'Your own sandbox client is ready.');
  expect(own.tokenEndpoint).toBe(`${baseURL}/sandbox/oauth2/token`);
  const trial = tester.page.locator('#trial');
  await expect(trial.getByRole('combobox', { name: 'Client', exact: true })).toHaveValue(own.clientId);
  await expect(trial.getByLabel('Client secret')).toHaveValue(own.secret!);
  await trial.getByRole('combobox', { name: 'Audience', exact: true }).selectOption(SANDBOX_API);
  await trial.getByRole('button', { name: 'Send' }).click();
  const result = tester.page.getByRole('region', { name: 'Trial result' });
  await expect(result.getByRole('heading', { name: /Result/ })).toContainText('HTTP 200');
  await expect(tester.page.getByRole('button', { name: 'Get a new secret' })).toBeVisible();
  await tester.page.screenshot({ path: 'test-results/day/13-tester-playground.png', fullPage: true });
  expect(tester.problems).toEqual([]);
  await tester.context.close();

  expect(problems, problems.join('\n')).toEqual([]);
  await context.close();
});
