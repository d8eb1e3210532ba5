import { test, expect, type Locator, type Page } from '@playwright/test';
import { watchErrors } from './helpers';

// The projector view: everything the back row needs on one screen. Every
// size × pane count × mode is checked for overflow and clipped controls;
// in projector mode each pane's stage, headline figures and chart must be
// on screen together, without scrolling, in type large enough to read.
// Screenshots are saved with the test results for a person to look at.

const SIZES: [number, number][] = [
  [1280, 720],
  [1920, 1080],
  [3840, 2160],
];
const PANES = [
  '/?pattern=short-polling',
  '/?pattern=short-polling&vs=long-polling',
  '/?pattern=short-polling&vs=long-polling,server-sent-events',
];

type Box = { x: number; y: number; width: number; height: number };

async function box(_page: Page, sel: Locator): Promise<Box> {
  const b = await sel.boundingBox();
  expect(b, 'the element is laid out').not.toBeNull();
  return b!;
}

function inside(b: Box, w: number, h: number, what: string) {
  expect(b.x, `${what} left edge`).toBeGreaterThanOrEqual(-0.5);
  expect(b.y, `${what} top edge`).toBeGreaterThanOrEqual(-0.5);
  expect(b.x + b.width, `${what} right edge`).toBeLessThanOrEqual(w + 0.5);
  expect(b.y + b.height, `${what} bottom edge`).toBeLessThanOrEqual(h + 0.5);
}

/** Every visible control of the header and the transport bar, inside the width. */
async function controlsInside(page: Page, w: number, what: string) {
  const boxes = await page.locator('.topbar :is(button, select, h1), .transport :is(button, select)').evaluateAll((els) =>
    els
      .filter((e) => (e as HTMLElement).offsetParent !== null)
      .map((e) => {
        const r = e.getBoundingClientRect();
        return { text: (e.textContent ?? '').trim().slice(0, 20), left: r.left, right: r.right, width: r.width };
      }),
  );
  for (const b of boxes) {
    expect(b.left, `${what}: "${b.text}" starts inside`).toBeGreaterThanOrEqual(0);
    expect(b.right, `${what}: "${b.text}" ends inside`).toBeLessThanOrEqual(w);
    expect(b.width, `${what}: "${b.text}" is not squeezed to nothing`).toBeGreaterThan(8);
  }
}

