// Frame-time benchmark: the dashboard animating ~2,000 dots in flight in
// headless Chromium, against a baseline page that only runs an empty
// requestAnimationFrame loop in the same browser. Prints p50/p95 frame
// intervals and the ratio to the baseline. Run with `make bench` (the release
// build must exist); starts and stops its own server.
import { chromium } from 'playwright-core';
import { serverUp, startServer } from './server.mjs';

const PORT = 3198;
const SECONDS = 6;

const server = startServer(PORT);

/** Records requestAnimationFrame intervals for `seconds`. */
async function frameTimes(page, seconds) {
  return page.evaluate(
    (ms) =>
      new Promise((resolve) => {
        const times = [];
        let last = performance.now();
        const end = last + ms;
        function tick(t) {
          times.push(t - last);
          last = t;
          if (t < end) requestAnimationFrame(tick);
          else resolve(times.slice(5));
        }
        requestAnimationFrame(tick);
      }),
    seconds * 1000,
  );
}

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

try {
  await serverUp(PORT);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });

  await page.setContent('<html><body><canvas width=800 height=400></canvas></body></html>');
  const base = await frameTimes(page, SECONDS);

  // 2,100 req/s with 500 ms one-way latency: over 2,000 messages on the wire.
  await page.goto(`http://127.0.0.1:${PORT}/?rate=2100&net_ms=500&jitter_ms=0&workers=256&service_ms=1&queue_cap=1000`);
  await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor();
  await page.waitForTimeout(2000);
  const inFlight = await page.getByTestId('in-flight').textContent();
  const dash = await frameTimes(page, SECONDS);
  await browser.close();

  const f = (x) => x.toFixed(2);
  console.log(`baseline empty rAF loop: p50 ${f(pct(base, 50))} ms, p95 ${f(pct(base, 95))} ms over ${base.length} frames`);
  console.log(`dashboard with ${inFlight} messages in flight: p50 ${f(pct(dash, 50))} ms, p95 ${f(pct(dash, 95))} ms over ${dash.length} frames`);
  console.log(`p95 frame time ratio dashboard / baseline: ${f(pct(dash, 95) / pct(base, 95))}`);
  console.log(`dashboard fps (from p95): ${f(1000 / pct(dash, 95))}`);
} finally {
  server.kill('SIGTERM');
}
