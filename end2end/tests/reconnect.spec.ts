import { test, expect } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { openLive } from './helpers';

// A server of our own, so it can be stopped and started under the page.
const PORT = 3197;
const ROOT = path.resolve(__dirname, '../..');

function start(): ChildProcess {
  return spawn('./target/release/switchboard', ['serve', '--addr', `127.0.0.1:${PORT}`], {
    cwd: ROOT,
    env: { ...process.env, LEPTOS_SITE_ROOT: 'target/site', RUST_LOG: 'warn' },
    stdio: 'ignore',
  });
}

async function up() {
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${PORT}/api/patterns`);
      if (r.ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}

test('the page reconnects by itself when the server restarts', async ({ page }) => {
  let server = start();
  try {
    await up();
    await openLive(page, `http://127.0.0.1:${PORT}/?rate=150`);
    server.kill('SIGTERM');
    await expect(page.getByTestId('connection')).toContainText('reconnecting');
    server = start();
    await up();
    await expect(page.getByTestId('connection')).toHaveText('live', { timeout: 15_000 });
    // The new session carries the page's settings and plays.
    await expect(page.getByTestId('value-rate')).toHaveText('150 req/s');
    const before = parseFloat((await page.getByTestId('completed').textContent()) ?? '0');
    await expect.poll(async () => parseFloat((await page.getByTestId('completed').textContent()) ?? '0')).toBeGreaterThan(before);
  } finally {
    server.kill('SIGTERM');
  }
});
