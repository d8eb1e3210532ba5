// One dashboard page in headless Chromium with its CPU slowed through the
// DevTools protocol, as the diagnostic tools (trace.mjs, adapt.mjs) open it.

import { chromium } from 'playwright-core';

/** The ~2,000-dots page: 2,100 req/s with 500 ms one-way latency keeps over
 * 2,000 messages on the wire. */
export const DOTS_2000 = 'rate=2100&net_ms=500&jitter_ms=0&workers=256&service_ms=1&queue_cap=1000';

/** Opens `/?query` on the server at `port` at `rate`× slower CPU, with
 * `storage` (key → value) in the page's `localStorage` first, and waits
 * until its first pane is live. Returns the browser and the page. */
export async function throttledPage(port, query, rate, storage = {}) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate });
  if (Object.keys(storage).length > 0) {
    await page.goto(`http://127.0.0.1:${port}/api/patterns`);
    await page.evaluate((entries) => entries.forEach(([k, v]) => localStorage.setItem(k, v)), Object.entries(storage));
  }
  await page.goto(`http://127.0.0.1:${port}/?${query}`);
  await page.getByTestId('connection').first().filter({ hasText: 'live' }).waitFor({ timeout: 60_000 });
  return { browser, page };
}
