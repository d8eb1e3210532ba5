import { test, expect, type Page } from '@playwright/test';
import { openSettled, openLive, sideways, watchErrors } from './helpers';

// Low vision and colour: forced colours reach the canvases, 200 % zoom and
// WCAG 1.4.12 text spacing clip nothing, reduced motion runs no animation.

/** Text that its box cuts off: elements that clip (overflow hidden or
 *  clip) and whose content is larger than they are. */
async function clipped(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('body *'))) {
      if (el.closest('.visually-hidden') || el.tagName === 'CANVAS' || el.tagName === 'svg' || el.closest('svg')) continue;
      const s = getComputedStyle(el);
      const clips = ['hidden', 'clip'].includes(s.overflowX) || ['hidden', 'clip'].includes(s.overflowY);
      if (!clips || !el.textContent?.trim() || el.offsetParent === null) continue;
      if (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1) {
        out.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}" ${el.scrollWidth}×${el.scrollHeight} in ${el.clientWidth}×${el.clientHeight}`);
      }
    }
    return out;
  });
}

test('200 % zoom and WCAG text spacing: no sideways scroll, nothing clipped', async ({ browser }) => {
  // A 1280×800 laptop at 200 %: 640×400 CSS pixels.
  const ctx = await browser.newContext({ viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 });
  const page = await ctx.newPage();
  const errors = watchErrors(page);
  for (const path of ['/?pattern=request-response&seed=3', '/?pattern=short-polling&vs=long-polling&seed=3']) {
    await openSettled(page, path);
    expect(await sideways(page)).toBeLessThanOrEqual(0);
    expect(await clipped(page), `${path} at 200 %`).toEqual([]);
    await page.addStyleTag({
      content: '* { line-height: 1.5 !important; letter-spacing: 0.12em !important; word-spacing: 0.16em !important; } p { margin-bottom: 2em !important; }',
    });
    await page.waitForTimeout(500);
    expect(await clipped(page), `${path} with text spacing`).toEqual([]);
    expect(await sideways(page)).toBeLessThanOrEqual(0);
  }
  expect(errors).toEqual([]);
  await ctx.close();
});

test('forced colours: the stage and charts draw in the system’s colours', async ({ browser }) => {
  const ctx = await browser.newContext({ forcedColors: 'active', viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  const errors = watchErrors(page);
  await openLive(page, '/?pattern=request-response&rate=300&loss=0.05&seed=3');
  await page.waitForTimeout(2500);
  const share = await page.evaluate(() => {
    const probe = document.createElement('span');
    document.body.append(probe);
    const system = ['CanvasText', 'Canvas', 'Highlight'].map((c) => {
      probe.style.color = c;
      const m = getComputedStyle(probe).color.match(/\d+/g)!.map(Number);
      return m.slice(0, 3);
    });
    probe.remove();
    const result: Record<string, number> = {};
    // A pixel is the system's when it is one of its colours or a blend of
    // two (antialiased edges, a fading mark): on the segment between them.
    const near = (p: number[]) =>
      system.some((a) =>
        system.some((b) => {
          const ab = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
          const ap = [p[0] - a[0], p[1] - a[1], p[2] - a[2]];
          const len = ab[0] ** 2 + ab[1] ** 2 + ab[2] ** 2;
          const t = len === 0 ? 0 : Math.max(0, Math.min(1, (ap[0] * ab[0] + ap[1] * ab[1] + ap[2] * ab[2]) / len));
          const d = [ap[0] - t * ab[0], ap[1] - t * ab[1], ap[2] - t * ab[2]];
          return Math.hypot(d[0], d[1], d[2]) <= 8;
        }),
      );
    for (const id of ['stage', 'wait-chart']) {
      const c = document.querySelector<HTMLCanvasElement>(`[data-testid=pane-a] [data-testid=${id}]`)!;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let ours = 0;
      let all = 0;
      for (let i = 0; i < d.length; i += 4) {
        // A transparent pixel shows the page behind (in its system colour).
        if (d[i + 3] === 0) continue;
        all++;
        if (near([d[i], d[i + 1], d[i + 2]])) ours++;
      }
      result[id] = ours / all;
    }
    return result;
  });
  expect(share.stage).toBeGreaterThan(0.995);
  expect(share['wait-chart']).toBeGreaterThan(0.995);
  expect(errors).toEqual([]);
  await ctx.close();
});

test('reduced motion: no CSS animation runs and dots step instead of gliding', async ({ browser }) => {
  const ctx = await browser.newContext({ reducedMotion: 'reduce' });
  const page = await ctx.newPage();
  await openLive(page, '/?pattern=request-response&seed=3');
  await page.locator('body').press('p');
  await page.locator('body').press('s');
  expect(await page.evaluate(() => document.getAnimations().length)).toBe(0);
  await ctx.close();
});
