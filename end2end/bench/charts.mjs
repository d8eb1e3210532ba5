// The chart decision of the school-laptop issue, measured: one dashboard
// chart (waiting time: three lines of 300 points, axes, title, legend)
// redrawn by the dashboard's hand-written canvas code, by plotters with its
// canvas backend (both compiled to WASM exactly as the bundle is: opt-level
// z, LTO, wasm-opt -Oz), and by uPlot (the JS library), in headless Chromium
// at full speed and with the CPU slowed 4×. Each redraw takes one new row,
// as a chart does when a metrics snapshot arrives, and is flushed to pixels
// (a one-pixel read-back) so rasterising counts; a flush-only loop is the
// baseline. Bytes are brotli-compressed, as the site sends them: for the
// WASM libraries the growth of a module that only makes the data, for uPlot
// its script and stylesheet. Run by `make bench`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants } from 'node:zlib';
import path from 'node:path';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CRATE = path.join(ROOT, 'tools', 'chartbench');
const TARGET = path.join(ROOT, 'target', 'chartbench');
const OUT = path.join(TARGET, 'site');
const REDRAWS = Number(process.env.CHART_REDRAWS ?? 300);

const br = (buf) =>
  brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const kb = (n) => (n / 1024).toFixed(1);

/** Builds one variant of the bench crate and returns its brotli bytes. */
function build(name, features) {
  const args = ['build', '-q', '--release', '--target', 'wasm32-unknown-unknown'];
  if (features) args.push('--features', features);
  execFileSync('cargo', args, {
    cwd: CRATE,
    env: { ...process.env, CARGO_TARGET_DIR: TARGET },
    stdio: 'inherit',
  });
  const dir = path.join(OUT, name);
  mkdirSync(dir, { recursive: true });
  const wasm = path.join(TARGET, 'wasm32-unknown-unknown', 'release', 'chartbench.wasm');
  execFileSync('wasm-bindgen', ['--target', 'web', '--out-dir', dir, wasm], { stdio: 'inherit' });
  const bg = path.join(dir, 'chartbench_bg.wasm');
  execFileSync('wasm-opt', ['-Oz', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '-o', bg, bg], { stdio: 'inherit' });
  return br(readFileSync(bg)) + br(readFileSync(path.join(dir, 'chartbench.js')));
}

const bytes = { base: build('base', ''), ours: build('ours', 'ours'), plotters: build('plotters', 'plotters') };
const uplotDir = path.join(import.meta.dirname, '..', 'node_modules', 'uplot', 'dist');
const uplotBytes = br(readFileSync(path.join(uplotDir, 'uPlot.iife.min.js'))) + br(readFileSync(path.join(uplotDir, 'uPlot.min.css')));

