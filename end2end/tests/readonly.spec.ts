import { test, expect } from '@playwright/test';
import { cli, cliWithInput, hydrated, reportCspViolations, signIn, watch } from '../fixtures';

// Auditors read everything and change nothing: the pages leave out the controls they may not
// use (the server refuses them anyway; the role walk in the Rust tests proves that part).

test('an auditor reads partner pages without their controls', async ({ page }) => {
  cli('partner', 'create', '--slug', 'audited', '--name', 'Audited Ltd', '--stage', 'sandbox');
  cliWithInput('correct horse battery staple\n', 'admin', 'create', '--email', 'auditor@example.test', '--role', 'auditor', '--password-stdin');
  const problems = watch(page);
  await reportCspViolations(page);
  await signIn(page, 'auditor@example.test');

  await page.goto('/partners/audited');
  await hydrated(page);
  await expect(page.getByText('Operators and administrators move, suspend and reactivate partners.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Move', exact: true })).toHaveCount(0);
  // Every tab of the partner page leaves its controls out.
  for (const [tab, name] of [['clients', 'Create client'], ['grants', 'Save grant'], ['danger', 'Suspend partner'],
    ['danger', 'Offboard partner']]) {
    await page.goto(`/partners/audited?tab=${tab}`);
    await hydrated(page);
    await expect(page.getByRole('navigation', { name: 'Partner' }).locator('[aria-current=page]')).toHaveCount(1);
    await expect(page.getByRole('button', { name, exact: true })).toHaveCount(0);
  }
  await expect(page.getByText('Operators and administrators demote, offboard and suspend partners.')).toBeVisible();

  await page.goto('/partners/audited/onboarding');
  await hydrated(page);
  await expect(page.getByLabel('Legal name')).toBeDisabled();
  for (const name of ['Save record', 'Accept questionnaire', 'Check now', 'Request production']) {
    await expect(page.getByRole('button', { name })).toHaveCount(0);
  }

  await page.goto('/partners/audited/trust');
  await hydrated(page);
  for (const name of ['Add issuer', 'Save rule', 'Explain']) {
    await expect(page.getByRole('button', { name })).toHaveCount(0);
  }

  for (const [path, name] of [['/partners', 'Create partner'], ['/audiences', 'Create audience']]) {
    await page.goto(path);
    await hydrated(page);
    await expect(page.getByRole('button', { name })).toHaveCount(0);
  }
  expect(problems, problems.join('\n')).toEqual([]);
});
