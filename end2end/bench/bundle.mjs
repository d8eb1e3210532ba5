// Bundle size: what a browser fetches before the first animated frame (the
// WASM, its JS glue and the stylesheet), raw and as sent (the brotli and
// gzip copies `make build` writes beside them), against the goal of
// ≤ 150 KB compressed. Reads the build in target/site/pkg (or BENCH_ROOT's),
// and prints it beside Leptos's own floor: the smallest hydrated Leptos page
// (tools/leptos_floor, one counter) built with the same settings, when
// `make bench` has built it into target/floor/pkg.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = process.env.BENCH_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PKG = path.join(ROOT, 'target/site/pkg');
const GOAL_KB = 150;

const size = (file) => (fs.existsSync(file) ? fs.statSync(file).size : NaN);
const kb = (bytes) => (bytes / 1000).toFixed(1);

/** The newest file of the build with this ending (names carry a content hash). */
function newest(ending) {
  const files = fs
    .readdirSync(PKG)
    .filter((f) => f.endsWith(ending) && !f.includes('.d.'))
    .map((f) => path.join(PKG, f));
  if (files.length === 0) throw new Error(`no *${ending} in ${PKG}: run make build first`);
  return files.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
}

const parts = ['.wasm', '.js', '.css'].map((ending) => {
  const file = newest(ending);
  return { name: ending.slice(1), raw: size(file), br: size(file + '.br'), gz: size(file + '.gz') };
});
const total = parts.reduce((t, p) => ({ raw: t.raw + p.raw, br: t.br + p.br, gz: t.gz + p.gz }), { raw: 0, br: 0, gz: 0 });

console.log('bundle fetched before the first animated frame (KB = 1000 bytes)');
console.log('part    raw KB  brotli KB  gzip KB');
for (const p of [...parts, { name: 'total', ...total }]) {
  console.log(`${p.name.padEnd(6)} ${kb(p.raw).padStart(7)}  ${kb(p.br).padStart(9)}  ${kb(p.gz).padStart(7)}`);
}
const met = total.br <= GOAL_KB * 1000;
console.log(
  `goal ≤ ${GOAL_KB} KB compressed: ${met ? 'met' : 'NOT met'} (${kb(total.br)} KB brotli, ${(total.br / (GOAL_KB * 1000)).toFixed(2)}× the goal)` +
    (met
      ? ''
      : '\nwhy it is not reached here: a build of this page with no text UI at all (stage and chart canvases only)\n' +
        "is itself over the goal, measured: Leptos's floor, the reactive graph, the frame decoder, the\n" +
        'playback, canvases and lesson texts add up past it. Figures and what was tried: README, "The bundle\'s largest parts".'),
);

// The floor: what any hydrated Leptos 0.8 page with these settings fetches.
const FLOOR = path.join(ROOT, 'target/floor/pkg/floor.wasm');
if (fs.existsSync(FLOOR + '.br')) {
  const floor = size(FLOOR + '.br');
  const wasm = parts[0].br;
  console.log(
    `Leptos floor (one hydrated counter, same settings): ${kb(floor)} KB brotli WASM; ` +
      `this page's WASM ${(wasm / floor).toFixed(2)}× it, ${kb(wasm - floor)} KB above it`,
  );
} else {
  console.log('Leptos floor: not built (tools/leptos_floor/build.sh; make bench builds it)');
}
