import { test, expect } from '@playwright/test';
import { cli, reportCspViolations, signIn, watch } from '../fixtures';

// The partners list pages 20 at a time and filters as one types.

test('the partners list pages and filters', async ({ page }) => {
  for (let i = 1; i <= 22; i++) cli('partner', 'create', '--slug', `bulk-${String(i).padStart(2, '0')}`, '--name', `Bulk ${i}`);
  const problems = watch(page);
  await reportCspViolations(page);

  await signIn(page);
  await page.goto('/partners');
  await page.waitForLoadState('networkidle');

  await expect(page.getByText(/Page 1 of 2/)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Previous' })).toBeDisabled();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByText(/Page 2 of 2/)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Next' })).toBeDisabled();
  await expect(page.getByRole('link', { name: 'bulk-22' })).toBeVisible();

  // Filtering returns to the first page and narrows the rows; the pager goes with one page.
  await page.getByLabel('Filter partners').fill('BULK-2');
  await expect(page.getByRole('link', { name: 'bulk-20' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'bulk-22' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'bulk-01' })).toHaveCount(0);
  await expect(page.getByRole('navigation', { name: 'Pages' })).toHaveCount(0);
  await page.getByLabel('Filter partners').fill('nothing like it');
  await expect(page.getByText('Nothing matches the filter.')).toBeVisible();

  expect(problems, problems.join('\n')).toEqual([]);
});
