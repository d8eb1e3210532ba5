// How the stage adapts on a slow machine: one dashboard page (TRACE_QUERY,
// default the ~2,000-dots page) at 4× slower CPU for 20 s, one line a
// second with that second's frame count, p50/p95 frame interval, the stage
// canvas's backing size (half the CSS size when its resolution is lowered)
// and the sampling label. Not part of `make bench`: a tool for seeing when
// the dot budget and the resolution change (app/src/dots.rs). ADAPT_LOW=1:
// as on a machine an earlier page found to need the low resolution
// (app/src/machine.rs). Needs the release build.
import { chromium } from 'playwright-core';
import { serverUp, startServer } from './server.mjs';
const PORT = 3195;
const SECS = Number(process.env.ADAPT_SECS ?? 20);
const QUERY = process.env.TRACE_QUERY ?? 'rate=2100&net_ms=500&jitter_ms=0&workers=256&service_ms=1&queue_cap=1000';
const server = startServer(PORT);
try {
  await serverUp(PORT);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  if (process.env.ADAPT_LOW) {
    await page.goto(`http://127.0.0.1:${PORT}/api/patterns`);
    await page.evaluate(() => localStorage.setItem('switchboard.stage.low-resolution', '1'));
  }
  await page.goto(`http://127.0.0.1:${PORT}/?${QUERY}`);
  await page.getByTestId('connection').first().filter({ hasText: 'live' }).waitFor({ timeout: 60_000 });
  const out = await page.evaluate((secs) => new Promise((resolve) => {
    const rows = []; let last = performance.now(); let start = last; let slot = []; let slotStart = last;
    function tick(t) {
      slot.push(t - last); last = t;
      if (t - slotStart >= 1000) {
        const c = document.querySelector('canvas.stage');
        slot.sort((a, b) => a - b);
        rows.push(`${((t - start) / 1000).toFixed(1)}s frames ${slot.length} p50 ${slot[slot.length >> 1].toFixed(1)} p95 ${slot[Math.floor(slot.length * 0.95)].toFixed(1)} stage ${c?.width}x${c?.height} ${document.querySelector('[data-testid=sampling]')?.textContent ?? 'all dots'}`);
        slot = []; slotStart = t;
      }
      if (t - start < secs * 1000) requestAnimationFrame(tick); else resolve(rows);
    }
    requestAnimationFrame(tick);
  }), SECS);
  console.log(out.join('\n'));
  await browser.close();
} finally { server.kill(); }
