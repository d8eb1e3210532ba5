// Where a page's main-thread time goes: a Chromium performance trace of one
// dashboard page (TRACE_QUERY, default the ~2,000-dots page) at TRACE_RATE×
// slower CPU (default 4) for TRACE_SECS seconds, summed by top-level task
// kind on the renderer's main thread. Not part of `make bench`: a tool for
// deciding what to make cheaper next. Needs the release build.
import { serverUp, startServer } from './server.mjs';
import { DOTS_2000, throttledPage } from './throttled.mjs';

const PORT = 3197;
const QUERY = process.env.TRACE_QUERY ?? DOTS_2000;
const RATE = Number(process.env.TRACE_RATE ?? 4);
const SECS = Number(process.env.TRACE_SECS ?? 4);

const server = startServer(PORT);
try {
  await serverUp(PORT);
  const { browser, page } = await throttledPage(PORT, QUERY, RATE);
  await page.waitForTimeout(3000);
  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  await page.waitForTimeout(SECS * 1000);
  const trace = JSON.parse((await browser.stopTracing()).toString());
  await browser.close();
  const events = trace.traceEvents;
  // The renderer main thread: the thread of the most "FunctionCall"s.
  const calls = new Map();
  for (const e of events) if (e.name === 'FunctionCall') calls.set(`${e.pid}:${e.tid}`, (calls.get(`${e.pid}:${e.tid}`) ?? 0) + 1);
  const main = [...calls.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const total = new Map();
  const nested = new Map();
  for (const e of events) {
    if (`${e.pid}:${e.tid}` !== main || e.ph !== 'X' || !e.dur) continue;
    const map = e.name === 'RunTask' ? total : nested;
    map.set(e.name, (map.get(e.name) ?? 0) + e.dur / 1000);
  }
  const wall = SECS * 1000;
  console.log(`main thread, ${SECS} s at ${RATE}× (${QUERY || 'default page'}):`);
  console.log(`  tasks (RunTask): ${(total.get('RunTask') ?? 0).toFixed(0)} ms of ${wall} ms`);
  for (const [name, ms] of [...nested.entries()].sort((a, b) => b[1] - a[1]).slice(0, 14)) {
    console.log(`  ${name.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms  ${((100 * ms) / wall).toFixed(0).padStart(3)} %`);
  }
} finally {
  server.kill();
}
