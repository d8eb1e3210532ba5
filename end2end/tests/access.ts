import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page } from '@playwright/test';

// What the accessibility tests share: axe-core run in the page, and the
// virtual screen reader (@guidepup/virtual-screen-reader) started with
// the page, so it hears every live region from the first frame.

const modules = join(__dirname, '..', 'node_modules');

/** The WCAG 2.2 AA rule tags the issue names. */
export const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

const AXE = readFileSync(join(modules, 'axe-core', 'axe.min.js'), 'utf8');

/** Every axe violation of the page as it is now, one line each. */
export async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the page's CSP does not apply.
  await page.evaluate(AXE);
  return page.evaluate(async (tags) => {
    const axe = (window as any).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.map(
      (v: any) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 4).map((n: any) => `${n.target.join(' ')} — ${n.failureSummary.replace(/\s+/g, ' ')}`).join(' | ')}`,
    );
  }, WCAG);
}

/** Asserts axe finds nothing, naming what it found otherwise. */
export async function expectAxeClean(page: Page, view: string) {
  const found = await axeViolations(page);
  expect(found, `axe in ${view}`).toEqual([]);
}

/** The virtual screen reader's browser bundle as a classic script that
 *  leaves it on `window.__vsr` (the bundle is an ES module). */
function readerScript(): string {
  const src = readFileSync(join(modules, '@guidepup', 'virtual-screen-reader', 'lib', 'esm', 'index.browser.js'), 'utf8');
  const m = src.match(/export\s*\{\s*([\w$]+) as Virtual\s*,\s*([\w$]+) as virtual\s*\};?/);
  if (!m) throw new Error('the virtual screen reader bundle changed shape');
  return src.replace(m[0], `window.__vsr = { Virtual: ${m[1]}, virtual: ${m[2]} };`);
}

const READER = readerScript();

/** Starts the virtual screen reader on every document the page loads, as
 *  soon as its body exists, and stamps each live announcement with the
 *  time it was heard (`window.__heard`). Call before `goto`. */
export async function withScreenReader(page: Page) {
  await page.addInitScript({ content: READER });
  await page.addInitScript(() => {
    const w = window as any;
    w.__heard = [] as { at: number; text: string }[];
    const start = async () => {
      await w.__vsr.virtual.start({ container: document.body });
      let seen = 0;
      setInterval(async () => {
        const log: string[] = await w.__vsr.virtual.spokenPhraseLog();
        for (; seen < log.length; seen++) {
          const line = log[seen];
          if (/^(polite|assertive): /.test(line)) w.__heard.push({ at: performance.now(), text: line });
        }
      }, 100);
    };
    if (document.body) start();
    else document.addEventListener('DOMContentLoaded', start);
  });
}

/** What the virtual screen reader has announced (polite and assertive). */
export async function heard(page: Page): Promise<{ at: number; text: string }[]> {
  return page.evaluate(() => (window as any).__heard ?? []);
}

/** Moves the virtual screen reader `steps` items on and returns what it
 *  said for each. */
export async function walk(page: Page, from: string, steps: number): Promise<string[]> {
  return page.evaluate(
    async ({ from, steps }) => {
      const v = (window as any).__vsr.virtual;
      await v.stop();
      await v.start({ container: document.querySelector(from) });
      const out: string[] = [];
      for (let i = 0; i < steps; i++) {
        await v.next();
        out.push(await v.lastSpokenPhrase());
      }
      return out;
    },
    { from, steps },
  );
}