for (const [w, h] of SIZES) {
  test(`${w}×${h}: one, two and three panes fit, in normal and projector mode`, async ({ page }, info) => {
    const errors = watchErrors(page);
    await page.setViewportSize({ width: w, height: h });
    for (const [i, path] of PANES.entries()) {
      const n = i + 1;
      await page.goto(path);
      await expect(page.getByTestId('pane-a').getByTestId('connection')).toHaveText('live');
      for (const mode of ['normal', 'projector']) {
        if (mode === 'projector') {
          await page.locator('body').press('p');
          await expect(page.locator('.page')).toHaveClass(/projector/);
        }
        const what = `${w}×${h}, ${n} pane(s), ${mode}`;
        // Let a metrics frame land and the canvases settle.
        await page.waitForTimeout(400);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${what}: horizontal overflow`).toBeLessThanOrEqual(0);
        await controlsInside(page, w, what);
        if (mode === 'projector') {
          // The header is one line.
          const top = await box(page, page.locator('.topbar'));
          expect(top.height, `${what}: header height`).toBeLessThan(64);
          // No scrolling: the page is the screen.
          const scroll = await page.evaluate(() => document.documentElement.scrollHeight - window.innerHeight);
          expect(scroll, `${what}: vertical scrolling`).toBeLessThanOrEqual(0);
          for (const name of ['a', 'b', 'c'].slice(0, n)) {
            const pane = page.getByTestId(`pane-${name}`);
            const stage = await box(page, pane.getByTestId('stage'));
            inside(stage, w, h, `${what}: stage ${name}`);
            expect(stage.height, `${what}: stage ${name} height`).toBeGreaterThan(150);
            inside(await box(page, pane.getByTestId('headline')), w, h, `${what}: headline ${name}`);
            inside(await box(page, pane.getByTestId('headline-p50')), w, h, `${what}: p50 ${name}`);
            inside(await box(page, pane.getByTestId('wait-chart')), w, h, `${what}: chart ${name}`);
            // Readable from the back row.
            const px = await pane.getByTestId('headline-p50').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
            expect(px, `${what}: headline value size`).toBeGreaterThanOrEqual(24);
            const label = parseFloat((await pane.getByTestId('wait-chart').getAttribute('data-label-px')) ?? '0');
            expect(label, `${what}: chart label size`).toBeGreaterThanOrEqual(24);
          }
          // The parameters are a drawer, closed until asked for.
          await expect(page.getByTestId('parameters')).toBeHidden();
        }
        await page.screenshot({ path: info.outputPath(`${w}x${h}-${n}-pane-${mode}.png`) });
        if (mode === 'projector') await page.locator('body').press('p');
      }
    }
    expect(errors).toEqual([]);
  });
}

test('1280×720 projector: poll vs long-poll vs SSE shows every stage, its staleness and wire per delivery, and a chart', async ({ page }, info) => {
  const errors = watchErrors(page);
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/?preset=poll-vs-long-poll-vs-sse');
  await page.locator('.choice').first().click();
  await expect(page.getByTestId('pane-c').getByTestId('connection')).toHaveText('live');
  await page.locator('body').press('p');
  await page.getByTestId('observe').getByRole('button', { name: 'Dismiss' }).click();
  await page.waitForTimeout(2500);
  for (const name of ['a', 'b', 'c']) {
    const pane = page.getByTestId(`pane-${name}`);
    for (const id of ['stage', 'headline-p50', 'headline-wire-per-delivery', 'wait-chart']) {
      await expect(pane.getByTestId(id)).toBeVisible();
      inside(await box(page, pane.getByTestId(id)), 1280, 720, `pane ${name} ${id}`);
    }
    await expect(pane.getByTestId('headline-wire-per-delivery')).not.toHaveText('–');
  }
  expect(await page.evaluate(() => document.documentElement.scrollHeight - window.innerHeight)).toBeLessThanOrEqual(0);
  await page.screenshot({ path: info.outputPath('poll-vs-long-poll-vs-sse-1280x720-projector.png') });
  expect(errors).toEqual([]);
});

test('projector: the parameters drawer opens with S and closes with Esc; F shows a stage full screen', async ({ page }) => {
  const errors = watchErrors(page);
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/?pattern=request-response');
  await expect(page.getByTestId('connection')).toHaveText('live');
  await page.locator('body').press('p');
  await expect(page.getByTestId('parameters')).toBeHidden();
  await page.locator('body').press('s');
  await expect(page.getByTestId('parameters')).toBeVisible();
  // Once it has slid in, the drawer is whole on screen.
  await expect
    .poll(async () => {
      const b = await box(page, page.getByTestId('parameters'));
      return b.x + b.width;
    })
    .toBeLessThanOrEqual(1280.5);
  inside(await box(page, page.getByTestId('parameters')), 1280, 720, 'drawer');
  await expect(page.getByTestId('drawer-button')).toHaveAttribute('aria-expanded', 'true');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('parameters')).toBeHidden();
  await page.getByTestId('drawer-button').click();
  await expect(page.getByTestId('parameters')).toBeVisible();
  await page.keyboard.press('Escape');
  await page.locator('body').press('f');
  await expect.poll(() => page.evaluate(() => document.fullscreenElement?.getAttribute('data-testid') ?? null)).toBe('show-a');
  const stage = await box(page, page.getByTestId('show-a').getByTestId('stage'));
  expect(stage.height).toBeGreaterThan(400);
  await expect(page.getByTestId('show-a').getByTestId('headline')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect.poll(() => page.evaluate(() => document.fullscreenElement === null)).toBe(true);
  expect(errors).toEqual([]);
});
