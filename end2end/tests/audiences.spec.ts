import { test, expect } from '@playwright/test';
import { cli, hydrated, reportCspViolations, signIn, watch } from '../fixtures';

// Audiences: inline validation, creation, and the shared server-paged table (filter, pages).

test('audiences are created, filtered and paged on the server', async ({ page }) => {
  for (let i = 1; i <= 21; i++) {
    cli('audience', 'create', '--identifier', `https://bulk${String(i).padStart(2, '0')}.api.test`, '--scopes', 'items:read');
  }
  const problems = watch(page);
  await reportCspViolations(page);

  await signIn(page);
  await page.goto('/audiences');
  await hydrated(page);
  await expect(page.getByText(/Page 1 of 2 \(\d+ audiences\)/)).toBeVisible();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByText(/Page 2 of 2/)).toBeVisible();

  // Inline validation before anything is sent; the help text stays beside the field.
  const identifier = page.getByLabel('Identifier');
  await identifier.fill('not a uri');
  await expect(page.getByRole('alert')).toHaveText(/an absolute URI/);
  await expect(page.getByRole('button', { name: 'Create audience' })).toBeDisabled();
  await identifier.fill('https://orders.api.test');
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.getByLabel('Name').fill('Orders');
  // A list typed with commas would make a scope `orders:read,` nobody could remove: refused.
  await page.getByLabel('Scopes (space-separated)').fill('orders:read, orders:write');
  await expect(page.getByText('separate scopes with spaces, not commas')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create audience' })).toBeDisabled();
  await page.getByLabel('Scopes (space-separated)').fill('orders:read orders:write');
  await page.getByRole('button', { name: 'Create audience' }).click();

  // The filter narrows on the server and returns to the first page.
  await page.getByLabel('Filter audiences').fill('ORDERS.api');
  await expect(page.getByRole('cell', { name: 'https://orders.api.test' })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'orders:read orders:write' })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Pages' })).toHaveCount(0);

  await page.getByLabel('Filter audiences').fill('nothing like it');
  await expect(page.getByText('Nothing matches the filter.')).toBeVisible();

  expect(problems, problems.join('\n')).toEqual([]);
});
