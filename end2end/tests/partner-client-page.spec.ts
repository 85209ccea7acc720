import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { baseURL, cli, hydrated, reportCspViolations, signIn, takeSecret, watch } from '../fixtures';

// Issue 24, items 4 and 7: a client managed from the console alone. Created with token
// exchange (the secret in a dialog that takes the focus), then on its own page: scopes checked
// as they are typed, grant types ticked, a rotation with an overlap, disabled behind a
// confirmation, and every change on its audit trail — each felt by the token endpoint.

const API = 'https://massive.e2e.test';
const ENDPOINT = `${baseURL}/sandbox/oauth2/token`;

function token(id: string, secret: string): { status: number; body: any } {
  const out = execFileSync('curl', ['-s', '-w', '\n%{http_code}', '-u', `${id}:${secret}`,
    '-d', 'grant_type=client_credentials', '-d', `resource=${API}`, ENDPOINT]).toString();
  const [body, status] = [out.slice(0, out.lastIndexOf('\n')), out.slice(out.lastIndexOf('\n') + 1)];
  return { status: Number(status), body: JSON.parse(body) };
}

test('an operator creates, edits, rotates and disables a client in the console', async ({ page }) => {
  const problems = watch(page);
  await reportCspViolations(page);
  cli('partner', 'create', '--slug', 'massive', '--name', 'Massive Dynamic', '--stage', 'sandbox');
  cli('audience', 'create', '--identifier', API, '--scopes', 'massive:read massive:write', '--environment', 'sandbox');
  cli('grant', 'set', '--partner', 'massive', '--audience', API, '--scopes', 'massive:read');

  await signIn(page);
  await page.goto('/partners/massive?tab=clients');
  await hydrated(page);
  const form = page.locator('#new-client');
  await form.getByLabel('Name').fill('gateway');
  await form.getByLabel(/Scopes/).fill('massive:read, massive:write');
  await expect(form.getByText('separate scopes with spaces, not commas')).toBeVisible();
  await expect(form.getByRole('button', { name: 'Create client' })).toBeDisabled();
  await form.getByLabel(/Scopes/).fill('massive:read');
  await form.getByLabel(/Token exchange/).check();
  await form.getByRole('button', { name: 'Create client' }).click();
  const created = await takeSecret(page, 'Client created in sandbox.');
  expect(created.tokenEndpoint).toBe(ENDPOINT);
  expect(token(created.clientId, created.secret!).status).toBe(200);
  await expect(form.getByLabel('Name')).toHaveValue('');

  // Its page, from the list.
  await page.getByRole('link', { name: created.clientId }).click();
  await expect(page).toHaveURL(new RegExp(`/partners/massive/clients/${created.clientId}$`));
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'gateway' })).toBeVisible();
  const facts = page.locator('dl.facts');
  await expect(facts).toContainText('client_credentials, token-exchange');
  await expect(facts).toContainText('sandbox');
  await expect(page.locator('ol.events li').first()).toContainText('client.create');

  // What it may ask for: checked as typed; beyond the partner's grants is a warning only.
  const ask = page.locator('#client-ask-for');
  const scopes = ask.getByLabel(/Scopes/);
  await scopes.fill('massive:read,massive:write');
  await expect(ask.getByText('separate scopes with spaces, not commas')).toBeVisible();
  await expect(ask.getByRole('button', { name: 'Save' })).toBeDisabled();
  await scopes.fill('massive:read massive:write');
  await expect(ask.getByText('not granted to this partner in sandbox: massive:write')).toBeVisible();
  await expect(ask.getByRole('button', { name: 'Save' })).toBeEnabled();
  await ask.getByLabel(/Client credentials/).uncheck();
  await ask.getByLabel(/Token exchange/).uncheck();
  await expect(ask.getByText('tick at least one grant type')).toBeVisible();
  await expect(ask.getByRole('button', { name: 'Save' })).toBeDisabled();
  await ask.getByLabel(/Token exchange/).check();
  await ask.getByRole('button', { name: 'Save' }).click();
  await expect(ask.getByRole('status').filter({ hasText: 'Saved: gateway may ask for massive:read massive:write' })).toBeVisible();
  await expect(facts).toContainText('token-exchange');
  await expect(facts).not.toContainText('client_credentials');
  await expect.poll(() => token(created.clientId, created.secret!).body.error).toBe('unauthorized_client');
  await expect(page.locator('ol.events li').first()).toContainText('scopes massive:read → massive:read massive:write');

  // Back to client credentials, then a rotation with an hour of overlap: both secrets work.
  await ask.getByLabel(/Client credentials/).check();
  await ask.getByRole('button', { name: 'Save' }).click();
  await expect(facts).toContainText('client_credentials, token-exchange');
  await expect.poll(() => token(created.clientId, created.secret!).status).toBe(200);
  const rotate = page.locator('#rotate-secret');
  await rotate.getByLabel('The old secret keeps working for').selectOption('3600');
  page.once('dialog', (d) => d.accept());
  await rotate.getByRole('button', { name: 'Rotate secret' }).click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await page.screenshot({ path: 'test-results/secret-dialog.png' });
  const rotated = await takeSecret(page, 'the old one keeps working for 1 hour');
  expect(rotated.secret).not.toBe(created.secret);
  await expect.poll(() => token(created.clientId, rotated.secret!).status).toBe(200);
  expect(token(created.clientId, created.secret!).status).toBe(200);

  // The danger zone, last on the page: asks, then the client gets nothing.
  const danger = page.getByRole('region', { name: 'Danger zone' });
  let asked = '';
  page.once('dialog', (d) => { asked = d.message(); d.dismiss(); });
  await danger.getByRole('button', { name: 'Disable client' }).click();
  expect(asked).toContain('the tokens it holds stop working at once');
  await expect(facts.locator('.state')).toHaveText('enabled');
  page.once('dialog', (d) => d.accept());
  await danger.getByRole('button', { name: 'Disable client' }).click();
  await expect(facts.locator('.state')).toHaveText('disabled');
  await expect.poll(() => token(created.clientId, rotated.secret!).body.error).toBe('invalid_client');
  await expect(page.locator('ol.events li').first()).toContainText('client.disable');
  await expect(page.locator('ol.events li')).toHaveCount(5);
  await page.screenshot({ path: 'test-results/client-page.png', fullPage: true });

  // Keyboard: the dialog takes the focus and Enter on its button closes it.
  await danger.getByRole('button', { name: 'Enable client' }).click();
  await expect(facts.locator('.state')).toHaveText('enabled');
  page.once('dialog', (d) => d.accept());
  await rotate.getByRole('button', { name: 'Rotate secret' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeFocused();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(dialog.getByRole('button', { name: 'I have copied it' })).toBeFocused();
  // Tab stays inside the dialog: from its last control to its first, and back.
  await page.keyboard.press('Tab');
  await expect(dialog.getByRole('button', { name: 'Copy', exact: true })).toBeFocused();
  await page.keyboard.press('Shift+Tab');
  await expect(dialog.getByRole('button', { name: 'I have copied it' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  // Closed, the focus is back on the button that made the secret.
  await expect(rotate.getByRole('button', { name: 'Rotate secret' })).toBeFocused();

  expect(problems).toEqual([]);
});
