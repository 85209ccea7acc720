import { test, expect } from '@playwright/test';
import { hydrated, reportCspViolations, signIn, watch } from '../fixtures';

// Signing keys in the browser: the rotation policy with inline validation, "Rotate now", and an
// emergency revoke that needs the key ID typed; the revoked key leaves the JWKS at once.

test('an administrator sets the policy, rotates a key, and revokes one with its typed ID', async ({ page }) => {
  const problems = watch(page);
  await reportCspViolations(page);
  await signIn(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Signing keys' }).click();
  await expect(page).toHaveURL(/\/keys$/);
  await hydrated(page);
  const cards = page.locator('li.key');
  await expect(cards.first().locator('.state')).toHaveText('active');
  await expect(cards.first().getByRole('list', { name: 'Timeline' })).toContainText('created');

  // The policy: a grace shorter than the longest token is flagged before anything is sent.
  const policy = page.locator('#key-policy');
  // (0 is under the floor whatever tokens exist: the floor is at least the minute of skew.)
  await policy.getByLabel('Retirement grace (minutes)').fill('0');
  await expect(page.getByText(/At least \d+ minutes?: tokens signed just before retirement/)).toBeVisible();
  await expect(policy.getByRole('button', { name: 'Save policy' })).toBeDisabled();
  // So is a pre-publication window shorter than the JWKS cache, beside its field.
  await policy.getByLabel('Pre-publication window (minutes)').fill('2');
  await expect(policy.getByText(/pre-publication window must be between 300 seconds/)).toBeVisible();
  await policy.getByLabel('Pre-publication window (minutes)').fill('10');
  await policy.getByLabel('Retirement grace (minutes)').fill('1500');
  await policy.getByLabel('Rotation period (days)').fill('14');
  await policy.getByRole('button', { name: 'Save policy' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Rotation policy saved' })).toBeVisible();

  // Rotate now, signing at once: the old key stays published as retiring.
  const before = await cards.count();
  await page.getByLabel(/Sign with the new key at once/).check();
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Rotate now' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'published and signing now' })).toBeVisible();
  await expect(cards).toHaveCount(before + 1);
  const retiring = cards.filter({ has: page.locator('.state', { hasText: /^retiring$/ }) }).first();
  const kid = (await retiring.locator('code').first().textContent())!.trim();

  // Emergency revoke: the button waits for the exact kid, then asks once more.
  await retiring.getByText('Emergency revoke').click();
  const confirm = retiring.getByLabel('Type the key ID to confirm');
  const revokeButton = retiring.getByRole('button', { name: 'Revoke this key' });
  await confirm.fill(kid.slice(0, 10));
  await expect(revokeButton).toBeDisabled();
  await confirm.fill(kid);
  await expect(revokeButton).toBeEnabled();
  page.once('dialog', (d) => d.accept());
  await revokeButton.click();
  await expect(page.getByRole('status').filter({ hasText: `Key ${kid} revoked` })).toBeVisible();
  const revoked = page.locator(`li.key:has(code:text-is("${kid}"))`);
  await expect(revoked.locator('.state')).toHaveText('revoked');
  await expect(revoked.getByRole('list', { name: 'Timeline' })).toContainText('revoked (removed from the JWKS)');
  const jwks = await (await page.request.get('/.well-known/jwks.json')).json();
  expect(jwks.keys.map((k: { kid: string }) => k.kid)).not.toContain(kid);
  await page.screenshot({ path: 'test-results/keys.png', fullPage: true });

  expect(problems, problems.join('\n')).toEqual([]);
});
