import { test, expect } from '@playwright/test';

// Issue 24, item 15: the console's built files are named by their content, cached for a year,
// and — in the release build `make run` serves — precompressed, the wasm within 1 MB.

const release = (process.env.ENTENTE_BIN ?? '').includes('/release/');

test('built files are named by content, cached for good, and precompressed in release', async ({ request }) => {
  const html = await (await request.get('/login')).text();
  const wasm = html.match(/\/pkg\/entente\.[A-Za-z0-9_-]+\.wasm/)?.[0];
  const js = html.match(/\/pkg\/entente\.[A-Za-z0-9_-]+\.js/)?.[0];
  const css = html.match(/\/pkg\/entente\.[A-Za-z0-9_-]+\.css/)?.[0];
  expect([wasm, js, css].every(Boolean), `hashed names in:\n${html.slice(0, 2000)}`).toBe(true);
  const sizes: Record<string, number> = {};
  for (const [path, encoding] of [[wasm!, 'br'], [wasm!, 'gzip'], [js!, 'br'], [css!, 'br']]) {
    const r = await request.get(path, { headers: { 'Accept-Encoding': encoding } });
    expect(r.status(), path).toBe(200);
    expect(r.headers()['cache-control'], path).toBe('public, max-age=31536000, immutable');
    if (release) {
      // The release build made brotli and gzip copies: the browser gets the one it accepts.
      expect(r.headers()['content-encoding'], `${path} (${encoding})`).toBe(encoding);
    } else {
      // The debug build is not precompressed (`cargo leptos build` without --precompress).
      expect(r.headers()['content-encoding'], path).toBeUndefined();
    }
    sizes[`${path.split('.').pop()} ${encoding}`] = Number(r.headers()['content-length']);
  }
  console.log(`served sizes (${release ? 'release' : 'debug'}): ${JSON.stringify(sizes)}`);
  if (release) expect(sizes['wasm br']).toBeLessThanOrEqual(1_000_000);
  // A name no build made is not found, and not cached.
  const gone = await request.get('/pkg/entente.0123456789abcdef.wasm');
  expect(gone.status()).toBe(404);
  expect(gone.headers()['cache-control'] ?? '').not.toContain('immutable');
});
