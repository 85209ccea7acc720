import { test, expect } from '@playwright/test';
import { cli, hydrated, reportCspViolations, signIn, watch } from '../fixtures';

// Issue 24, broken 2: the scope matrix once failed to hydrate on some loads (its Audience list
// was read outside the <Transition>, so the server and the browser rendered different DOM) and
// then ignored every click. It must hydrate on every load, on a slow CPU too; and any page that
// fails to hydrate must say so and offer a reload instead of looking alive.

const API = 'https://hydration.e2e.test';

test('the scope matrix hydrates and answers clicks on 30 loads at 4x CPU slowdown', async ({ page }) => {
  test.setTimeout(240_000);
  cli('partner', 'create', '--slug', 'tyrell', '--name', 'Tyrell', '--stage', 'sandbox');
  cli('audience', 'create', '--identifier', API, '--scopes', 'owl:read owl:write');
  cli('grant', 'set', '--partner', 'tyrell', '--audience', API, '--scopes', 'owl:read');
  const problems = watch(page);
  await reportCspViolations(page);
  await signIn(page);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  for (let load = 1; load <= 30; load++) {
    await page.goto('/matrix?load=' + load);
    await hydrated(page);
    await expect(page.locator('#page-broken'), `load ${load}`).toHaveCount(0);
    // The audience list is filled in by the hydrated page, and a cell answers a click.
    await expect(page.getByLabel('Audience').locator(`option[value="${API}"]`), `load ${load}`).toHaveCount(1);
    const row = page.locator('#matrix tr.partner-row', { hasText: 'Tyrell' });
    const write = row.locator('td.cell button').nth(1);
    await expect(write, `load ${load}`).toHaveAttribute('aria-pressed', 'false');
    await write.click();
    await expect(write, `load ${load}`).toHaveAttribute('aria-pressed', 'true');
    await expect(page.getByRole('region', { name: 'Change set' })).toContainText('1 change to review');
  }
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
  expect(problems, problems.join('\n')).toEqual([]);
});

test('a page that fails to hydrate says so and offers a reload', async ({ page }) => {
  await signIn(page);
  // The server's page with a text node where the app renders an element: the browser's DOM no
  // longer matches what the app renders, so hydration fails, as it would after a rendering bug.
  let tampered = false;
  await page.route(/\/matrix$/, async (route) => {
    if (tampered) return route.continue(); // the reload gets the real page
    tampered = true;
    const response = await route.fetch();
    const html = (await response.text()).replace('<p class="meta legend">', 'tampered<p class="meta legend">');
    expect(html).toContain('tampered<p class="meta legend">');
    await route.fulfill({ response, body: html });
  });
  await page.goto('/matrix');
  const broken = page.getByRole('alert').filter({ hasText: 'Something went wrong on this page' });
  await expect(broken).toBeVisible();
  await expect(page.locator('html[data-hydrated]')).toHaveCount(0);
  await page.screenshot({ path: 'test-results/hydration-failed.png' });
  // Reloading gets the real page back, and it works.
  await broken.getByRole('link', { name: 'Reload the page' }).click();
  await hydrated(page);
  await expect(page.locator('#page-broken')).toHaveCount(0);
  await expect(page.getByText('a trust rule covers it')).toBeVisible();
});
