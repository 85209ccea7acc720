import { test, expect, Browser } from '@playwright/test';
import { ADMIN_PASSWORD, cli, cliWithInput, hydrated, reportCspViolations, signIn, watch } from '../fixtures';

// Four eyes in the browser: an operator asks to promote a sandbox partner to production; they
// cannot approve it themselves; a second administrator rejects nothing without a reason and
// approves it; the partner is then in production. Suspension (with a reason and a confirmation)
// turns into a reactivation request.

const OPERATOR = 'olga@example.test';

async function as(browser: Browser, email: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watch(page);
  await reportCspViolations(page);
  await signIn(page, email, ADMIN_PASSWORD);
  return { page, problems, context };
}

test('an operator requests production, a second administrator approves', async ({ browser }) => {
  cliWithInput(`${ADMIN_PASSWORD}\n`, 'admin', 'create', '--email', OPERATOR, '--role', 'operator', '--password-stdin');
  cli('partner', 'create', '--slug', 'initech', '--name', 'Initech', '--stage', 'sandbox');

  // The operator files the promotion from the partner's page.
  const olga = await as(browser, OPERATOR);
  await olga.page.goto('/partners/initech');
  await hydrated(olga.page);
  await expect(olga.page.getByRole('heading', { name: 'Lifecycle' })).toBeVisible();
  await olga.page.getByLabel('Move to').selectOption('production');
  await olga.page.locator('#move-stage').getByLabel('Reason (shown to the approver)').fill('checklist complete');
  olga.page.once('dialog', (d) => d.accept());
  await olga.page.getByRole('button', { name: 'Move' }).click();
  await expect(olga.page.getByRole('status').filter({ hasText: 'Change request #' })).toContainText('promote initech to production');
  await expect(olga.page.locator('#lifecycle .state')).toHaveText('sandbox');

  // They see their request but cannot decide it.
  await olga.page.getByRole('link', { name: /Change requests/ }).first().click();
  await expect(olga.page).toHaveURL(/\/changes/);
  await hydrated(olga.page);
  const mine = olga.page.locator('.request').filter({ hasText: 'promote initech to production' });
  await expect(mine).toBeVisible();
  await expect(mine).toContainText('You filed this request');
  await expect(mine.getByRole('button', { name: 'Approve' })).toHaveCount(0);
  await olga.page.screenshot({ path: 'test-results/changes-operator.png', fullPage: true });

  // The administrator sees it waiting in the navigation, and approves it.
  const admin = await as(browser, 'admin@example.test');
  await expect(admin.page.locator('.nav-count')).toHaveText('1');
  await admin.page.goto('/changes');
  await hydrated(admin.page);
  const request = admin.page.locator('.request').filter({ hasText: 'promote initech to production' });
  await expect(request).toContainText('checklist complete');
  await expect(request).toContainText(`filed by ${OPERATOR}`);
  // Rejecting needs a reason first.
  await expect(request.getByRole('button', { name: 'Reject' })).toBeDisabled();
  await request.getByLabel('Comment (required to reject)').fill('welcome aboard');
  await expect(request.getByRole('button', { name: 'Reject' })).toBeEnabled();
  await admin.page.screenshot({ path: 'test-results/changes-admin.png', fullPage: true });
  await request.getByRole('button', { name: 'Approve' }).click();
  await expect(admin.page.getByRole('status').filter({ hasText: 'approved' })).toBeVisible();
  await expect(admin.page.getByText('Nothing waits for approval.')).toBeVisible();

  // The requester reads the decision; the partner is in production.
  await olga.page.getByLabel('Show').selectOption('all');
  const decided = olga.page.locator('.request').filter({ hasText: 'promote initech to production' });
  await expect(decided.locator('.state')).toHaveText('approved');
  await expect(decided).toContainText('approved by admin@example.test');
  await expect(decided).toContainText('welcome aboard');
  await olga.page.goto('/partners/initech');
  await hydrated(olga.page);
  await expect(olga.page.locator('#lifecycle .state')).toHaveText('production');

  // Suspension: a reason, a confirmation, and then reactivation is a request.
  await olga.page.getByLabel('Why suspend (required)').fill('credential leak reported');
  olga.page.once('dialog', (d) => d.accept());
  await olga.page.getByRole('button', { name: 'Suspend partner' }).click();
  await expect(olga.page.locator('#lifecycle .state')).toHaveText('suspended');
  await expect(olga.page.locator('#lifecycle')).toContainText('credential leak reported');
  await olga.page.locator('#reactivate').getByLabel('Reason (shown to the approver)').fill('leaked key rotated');
  await olga.page.getByRole('button', { name: 'Request reactivation' }).click();
  await expect(olga.page.getByRole('status').filter({ hasText: 'Change request #' })).toContainText('reactivate initech');
  await olga.page.screenshot({ path: 'test-results/partner-suspended.png', fullPage: true });
  await expect(olga.page.locator('#lifecycle .state')).toHaveText('suspended');

  expect(olga.problems, olga.problems.join('\n')).toEqual([]);
  expect(admin.problems, admin.problems.join('\n')).toEqual([]);
  await olga.context.close();
  await admin.context.close();
});
