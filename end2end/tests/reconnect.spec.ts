import { test, expect } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { openLive } from './helpers';

// A server of our own, so it can be stopped and started under the page.
const PORT = 3197;
const ROOT = path.resolve(__dirname, '../..');

function start(...flags: string[]): ChildProcess {
  return spawn('./target/release/switchboard', ['serve', '--addr', `127.0.0.1:${PORT}`, ...flags], {
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
    // The page says why: the server closed with 1001 and its reason.
    await expect(page.getByTestId('connection')).toContainText('the server is restarting');
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

test('a full server tells the page, and the page gets in when a place frees up', async ({ page, browser }) => {
  const server = start('--max-sessions', '1');
  const other = await browser.newPage();
  try {
    await up();
    await openLive(other, `http://127.0.0.1:${PORT}/`);
    await page.goto(`http://127.0.0.1:${PORT}/`);
    await expect(page.getByTestId('connection')).toContainText('the server is full (1 sessions)');
    await other.close();
    await expect(page.getByTestId('connection')).toHaveText('live', { timeout: 30_000 });
  } finally {
    server.kill('SIGTERM');
  }
});

test('a run heavier than its CPU budget says how fast it really runs', async ({ page }) => {
  const server = start();
  try {
    await up();
    await openLive(
      page,
      `http://127.0.0.1:${PORT}/?rate=20000&workers=256&service_ms=0.01&timeout_ms=200&spike_at_s=0&spike_s=3600&spike_x=20`,
    );
    await page.getByTestId('speed').selectOption('20');
    await expect(page.getByTestId('behind')).toContainText(/running at [\d.]+× of the 20× asked/);
    const shown = await page.getByTestId('behind').textContent();
    const achieved = parseFloat(shown?.match(/running at ([\d.]+)/)?.[1] ?? '99');
    expect(achieved).toBeLessThan(18);
    // Slowed down enough, it keeps up, and the notice goes away.
    await page.getByTestId('speed').selectOption('0.1');
    await expect(page.getByTestId('behind')).toHaveCount(0, { timeout: 15_000 });
  } finally {
    server.kill('SIGTERM');
  }
});
