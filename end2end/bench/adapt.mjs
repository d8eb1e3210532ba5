// How the stage adapts on a slow machine: one dashboard page (TRACE_QUERY,
// default the ~2,000-dots page) at 4× slower CPU for 20 s, one line a
// second with that second's frame count, p50/p95 frame interval, the stage
// canvas's backing size (half the CSS size when its resolution is lowered)
// and the sampling label. Not part of `make bench`: a tool for seeing when
// the dot budget and the resolution change (app/src/dots.rs). ADAPT_LOW=1:
// as on a machine an earlier page found to need the low resolution
// (app/src/machine.rs). Needs the release build.
import { serverUp, startServer } from './server.mjs';
import { DOTS_2000, throttledPage } from './throttled.mjs';

const PORT = 3195;
const SECS = Number(process.env.ADAPT_SECS ?? 20);
const QUERY = process.env.TRACE_QUERY ?? DOTS_2000;
const server = startServer(PORT);
try {
  await serverUp(PORT);
  const low = process.env.ADAPT_LOW ? { 'switchboard.stage.low-resolution': '1' } : {};
  const { browser, page } = await throttledPage(PORT, QUERY, 4, low);
  // One line a second, measured in the page: its frames, their p50/p95
  // interval, the stage's backing size and the sampling label.
  const out = await page.evaluate(
    (secs) =>
      new Promise((resolve) => {
        const rows = [];
        const start = performance.now();
        let last = start;
        let second = start;
        let frames = [];
        function tick(t) {
          frames.push(t - last);
          last = t;
          if (t - second >= 1000) {
            const stage = document.querySelector('canvas.stage');
            const sampling = document.querySelector('[data-testid=sampling]')?.textContent ?? 'all dots';
            frames.sort((a, b) => a - b);
            const p = (q) => frames[Math.floor(q * frames.length)].toFixed(1);
            rows.push(
              `${((t - start) / 1000).toFixed(1)}s frames ${frames.length} p50 ${p(0.5)} p95 ${p(0.95)} ` +
                `stage ${stage?.width}x${stage?.height} ${sampling}`,
            );
            frames = [];
            second = t;
          }
          if (t - start < secs * 1000) requestAnimationFrame(tick);
          else resolve(rows);
        }
        requestAnimationFrame(tick);
      }),
    SECS,
  );
  console.log(out.join('\n'));
  await browser.close();
} finally {
  server.kill();
}
