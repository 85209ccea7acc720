// The sign-in page over a real network, in Chromium: bytes transferred and the time from
// navigation start until the page has hydrated (the wasm entry marks <html data-hydrated>),
// cold cache, at 20 Mbit/s with 40 ms RTT and at 5 Mbit/s with 80 ms (Chromium's network
// emulation). Median of 5 loads each. Budget (issue 24): interactive <= 1.5 s at 20 Mbit/s.
// Needs BASE (a running release server) from bench/console-pages.sh.
import { createRequire } from 'node:module';
const require = createRequire(new URL('../end2end/package.json', import.meta.url));
const { chromium } = require('@playwright/test');

const base = process.env.BASE;
const links = [
  { name: '20 Mbit/s, 40 ms', down: 20e6 / 8, up: 5e6 / 8, latency: 40 },
  { name: '5 Mbit/s, 80 ms', down: 5e6 / 8, up: 1e6 / 8, latency: 80 },
];
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
for (const link of links) {
  const runs = [];
  let bytes = 0;
  for (let i = 0; i < 5; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: link.latency, downloadThroughput: link.down, uploadThroughput: link.up,
    });
    let transferred = 0;
    cdp.on('Network.loadingFinished', (e) => { transferred += e.encodedDataLength; });
    const started = Date.now();
    await page.goto(`${base}/login`);
    await page.waitForSelector('html[data-hydrated="true"]', { state: 'attached', timeout: 60_000 });
    runs.push(Date.now() - started);
    bytes = transferred;
    await context.close();
  }
  runs.sort((a, b) => a - b);
  console.log(`sign-in page interactive at ${link.name}: median ${runs[2]} ms (all ${runs.join(' ')}), ${(bytes / 1e6).toFixed(2)} MB transferred`);
}
await browser.close();
