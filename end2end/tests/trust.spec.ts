import { test, expect, Page } from '@playwright/test';
import { baseURL, cli, hydrated, partnerKey, reportCspViolations, signIn, watch } from '../fixtures';

// The partner's Trust rules page: add a trusted issuer, set a rule, try a partner token and read
// the decision trace, disable the rule (with confirmation) and see the next try denied.

const IDP = 'https://idp.globex.test';
const API = 'https://orders.e2e.test';

test('trust rules: add an issuer, set a rule, explain a token, disable the rule', async ({ page }) => {
  cli('partner', 'create', '--slug', 'globex', '--name', 'Globex', '--stage', 'sandbox');
  // A partner in the sandbox stage: its client and audience are the sandbox's.
  cli('audience', 'create', '--identifier', API, '--scopes', 'orders:read orders:write', '--environment', 'sandbox');
  cli('grant', 'set', '--partner', 'globex', '--audience', API, '--scopes', 'orders:read orders:write');
  const created = JSON.parse(cli('client', 'create', '--partner', 'globex', '--name', 'gateway', '--scopes', 'orders:read orders:write',
    '--grant-types', 'client_credentials urn:ietf:params:oauth:grant-type:token-exchange', '--output', 'json'));
  const key = partnerKey('globex-1');
  const now = Math.floor(Date.now() / 1000);
  const good = key.token({ iss: IDP, sub: 'alice', aud: baseURL, iat: now, exp: now + 600, jti: 'e2e-1' });
  const foreign = key.token({ iss: IDP, sub: 'alice', aud: 'https://someone-else.test', iat: now, exp: now + 600 });

  const problems = watch(page);
  await reportCspViolations(page);
  await signIn(page);

  await page.goto('/partners/globex');
  await hydrated(page);
  await page.getByRole('navigation', { name: 'Partner' }).getByRole('link', { name: 'Trust' }).click();
  await expect(page).toHaveURL(/\/partners\/globex\/trust$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Globex');
  await expect(page.getByText('No trusted issuer yet')).toBeVisible();
  await expect(page.getByText('Add a trusted issuer first.')).toBeVisible();
  await page.waitForLoadState('networkidle');

  // Keyboard only: fill the issuer form and submit with Enter.
  await page.getByLabel('Issuer (exact iss)').fill(IDP);
  await page.getByLabel('…or paste the JWKS').fill(key.jwks);
  // The keys are given one way: both at once is named beside the field, and blocks the form.
  await page.getByLabel('JWKS URL (https)').fill('https://idp.globex.test/jwks');
  await expect(page.getByText('give either a JWKS or a JWKS URL, not both')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Add issuer' })).toBeDisabled();
  await page.getByLabel('JWKS URL (https)').fill('');
  // Like Keycloak, Entra ID and Auth0, this IdP types its access tokens JWT.
  await page.getByLabel('Its access tokens are typed JWT, not at+jwt').check();
  await page.getByRole('button', { name: 'Add issuer' }).click();
  await expect(page.locator('#issuers')).toContainText(IDP);
  await expect(page.locator('#issuers')).toContainText('static JWKS');
  await expect(page.locator('#issuers')).toContainText('access tokens typed JWT');
  // The issuer's row edits the setting (as `entente issuer update` does), both ways.
  await page.getByRole('button', { name: `Refuse access tokens typed JWT from ${IDP}` }).click();
  await expect(page.getByRole('status').filter({ hasText: 'must be typed at+jwt' })).toBeVisible();
  await expect(page.locator('#issuers')).not.toContainText('access tokens typed JWT');
  await page.getByRole('button', { name: `Accept access tokens typed JWT from ${IDP}` }).click();
  await expect(page.locator('#issuers')).toContainText('access tokens typed JWT');

  const rule = page.locator('#new-rule');
  await rule.locator('select[name=audience]').selectOption(API);
  await rule.getByLabel('At most these scopes').fill('orders:read');
  await rule.getByRole('button', { name: 'Save rule' }).click();
  await expect(page.locator('#rules')).toContainText(API);
  await expect(page.locator('#rules')).toContainText('sub only');

  const tryIt = page.locator('#try-token');
  await tryIt.locator('select[name=client_id]').selectOption(created.client_id);
  await tryIt.getByLabel('Subject token').fill(good);
  await tryIt.locator('select[name=audience]').selectOption(API);
  await tryIt.getByRole('button', { name: 'Explain' }).click();
  const decision = page.locator('#decision');
  await expect(decision).toContainText('Allowed');
  await expect(decision).toContainText('signature verified with key globex-1');
  await expect(decision).toContainText('orders:read');

  // The same IdP's access token typed JWT is accepted under the setting.
  const typedJwt = key.token({ iss: IDP, sub: 'bob', aud: baseURL, iat: now, exp: now + 600, jti: 'e2e-2' }, 'JWT');
  await tryIt.getByLabel('Subject token').fill(typedJwt);
  await tryIt.getByRole('button', { name: 'Explain' }).click();
  await expect(decision).toContainText('subject "bob"');
  await expect(decision).toContainText('Allowed');

  await tryIt.getByLabel('Subject token').fill(foreign);
  await tryIt.getByRole('button', { name: 'Explain' }).click();
  await expect(decision).toContainText("Denied: invalid_request — the token's aud does not name Entente");

  // Disabling asks first; dismissing changes nothing, accepting disables.
  page.once('dialog', (d) => d.dismiss());
  await page.locator('#rules').getByRole('button', { name: 'Disable' }).click();
  await expect(page.locator('#rules').getByRole('button', { name: 'Disable' })).toBeVisible();
  page.once('dialog', (d) => d.accept());
  await page.locator('#rules').getByRole('button', { name: 'Disable' }).click();
  await expect(page.locator('#rules').getByRole('button', { name: 'Enable' })).toBeVisible();
  await expect(page.locator('#rules .state')).toHaveText('disabled');

  // The token service hears of the change through the change feed (≤ 1 s).
  await tryIt.getByLabel('Subject token').fill(good);
  await expect(async () => {
    await tryIt.getByRole('button', { name: 'Explain' }).click();
    await expect(decision).toContainText('is disabled', { timeout: 500 });
  }).toPass({ timeout: 5_000 });
  await expect(decision).toContainText('Denied');

  // Issue 24, item 6: the rule form sets what the CLI can — a claim value that unlocks a scope,
  // a lifetime — and saving it again replaces the rule (enabled again: a sandbox partner).
  await rule.locator('select[name=audience]').selectOption(API);
  await rule.getByLabel('At most these scopes').fill('orders:read orders:write');
  // Each field is checked as typed, by the server's rules, and says what is wrong beside it.
  await rule.getByLabel('Claim values that unlock scopes').fill('groups=orders:write');
  await expect(rule.getByText('mapping "groups=orders:write" must look like claim:value=scope')).toBeVisible();
  await rule.getByLabel('Token lifetime (seconds)').fill('5');
  await expect(rule.getByText('token lifetime must be between 30 seconds and 24 hours')).toBeVisible();
  await expect(rule.getByRole('button', { name: 'Save rule' })).toBeDisabled();
  await rule.getByLabel('Claim values that unlock scopes').fill('groups:admins=orders:write');
  await rule.getByLabel('Token lifetime (seconds)').fill('120');
  await expect(rule.getByRole('alert')).toHaveCount(0);
  await rule.getByRole('button', { name: 'Save rule' }).click();
  const rules = page.locator('#rules');
  await expect(rules).toContainText('groups:admins=orders:write');
  await expect(rules).toContainText('120 s');
  // The form edits the chosen pair's rule: filled from it, so saving again keeps the mapping
  // and the lifetime.
  await expect(rule.getByText('Editing the rule for this issuer and audience')).toBeVisible();
  await expect(rule.getByLabel('Claim values that unlock scopes')).toHaveValue('groups:admins=orders:write');
  await expect(rule.getByLabel('Token lifetime (seconds)')).toHaveValue('120');
  await expect(rule.getByLabel('At most these scopes')).toHaveValue('orders:read orders:write');
  const admins = key.token({ iss: IDP, sub: 'carol', aud: baseURL, iat: now, exp: now + 600, jti: 'e2e-3', groups: ['admins'] });
  await tryIt.getByLabel('Subject token').fill(admins);
  await tryIt.getByLabel('Scope (optional)').fill('orders:read orders:write');
  await expect(async () => {
    await tryIt.getByRole('button', { name: 'Explain' }).click();
    await expect(decision).toContainText('Allowed', { timeout: 500 });
  }).toPass({ timeout: 5_000 });

  // The issuer's row: enabled, disabled after a confirmation, and its tokens refused.
  const issuers = page.locator('#issuers');
  await expect(issuers.locator('.state')).toHaveText('enabled');
  page.once('dialog', (d) => d.accept());
  await issuers.getByRole('button', { name: 'Disable' }).click();
  await expect(issuers.locator('.state')).toHaveText('disabled');
  await expect(page.getByRole('status').filter({ hasText: 'its tokens are refused from now on' })).toBeVisible();
  await expect(async () => {
    await tryIt.getByRole('button', { name: 'Explain' }).click();
    await expect(decision).toContainText('Denied', { timeout: 500 });
  }).toPass({ timeout: 5_000 });
  await issuers.getByRole('button', { name: 'Enable' }).click();
  await expect(issuers.locator('.state')).toHaveText('enabled');
  await page.screenshot({ path: 'test-results/trust-rules.png', fullPage: true });

  expect(problems, problems.join('\n')).toEqual([]);
});