/** The page that times one library. */
const page = (lib) => `<!doctype html><meta charset="utf-8">
<link rel="stylesheet" href="/uplot/uPlot.min.css"><script src="/uplot/uPlot.iife.min.js"></script>
<div id="host"></div><canvas id="c" width="400" height="180"></canvas>
<script type="module">
const REDRAWS = ${REDRAWS};
const row = (i) => { const t = i / 15; const b = 40 + 25 * Math.sin(t / 7) + 8 * Math.sin(t * 1.3);
  return [t, b, b * 1.8 + 5 * Math.cos(t * 2.1), b * 2.6 + 9 * Math.sin(t * 0.7)]; };
let draw, flush;
if ('${lib}' === 'uplot' || '${lib}' === 'flush') {
  document.getElementById('c').remove();
  const cols = [[], [], [], []];
  for (let i = 0; i < 300; i++) row(i).forEach((v, k) => cols[k].push(v));
  const u = new uPlot({ width: 400, height: 180, title: 'Waiting time (ms)', legend: { show: true },
    series: [{}, { label: 'p50', stroke: '#0072B2', width: 2 }, { label: 'p95', stroke: '#E69F00', width: 2 }, { label: 'p99', stroke: '#D55E00', width: 2 }] },
    cols, document.getElementById('host'));
  const ctx = u.ctx;
  flush = () => ctx.getImageData(0, 0, 1, 1);
  let step = 300;
  draw = '${lib}' === 'flush' ? async () => {} : async () => {
    const r = row(step++); cols.forEach((c, k) => { c.shift(); c.push(r[k]); });
    u.setData(cols); await Promise.resolve();
  };
} else {
  const m = await import('/${lib}/chartbench.js'); await m.default();
  const canvas = document.getElementById('c'); const ctx = canvas.getContext('2d');
  flush = () => ctx.getImageData(0, 0, 1, 1);
  let step = 0;
  draw = async () => { m.redraw(canvas, 1, step++); await Promise.resolve(); };
}
for (let i = 0; i < 20; i++) { await draw(); flush(); }
const times = [];
for (let i = 0; i < REDRAWS; i++) { const t0 = performance.now(); await draw(); flush(); times.push(performance.now() - t0); }
window.result = times;
</script>`;

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const results = [];
try {
  for (const rate of [1, 4]) {
    for (const lib of ['flush', 'ours', 'plotters', 'uplot']) {
      const ctx = await browser.newContext();
      await ctx.route('http://bench.local/**', (route) => {
        const url = new URL(route.request().url());
        if (url.pathname === '/') return route.fulfill({ contentType: 'text/html', body: page(lib) });
        const file = url.pathname.startsWith('/uplot/')
          ? path.join(uplotDir, url.pathname.slice('/uplot/'.length))
          : path.join(OUT, url.pathname);
        const type = file.endsWith('.wasm') ? 'application/wasm' : file.endsWith('.css') ? 'text/css' : 'text/javascript';
        return route.fulfill({ contentType: type, body: readFileSync(file) });
      });
      const p = await ctx.newPage();
      const cdp = await ctx.newCDPSession(p);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate });
      await p.goto('http://bench.local/');
      await p.waitForFunction(() => window.result, null, { timeout: 300_000 });
      const times = (await p.evaluate(() => window.result)).sort((a, b) => a - b);
      const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
      results.push({ rate, lib, p50: at(0.5), p95: at(0.95) });
      await ctx.close();
    }
  }
} finally {
  await browser.close();
}

const flushAt = (rate) => results.find((r) => r.rate === rate && r.lib === 'flush');
const lines = [
  `charts (one chart, 3 lines × 300 points, ${REDRAWS} redraws, each flushed to pixels):`,
  '| library | bytes (brotli) | redraw p50 / p95 at 1× | at 4× slower CPU | p50 at 4× over ours |',
  '|---|---|---|---|---|',
];
const own = (lib) => ({ ours: bytes.ours - bytes.base, plotters: bytes.plotters - bytes.base, uplot: uplotBytes })[lib];
const cost = (rate, lib) => { const r = results.find((x) => x.rate === rate && x.lib === lib); const f = flushAt(rate);
  return { p50: Math.max(0, r.p50 - f.p50), p95: Math.max(0, r.p95 - f.p95) }; };
for (const lib of ['ours', 'plotters', 'uplot']) {
  const a = cost(1, lib), b = cost(4, lib);
  const ratio = b.p50 / Math.max(1e-3, cost(4, 'ours').p50);
  lines.push(`| ${lib} | ${kb(own(lib))} KB | ${a.p50.toFixed(2)} / ${a.p95.toFixed(2)} ms | ${b.p50.toFixed(2)} / ${b.p95.toFixed(2)} ms | ${ratio.toFixed(2)} |`);
}
lines.push(`(flush-only baseline subtracted: ${flushAt(1).p50.toFixed(2)} ms at 1×, ${flushAt(4).p50.toFixed(2)} ms at 4×; base module ${kb(bytes.base)} KB)`);
console.log(lines.join('\n'));
writeFileSync(path.join(TARGET, 'charts.md'), lines.join('\n') + '\n');
