import { test, expect } from '@playwright/test';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

// Issue 24, item 16: the README's walk-through, followed literally on a fresh data directory,
// gives a token; and `entente quickstart` prints commands that work with the real values. Each
// runs against a server of its own (the binary under test: debug, then release), the CLI on its
// data directory, as a reader would.

const root = path.resolve(__dirname, '../..');
const bin = path.resolve(root, process.env.ENTENTE_BIN ?? 'target/debug/entente');

const freePort = () => new Promise<number>((resolve) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => {
    const port = (s.address() as net.AddressInfo).port;
    s.close(() => resolve(port));
  });
});

type Fresh = { dir: string; env: NodeJS.ProcessEnv; issuer: string; server: ChildProcess };

async function freshServer(): Promise<Fresh> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'entente-readme-'));
  // `entente` on the PATH is the binary under test.
  mkdirSync(path.join(dir, 'bin'));
  symlinkSync(bin, path.join(dir, 'bin', 'entente'));
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`,
    ENTENTE_DATA_DIR: path.join(dir, 'data'),
    ENTENTE_ISSUER: issuer,
    ENTENTE_LISTEN: `127.0.0.1:${port}`,
    ENTENTE_METRICS_LISTEN: 'off',
    ENTENTE_LOG: 'warn',
    LEPTOS_SITE_ROOT: path.join(root, 'target/site'),
  };
  const server = spawn(bin, ['serve'], { env, cwd: dir, stdio: 'ignore' });
  for (let i = 0; ; i++) {
    const ready = await fetch(`${issuer}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    expect(i, 'the fresh server never became ready').toBeLessThan(300);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { dir, env, issuer, server };
}

function stop(f: Fresh) {
  f.server.kill();
  rmSync(f.dir, { recursive: true, force: true });
}

const bash = (script: string, f: Fresh) =>
  execFileSync('bash', ['-euo', 'pipefail', '-c', script], { env: f.env, cwd: f.dir }).toString();

test('the README walk-through gives a token on a fresh data directory, as written', async () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Walk-through with the CLI'));
  const walk = section.slice(0, section.indexOf('\n### Command reference'));
  const blocks = walk.split('```sh\n').slice(1).map((b) => b.split('```')[0]);
  expect(blocks).toHaveLength(2);
  const f = await freshServer();
  try {
    // One shell, as a reader would; between the blocks the reader's pause, which the README's
    // "changes made by the CLI reach a running server within a second" asks for (with margin).
    const out = bash(blocks.join('\nsleep 2\n'), f);
    expect(out.match(/"active":(true|false)/g)).toEqual(['"active":true', '"active":false']);
  } finally {
    stop(f);
  }
});

test('entente quickstart prints commands that work, on an empty database and again on the same', async () => {
  const f = await freshServer();
  try {
    const text = execFileSync('entente', ['quickstart'], { env: f.env, cwd: f.dir }).toString();
    expect(text).toContain('Sandbox partner quickstart,');
    const commands = text.split('\n').filter((l) => l.startsWith('TOKEN=') || l.startsWith('curl '));
    expect(commands).toHaveLength(3);
    await new Promise((r) => setTimeout(r, 2000));
    const out = bash(commands.join('\n'), f);
    expect(out).toMatch(/"active":true/);
    expect(out.trim().split('\n').pop()).toBe('200');

    // Any database: a second run makes its own partner, and its JSON carries the same commands.
    const again = JSON.parse(execFileSync('entente', ['quickstart', '--output', 'json'], { env: f.env, cwd: f.dir }).toString());
    expect(again.partner).toBe('quickstart-2');
    expect(again.issuer).toBe(`${f.issuer}/sandbox`);
    await new Promise((r) => setTimeout(r, 2000));
    const second = bash(again.commands.join('\n'), f);
    expect(second).toMatch(/"active":true/);
    const claims = JSON.parse(Buffer.from(bash(`${again.commands[0]}\necho "$TOKEN"`, f).trim().split('.')[1], 'base64url').toString());
    expect(claims.aud).toBe(again.audience);
    expect(claims.iss).toBe(`${f.issuer}/sandbox`);
  } finally {
    stop(f);
  }
});
