import { defineConfig } from '@playwright/test';

// The server under test: the release binary `make test` just built, on its
// own port so a `make run` on 3000 does not interfere.
export const PORT = Number(process.env.E2E_PORT ?? 3100);

export const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--no-first-run',
  ],
};

export default defineConfig({
  testDir: './tests',
  timeout: 45_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    viewport: { width: 1440, height: 900 },
    launchOptions: CHROMIUM,
  },
  webServer: {
    command: `./target/release/switchboard serve --addr 127.0.0.1:${PORT} --max-real-runs 1`,
    cwd: '..',
    url: `http://127.0.0.1:${PORT}/api/patterns`,
    reuseExistingServer: false,
    timeout: 30_000,
    env: { LEPTOS_SITE_ROOT: 'target/site', RUST_LOG: 'warn' },
  },
});
