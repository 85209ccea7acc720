import { test, expect, Browser, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { cli, hydrated, signIn } from '../fixtures';

// axe (WCAG 2.1 A and AA, and its best practices) on every page state of the console, the
// portal, the playground and the public pages, with data in them: 0 violations anywhere. Named
// to run last, when the other suites have filled the catalogue.
const SLUG = 'weyland';
const API = 'https://colonies.wcag.e2e.test';
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

async function audit(page: Page, path: string, found: string[]) {
  await page.goto(path);
  await hydrated(page);
  const name = path.replace(/^\//, '').replace(/[^a-z0-9]+/gi, '-') || 'home';
  await page.screenshot({ path: `test-results/pages/${page.url().includes('/portal') || page.url().includes('/sandbox') ? 'portal-' : ''}${name}.png`, fullPage: true });
  const { violations } = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  for (const v of violations) {
    found.push(`${path}: ${v.id} (${v.impact}) ×${v.nodes.length}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  }
}

async function join(browser: Browser, link: string, email: string, password: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(link);
  await hydrated(page);
  await expect(page.getByLabel('E-mail')).toHaveValue(email);
  await page.getByLabel(/Password/).fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/(portal|sandbox)$/);
  return { page, context };
}

test('every page state has no axe violation', async ({ page, browser }) => {
  test.setTimeout(180_000);
  cli('partner', 'create', '--slug', SLUG, '--name', 'Weyland-Yutani', '--stage', 'sandbox');
  cli('audience', 'create', '--identifier', API, '--scopes', 'nexus:read nexus:write', '--environment', 'sandbox');
  cli('grant', 'set', '--partner', SLUG, '--audience', API, '--scopes', 'nexus:read');
  const client = JSON.parse(cli('client', 'create', '--partner', SLUG, '--name', 'voight-kampff', '--scopes', 'nexus:read',
    '--output', 'json'));
  const admin = JSON.parse(cli('partner', 'invite', '--partner', SLUG, '--email', 'eldon@weyland.e2e.test',
    '--role', 'partner_admin', '--output', 'json'));
  const tester = JSON.parse(cli('partner', 'invite', '--partner', SLUG, '--email', 'rachael@weyland.e2e.test',
    '--role', 'sandbox_tester', '--output', 'json'));
  const found: string[] = [];

  // The check itself sees a violation when there is one: a button without a name.
  await page.setContent('<!doctype html><html lang="en"><head><title>probe</title></head><body><main><h1>Probe</h1><button></button></main></body></html>');
  const probe = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  expect(probe.violations.map((v) => v.id)).toContain('button-name');

  // Public pages, signed out.
  for (const path of ['/login', '/apply', '/setup?token=not-a-token', '/no-such-page']) await audit(page, path, found);

  // The console, as an administrator. A wrong address keeps the console's frame (and says 404).
  await signIn(page);
  const missing = await page.goto('/partners/weyland/nothing-here');
  expect(missing!.status()).toBe(404);
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page not found');
  // The navigation fits one line at 1280 px, with the pending-requests count showing.
  await page.setViewportSize({ width: 1280, height: 720 });
  const tops = await page.getByRole('navigation', { name: 'Main' }).getByRole('link')
    .evaluateAll((links) => links.map((l) => Math.round(l.getBoundingClientRect().top)));
  expect(new Set(tops).size, `link tops: ${tops}`).toBe(1);
  for (const path of ['/', '/partners', `/partners/${SLUG}`, `/partners/${SLUG}?tab=clients`,
    `/partners/${SLUG}?tab=grants`, `/partners/${SLUG}?tab=users`, `/partners/${SLUG}?tab=usage`,
    `/partners/${SLUG}?tab=danger`, `/partners/${SLUG}/trust`, `/partners/${SLUG}/onboarding`,
    `/partners/${SLUG}/clients/${client.client_id}`, '/audiences', '/matrix', '/keys', '/rate-limits', '/usage',
    `/usage?partner=${SLUG}`, '/changes', '/changes?show=all', '/users', '/audit', '/no-such-page']) {
    await audit(page, path, found);
  }

  // The portal, as the partner's admin; the playground, as its tester.
  const eldon = await join(browser, admin.link, 'eldon@weyland.e2e.test', 'more human than human');
  for (const path of ['/portal', '/portal/clients', '/portal/team', '/portal/requests', '/portal/sign-in',
    '/portal/issuers', '/portal/docs', '/sandbox']) {
    await audit(eldon.page, path, found);
  }
  // A wrong address is a 404 for partner users too, not a detour to the portal.
  const lost = await eldon.page.goto('/no-such-page');
  expect(lost!.status()).toBe(404);
  await expect(eldon.page.getByRole('heading', { level: 1 })).toHaveText('Page not found');
  await expect(eldon.page.getByRole('link', { name: 'Back to the portal' })).toBeVisible();
  await eldon.context.close();
  const rachael = await join(browser, tester.link, 'rachael@weyland.e2e.test', 'do androids dream');
  await audit(rachael.page, '/sandbox', found);
  await rachael.context.close();

  expect(found, found.join('\n')).toEqual([]);
});
