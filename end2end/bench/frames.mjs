// Frame-cost benchmark: the dashboard in headless Chromium at full speed and
// with the CPU slowed 4× through the DevTools protocol
// (`Emulation.setCPUThrottlingRate`, roughly a low-end school laptop),
// against a baseline page that only runs an empty requestAnimationFrame loop
// in the same browser at the same throttling. For each page it prints the
// p50/p95 frame interval, the share of wall time the renderer's main thread
// was busy (`Performance.getMetrics` TaskDuration), and the goal of the
// school-laptop issue beside it. Run with `make bench` (the release build
// must exist); starts and stops its own server.
import { chromium } from 'playwright-core';
import { serverUp, startServer } from './server.mjs';
import { DOTS_2000 } from './throttled.mjs';

const PORT = 3198;
const SECONDS = Number(process.env.FRAME_SECS ?? 4);
/** Windows measured per page; the median window is reported (this machine's
 * neighbours make single windows swing by a factor of two). */
const WINDOWS = Number(process.env.FRAME_WINDOWS ?? 3);

/** The pages measured, with the goals (p95 ms at 4×; busy % at 1×). */
const PAGES = [
  { name: 'default, one pane, playing', query: '', p95Goal4x: 16.7 },
  { name: 'default, one pane, paused', query: '', pause: true, busyGoal1x: 10 },
  { name: 'one idle pane (no traffic), playing', query: 'rate=0', busyGoal1x: 10 },
  { name: 'three panes (poll, long-poll, SSE)', query: 'pattern=short-polling&vs=long-polling,server-sent-events', p95Goal4x: 33.4 },
  {
    name: 'one pane, ~2,000 in flight',
    query: DOTS_2000,
    p95Goal4x: 33.4,
    inFlight: true,
  },
];

/** FRAME_ONLY: measure only the pages whose name contains it. */
const ONLY = process.env.FRAME_ONLY ?? '';

/** The median of `WINDOWS` windows, by p95 frame interval. */
async function measure(page, cdp, seconds) {
  const runs = [];
  for (let i = 0; i < WINDOWS; i++) runs.push(await window_(page, cdp, seconds));
  runs.sort((a, b) => pct(a.times, 95) - pct(b.times, 95) || a.busy - b.busy);
  return runs[Math.floor(runs.length / 2)];
}

/** Records requestAnimationFrame intervals and main-thread busy time. */
async function window_(page, cdp, seconds) {
  const busy = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'TaskDuration').value;
  };
  const before = await busy();
  const wall0 = Date.now();
  const times = await page.evaluate(
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
  const busyShare = (await busy()) - before;
  return { times, busy: (100 * busyShare) / ((Date.now() - wall0) / 1000) };
}

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const f = (x) => x.toFixed(1);

const server = startServer(PORT);
try {
  await serverUp(PORT);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const rows = [];
  for (const rate of [1, 4]) {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    // Every page learns this machine afresh: what an earlier row's page
    // remembered (app/src/machine.rs) would otherwise make a row depend on
    // the rows before it.
    await page.addInitScript(() => {
      try {
        localStorage.clear();
      } catch {}
    });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    await cdp.send('Emulation.setCPUThrottlingRate', { rate });
    await page.setContent('<html><body><canvas width=800 height=400></canvas></body></html>');
    const base = await measure(page, cdp, SECONDS);
    rows.push({ rate, name: 'baseline: empty rAF loop', ...base });
    for (const p of PAGES.filter((p) => p.name.includes(ONLY))) {
      await page.goto(`http://127.0.0.1:${PORT}/?${p.query}`);
      await page.getByTestId('connection').first().filter({ hasText: 'live' }).waitFor({ timeout: 60_000 });
      if (p.pause) await page.getByTestId('play').click();
      await page.waitForTimeout(2000);
      const note = p.inFlight ? ` (${await page.getByTestId('in-flight').first().textContent()} in flight)` : '';
      const m = await measure(page, cdp, SECONDS);
      rows.push({ rate, name: p.name + note, goal: rate === 4 ? p.p95Goal4x : undefined, busyGoal: rate === 1 ? p.busyGoal1x : undefined, ...m });
    }
    await page.close();
  }
  await browser.close();

  console.log(`frame cost, median of ${WINDOWS} windows of ${SECONDS} s per page (1440×900, headless Chromium)`);
  console.log('CPU   page                                              p50 ms  p95 ms  ×base p95  busy %  goal');
  for (const r of rows) {
    const base = rows.find((b) => b.rate === r.rate && b.name.startsWith('baseline'));
    const goals = [];
    // Frame intervals are whole vsyncs give or take timer jitter: 16.8 ms is
    // one frame, as the baseline's own p95 shows.
    if (r.goal) goals.push(`p95 ≤ ${r.goal} ms: ${pct(r.times, 95) <= r.goal * 1.03 ? 'met' : 'NOT met'}`);
    if (r.busyGoal) goals.push(`busy < ${r.busyGoal} %: ${r.busy < r.busyGoal ? 'met' : 'NOT met'}`);
    console.log(
      `${(r.rate + '×').padEnd(5)} ${r.name.padEnd(49)} ${f(pct(r.times, 50)).padStart(6)}  ${f(pct(r.times, 95)).padStart(6)}  ${(pct(r.times, 95) / pct(base.times, 95)).toFixed(2).padStart(9)}  ${f(r.busy).padStart(6)}  ${goals.join('; ')}`,
    );
  }
  const missed = rows.some((r) => r.rate === 4 && r.goal && pct(r.times, 95) > r.goal * 1.03);
  if (missed) {
    console.log(
      'why a 4× row misses its goal here: this Chromium runs without a GPU (--disable-gpu, as on this VM), so every changed canvas is\n' +
        'rasterised and committed in software on the main thread — the commit alone is ~2/3 of it on the ~2,000-dot page\n' +
        '(node bench/trace.mjs). What was tried, with figures: README, "Frame cost on a school laptop".',
    );
  }
} finally {
  server.kill('SIGTERM');
}
