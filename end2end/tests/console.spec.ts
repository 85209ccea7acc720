import { test, expect } from '@playwright/test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, hydrated, reportCspViolations, takeSecret, watch } from '../fixtures';

// Any console error, hydration warning, page error or 5xx response fails the test. Chromium logs
// every 4xx fetch as "Failed to load resource"; those are expected for the wrong-password step
// and are checked through the responses instead.
test('an administrator signs in, creates a partner and a client, and sees its secret once', async ({ page }) => {
  const problems = watch(page, (status, url) => status === 401 && url.includes('/api/login'));
  await reportCspViolations(page);

  // Every page carries a CSP whose nonce is on Leptos' scripts: the page must hydrate under it.
  const first = await page.goto('/partners');
  await expect(page).toHaveURL(/\/login$/);
  const csp = (await page.request.get('/login')).headers()['content-security-policy'];
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]{22,}' 'wasm-unsafe-eval'/);
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).toContain("frame-ancestors 'none'");
  expect(first).not.toBeNull();
  await hydrated(page);

  await page.getByLabel('E-mail').fill(ADMIN_EMAIL);
  await page.getByLabel('Password').fill('wrong password!');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('e-mail or password is wrong');

  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Home is the overview of the federation; nothing exists yet.
  await expect(page).toHaveURL((u) => u.pathname === '/');
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await hydrated(page);
  await expect(page.getByText('Nothing waits for approval.')).toBeVisible();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Partners' }).click();
  await expect(page).toHaveURL(/\/partners$/);
  await expect(page.getByRole('heading', { name: 'Partners' })).toBeVisible();
  await hydrated(page);
  await expect(page.getByText('No partners yet')).toBeVisible();

  // Inline validation before anything is sent.
  const slug = page.getByLabel('Slug');
  await slug.fill('Bad Slug');
  await expect(page.getByText("2–63 characters of a–z")).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create partner' })).toBeDisabled();

  await slug.fill('acme');
  await page.getByLabel('Name').fill('Acme <script>alert(1)</script> Corp');
  await page.getByRole('button', { name: 'Create partner' }).click();
  await expect(page.getByRole('link', { name: 'acme', exact: true })).toBeVisible();
  // Partner-controlled text is shown escaped (F47).
  await expect(page.getByRole('cell', { name: 'Acme <script>alert(1)</script> Corp' })).toBeVisible();
  await expect(page.locator('.pipeline').getByRole('link', { name: 'Acme <script>alert(1)</script> Corp' })).toBeVisible();

  // The list filters as one types; nothing matching says so.
  await page.getByLabel('Filter partners').fill('no-such-partner');
  await expect(page.getByText('Nothing matches the filter.')).toBeVisible();
  await expect(page.getByRole('link', { name: 'acme', exact: true })).toHaveCount(0);
  await page.getByLabel('Filter partners').fill('ACME');
  await expect(page.getByRole('link', { name: 'acme', exact: true })).toBeVisible();

  await page.getByRole('link', { name: 'acme', exact: true }).click();
  await expect(page).toHaveURL(/\/partners\/acme$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Acme <script>alert(1)</script> Corp');
  await hydrated(page);
  await page.getByRole('navigation', { name: 'Partner' }).getByRole('link', { name: 'Clients' }).click();
  await expect(page).toHaveURL(/\/partners\/acme\?tab=clients$/);
  await expect(page.getByText('This partner has no clients yet')).toBeVisible();

  await page.getByLabel('Name').fill('backend');
  await page.getByLabel('Scopes (space-separated)').fill('orders:read');
  await page.getByRole('button', { name: 'Create client' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.locator('code.client-secret')).toHaveText(/^ent_sec_[A-Za-z0-9_-]{43}$/);
  await dialog.getByRole('button', { name: 'Copy', exact: true }).click();
  await expect(dialog.getByRole('button', { name: 'Copied', exact: true })).toBeVisible();
  const { clientId } = await takeSecret(page, /Client created in (sandbox|production)\./);
  await expect(page.getByRole('cell', { name: clientId })).toBeVisible();
  // The form starts afresh for the next client.
  await expect(page.getByLabel('Name')).toHaveValue('');

  // The secret is not shown again after a reload.
  await page.reload();
  await expect(page.getByRole('cell', { name: clientId })).toBeVisible();
  await expect(page.locator('code.client-secret')).toHaveCount(0);

  await page.getByRole('link', { name: 'Signing keys' }).click();
  await expect(page.locator('.key .state').first()).toHaveText('active');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);

  expect(problems, problems.join('\n')).toEqual([]);
});
