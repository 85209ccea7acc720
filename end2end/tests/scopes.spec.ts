import { test, expect } from '@playwright/test';
import { cli, hydrated, reportCspViolations, signIn, watch } from '../fixtures';

// Issue 24, item 5: an audience's scopes edited from its row on the Audiences page — one added
// (a comma refused as typed), one described with a sensitivity, an unused one removed after a confirmation, one a partner holds
// refused with who holds it — and an unused audience deleted.

test('scopes are added and removed, and an unused audience deleted, from the audiences page', async ({ page }) => {
  cli('audience', 'create', '--identifier', 'https://imports.api.test', '--name', 'Imports', '--scopes', 'orders:read orders:write');
  cli('audience', 'create', '--identifier', 'https://exports.api.test', '--name', 'Exports', '--scopes', 'items:read');
  // The scope a partner holds is refused on purpose (400, said on the page).
  const problems = watch(page, (status, url) => status === 400 && url.includes('/api/remove_audience_scope'));
  await reportCspViolations(page);
  await signIn(page);
  await page.goto('/audiences');
  await hydrated(page);
  await page.getByLabel('Filter audiences').fill('ports.api');
  cli('partner', 'create', '--slug', 'vandelay', '--name', 'Vandelay', '--stage', 'sandbox');
  cli('grant', 'set', '--partner', 'vandelay', '--audience', 'https://imports.api.test', '--scopes', 'orders:read');
  const row = page.getByRole('row').filter({ hasText: 'https://imports.api.test' });
  // Opens the row's editor unless it is open (a refreshed list may keep or redraw it).
  const edit = async (r = row) => {
    if ((await r.locator('details.edit').getAttribute('open')) === null) await r.locator('details.edit > summary').click();
  };
  await edit();
  await row.getByLabel('Add scopes').fill('orders:cancel,');
  await expect(row.getByText('separate scopes with spaces, not commas')).toBeVisible();
  await row.getByLabel('Add scopes').fill('orders:cancel');
  await row.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Added to https://imports.api.test: orders:cancel' })).toBeVisible();
  await expect(row.getByRole('cell', { name: 'orders:cancel orders:read orders:write' })).toBeVisible();
  // A scope is described (what partners read, and the matrix shows on its column) and given a
  // sensitivity; choosing it again shows what was saved.
  await edit();
  const describe = row.getByRole('form', { name: 'Describe a scope of Imports' });
  await describe.getByLabel('Describe scope').selectOption('orders:write');
  await describe.getByLabel('Description').fill('Change imported orders');
  await describe.getByLabel('Sensitivity').selectOption('high');
  await describe.getByRole('button', { name: 'Save description' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Scope orders:write saved.' })).toBeVisible();
  await edit();
  await describe.getByLabel('Describe scope').selectOption('orders:write');
  await expect(describe.getByLabel('Description')).toHaveValue('Change imported orders');
  await expect(describe.getByLabel('Sensitivity')).toHaveValue('high');
  await edit();
  page.once('dialog', (d) => d.accept());
  await row.getByRole('button', { name: 'Remove orders:read' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'orders:read is in use (granted to vandelay)' })).toBeVisible();
  await edit();
  page.once('dialog', (d) => d.accept());
  await row.getByRole('button', { name: 'Remove orders:cancel' }).click();
  await expect(row.getByRole('cell', { name: 'orders:read orders:write', exact: true })).toBeVisible();
  await page.getByLabel('Filter audiences').fill('exports');
  const unused = page.getByRole('row').filter({ hasText: 'https://exports.api.test' });
  await edit(unused);
  page.once('dialog', (d) => d.accept());
  await unused.getByRole('button', { name: /^Delete / }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Deleted https://exports.api.test.' })).toBeVisible();
  await expect(page.getByText('Nothing matches the filter.')).toBeVisible();
  await page.screenshot({ path: 'test-results/audiences-edit.png', fullPage: true });
  expect(problems, problems.join('\n')).toEqual([]);
});
