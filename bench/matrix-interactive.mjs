// Time to interactive of the scope matrix in Chromium: from navigation start until the first
// cell responds to a click (the page has hydrated and the handler changed the cell). Median of
// 5 cold loads. Needs BASE and COOKIE (a signed-in session) from bench/console-pages.sh.
import { createRequire } from 'node:module';
const require = createRequire(new URL('../end2end/package.json', import.meta.url));
const { chromium } = require('@playwright/test');

const base = process.env.BASE;
const [name, value] = process.env.COOKIE.split('=');
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const runs = [];
for (let i = 0; i < 5; i++) {
  const context = await browser.newContext();
  await context.addCookies([{ name, value, url: base }]);
  const page = await context.newPage();
  const started = Date.now();
  await page.goto(`${base}/matrix`);
  const cell = page.locator('#matrix td.cell button').first();
  // Clicking before hydration does nothing; keep clicking until the cell reacts.
  for (;;) {
    await cell.click();
    if ((await cell.getAttribute('aria-pressed')) !== null && await page.locator('.changeset').count() > 0) break;
    await page.waitForTimeout(10);
  }
  runs.push(Date.now() - started);
  const cells = await page.locator('#matrix td.cell').count();
  if (i === 0) console.log(`scope matrix: ${cells} cells on the first page`);
  await context.close();
}
runs.sort((a, b) => a - b);
console.log(`scope matrix time to interactive (ms, 5 cold loads): median ${runs[2]}, all ${runs.join(' ')}`);
await browser.close();
