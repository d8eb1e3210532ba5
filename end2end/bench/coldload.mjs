// Cold-load benchmark: how long until a fresh browser context (empty cache)
// has the dashboard interactive on localhost — the page rendered, the WASM
// hydrated, the pane's WebSocket live and the first metrics on screen —
// against a baseline of loading a static asset in the same browser. Prints
// the median of several loads and the ratio. Run with `make bench`.
import { chromium } from 'playwright-core';
import { serverUp, startServer } from './server.mjs';

const PORT = 3199;
const RUNS = 7;

const server = startServer(PORT);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  await serverUp(PORT);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const base = [];
  const live = [];
  const figures = [];
  for (let i = 0; i < RUNS; i++) {
    // Baseline: a fresh context fetching one small static file.
    {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      const t0 = Date.now();
      await page.goto(`http://127.0.0.1:${PORT}/favicon.svg`);
      base.push(Date.now() - t0);
      await ctx.close();
    }
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await ctx.newPage();
    const t0 = Date.now();
    await page.goto(`http://127.0.0.1:${PORT}/`);
    await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor();
    live.push(Date.now() - t0);
    await page.getByTestId('completed').filter({ hasNotText: /^0$/ }).waitFor();
    figures.push(Date.now() - t0);
    await ctx.close();
  }
  await browser.close();
  console.log(`baseline static asset, fresh context: median ${median(base)} ms over ${RUNS} loads`);
  console.log(`dashboard interactive (hydrated, WebSocket live): median ${median(live)} ms`);
  console.log(`dashboard with first figures on screen: median ${median(figures)} ms`);
  console.log(`cold load ratio dashboard / baseline: ${(median(live) / median(base)).toFixed(2)}`);
} finally {
  server.kill('SIGTERM');
}
