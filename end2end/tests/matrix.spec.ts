import { test, expect } from '@playwright/test';
import { cli, hydrated, reportCspViolations, signIn, watch } from '../fixtures';

// The scope matrix: filter to one audience, click cells to build a change set, review the diff,
// submit it; the grant is then in effect (a sandbox partner needs no approval).

const API = 'https://matrix.e2e.test';

test('the scope matrix edits a grant through a reviewed change set', async ({ page }) => {
  cli('partner', 'create', '--slug', 'umbrella', '--name', 'Umbrella', '--stage', 'sandbox');
  cli('audience', 'create', '--identifier', API, '--scopes', 'lab:read lab:write');
  cli('audience', 'scope', '--audience', API, '--scope', 'lab:write', '--description', 'Change lab results', '--sensitivity', 'high');
  cli('grant', 'set', '--partner', 'umbrella', '--audience', API, '--scopes', 'lab:read');
  const problems = watch(page);
  await reportCspViolations(page);
  await signIn(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Scope matrix' }).click();
  await expect(page).toHaveURL(/\/matrix$/);
  await hydrated(page);
  await page.getByLabel('Audience').selectOption(API);
  await page.getByLabel('Partner', { exact: true }).fill('umbrella');
  await page.getByLabel('Partner', { exact: true }).press('Enter');
  const matrix = page.locator('#matrix');
  await expect(matrix.locator('th.scope')).toHaveCount(2);
  await expect(matrix.locator('th.scope.sens-high')).toHaveAttribute('title', /Change lab results/);
  const row = matrix.locator('tr.partner-row', { hasText: 'Umbrella' });
  const [read, write] = [row.locator('td.cell button').nth(0), row.locator('td.cell button').nth(1)];
  await expect(read).toHaveAttribute('aria-pressed', 'true');
  await expect(write).toHaveAttribute('aria-pressed', 'false');

  // Two edits, one undone by a second click: the diff shows what will change.
  await write.click();
  await read.click();
  await read.click();
  const changes = page.getByRole('region', { name: 'Change set' });
  await expect(changes).toContainText('1 change to review');
  await expect(changes.locator('li.add')).toContainText('umbrella · lab:write on https://matrix.e2e.test');
  await page.screenshot({ path: 'test-results/matrix.png', fullPage: true });
  await changes.getByRole('button', { name: 'Submit changes' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'umbrella: saved' })).toBeVisible();
  await expect(changes).toHaveCount(0);
  await expect(write).toHaveAttribute('aria-pressed', 'true');
  expect(JSON.parse(cli('audit', 'list', '--partner', 'umbrella', '--action', 'grant.set', '--output', 'json'))[0].details.after)
    .toBe('lab:read lab:write');

  expect(problems, problems.join('\n')).toEqual([]);
});
