import { test, expect, Page, ConsoleMessage } from '@playwright/test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, reportCspViolations } from '../fixtures';

// Any console error, hydration warning, page error or 5xx response fails the test. Chromium logs
// every 4xx fetch as "Failed to load resource"; those are expected for the wrong-password step
// and are checked through the responses instead.
function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    const t = m.text();
    const expected4xx = /Failed to load resource: the server responded with a status of 4\d\d/.test(t);
    if ((m.type() === 'error' && !expected4xx) || /hydrat/i.test(t)) problems.push(`${m.type()}: ${t}`);
  });
  page.on('response', (r) => {
    const wrongPassword = r.status() === 401 && r.url().includes('/api/login');
    if (r.status() >= 500 || (r.status() >= 400 && !wrongPassword)) problems.push(`HTTP ${r.status()} ${r.url()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return problems;
}

async function hydrated(page: Page) {
  // The wasm bundle has loaded and hydrated once the copyable/interactive islands respond;
  // waiting for network idle after load is enough for this small app.
  await page.waitForLoadState('networkidle');
}

test('an administrator signs in, creates a partner and a client, and sees its secret once', async ({ page }) => {
  const problems = watchConsole(page);
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
  await expect(page.getByRole('link', { name: 'acme' })).toBeVisible();
  // Partner-controlled text is shown escaped (F47).
  await expect(page.getByText('Acme <script>alert(1)</script> Corp')).toBeVisible();

  // The list filters as one types; nothing matching says so.
  await page.getByLabel('Filter partners').fill('no-such-partner');
  await expect(page.getByText('Nothing matches the filter.')).toBeVisible();
  await expect(page.getByRole('link', { name: 'acme' })).toHaveCount(0);
  await page.getByLabel('Filter partners').fill('ACME');
  await expect(page.getByRole('link', { name: 'acme' })).toBeVisible();

  await page.getByRole('link', { name: 'acme' }).click();
  await expect(page).toHaveURL(/\/partners\/acme$/);
  await expect(page.getByText('This partner has no clients yet')).toBeVisible();
  await hydrated(page);

  await page.getByLabel('Name').fill('backend');
  await page.getByLabel('Scopes (space-separated)').fill('orders:read');
  await page.getByRole('button', { name: 'Create client' }).click();
  const secret = page.locator('code.client-secret');
  await expect(secret).toHaveText(/^ent_sec_[A-Za-z0-9_-]{43}$/);
  const clientId = await page.locator('code.client-id').textContent();
  await page.getByRole('button', { name: 'Copy' }).click();
  await expect(page.getByRole('button', { name: 'Copied' })).toBeVisible();
  await expect(page.getByRole('cell', { name: clientId! })).toBeVisible();

  // The secret is not shown again after a reload.
  await page.reload();
  await expect(page.getByRole('cell', { name: clientId! })).toBeVisible();
  await expect(page.locator('code.client-secret')).toHaveCount(0);

  await page.getByRole('link', { name: 'Signing keys' }).click();
  await expect(page.getByText('active')).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);

  expect(problems, problems.join('\n')).toEqual([]);
});
