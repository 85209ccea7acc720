import { test, expect } from '@playwright/test';
import { cli, hydrated, reportCspViolations, signIn, watch } from '../fixtures';

// Usage in the browser: the overview's tokens-per-second figure and chart follow a script issuing
// tokens within two seconds (the server pushes a report every second), a partner page draws the
// partner's rate limit on its rate chart, and the 1-hour range reads the rollups.

const API = 'https://hooli.e2e.test';

test('the usage overview follows tokens live and a partner page draws its limit', async ({ page }) => {
  const problems = watch(page);
  await reportCspViolations(page);
  cli('partner', 'create', '--slug', 'hooli', '--name', 'Hooli', '--stage', 'sandbox');
  // A partner in the sandbox stage: its client and audience are the sandbox's.
  cli('audience', 'create', '--identifier', API, '--scopes', 'tps:read', '--environment', 'sandbox');
  cli('grant', 'set', '--partner', 'hooli', '--audience', API, '--scopes', 'tps:read');
  cli('limit', 'set', '--partner', 'hooli', '--per-second', '50', '--burst', '100');
  const client = JSON.parse(cli('client', 'create', '--partner', 'hooli', '--name', 'reports',
    '--scopes', 'tps:read', '--output', 'json'));
  const basic = Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64');

  await signIn(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Usage' }).click();
  await expect(page).toHaveURL(/\/usage$/);
  await hydrated(page);
  await expect(page.getByRole('button', { name: 'Live' })).toHaveAttribute('aria-pressed', 'true');
  const figure = page.getByTestId('tokens-per-second');
  await expect(figure).toHaveText('0');
  const chart = page.getByRole('img', { name: /^Tokens issued by grant type/ });
  const before = await chart.innerHTML();

  // A script issues tokens; the figure and the chart change within two seconds.
  let calling = true;
  let issued = 0;
  const calls = (async () => {
    while (calling) {
      const r = await page.request.post('/sandbox/oauth2/token', {
        headers: { Authorization: `Basic ${basic}` },
        form: { grant_type: 'client_credentials', resource: API },
      });
      expect(r.status()).toBe(200);
      issued++;
      await new Promise((ok) => setTimeout(ok, 40));
    }
  })();
  const started = Date.now();
  await expect(figure).not.toHaveText('0', { timeout: 2000 });
  await expect.poll(() => chart.innerHTML(), { timeout: 2000 }).not.toBe(before);
  const tookMs = Date.now() - started;
  expect(tookMs).toBeLessThan(2500);
  await expect(chart).toHaveAccessibleName(/client credentials [1-9]/);
  // Top clients are named, with the id beside the name.
  await expect(page.getByRole('table').filter({ hasText: client.client_id }).getByRole('row').filter({ hasText: client.client_id }))
    .toContainText('reports');
  // A series keeps its colour and dash whichever range shows it.
  const swatch = (name: string) => chart.locator('xpath=..').locator('li').filter({ hasText: name }).locator('line');
  const liveStyle = await swatch('client credentials').getAttribute('class');
  expect(liveStyle).toMatch(/^series s\d$/);
  await page.screenshot({ path: 'test-results/usage-live.png', fullPage: true });

  // Two refusals (a scope the client may not have), listed with their reason.
  for (let i = 0; i < 2; i++) {
    const r = await page.request.post('/sandbox/oauth2/token', {
      headers: { Authorization: `Basic ${basic}` },
      form: { grant_type: 'client_credentials', resource: API, scope: 'tps:write' },
    });
    expect(r.status()).toBe(400);
  }
  await expect(page.getByTestId('recent-refusals')).toContainText('invalid_scope', { timeout: 3000 });

  // The partner's page: the same panel, its limit drawn on the rate chart.
  await page.goto('/partners/hooli?tab=usage');
  await hydrated(page);
  const usage = page.getByRole('region', { name: 'Usage of this partner' });
  await expect(usage.locator('.limit-line')).toHaveCount(1);
  await expect(usage.locator('.limit-label')).toHaveText('limit 50 per second');
  await expect(usage.getByTestId('tokens-per-second')).not.toHaveText('0', { timeout: 3000 });
  await expect(usage.getByTestId('recent-refusals')).toContainText('invalid_scope');
  await page.screenshot({ path: 'test-results/usage-partner.png', fullPage: true });
  calling = false;
  await calls;

  // A client's usage page, then the last hour from the rollups (written every few seconds).
  await page.getByRole('navigation', { name: 'Partner' }).getByRole('link', { name: 'Clients' }).click();
  await expect(page).toHaveURL(/\/partners\/hooli\?tab=clients$/);
  await page.getByRole('row').filter({ hasText: client.client_id }).getByRole('link', { name: 'usage' }).click();
  await expect(page).toHaveURL(new RegExp(`/usage\\?partner=hooli&client=${client.client_id}$`));
  await hydrated(page);
  await expect(page.getByRole('heading', { name: `Usage of client ${client.client_id}` })).toBeVisible();
  await page.getByRole('button', { name: '1 hour' }).click();
  await expect(page.getByRole('button', { name: '1 hour' })).toHaveAttribute('aria-pressed', 'true');
  // Every token the script got is in the rollups once the last flush has run.
  const row = page.getByRole('table').filter({ hasText: client.client_id }).getByRole('row').filter({ hasText: client.client_id });
  await expect(async () => {
    await page.getByRole('button', { name: '5 min' }).click();
    await page.getByRole('button', { name: '1 hour' }).click();
    await expect(row.locator('td').nth(2)).toHaveText(String(issued), { timeout: 1000 });
  }).toPass({ timeout: 15000 });
  await expect(row).toContainText('reports');
  await expect(swatch('client credentials').first()).toHaveAttribute('class', liveStyle!);
  await page.screenshot({ path: 'test-results/usage-hour.png', fullPage: true });
  expect(problems).toEqual([]);
});
