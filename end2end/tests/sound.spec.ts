import { test, expect, type Page } from '@playwright/test';
import { openLive, watchErrors } from './helpers';

// Sound is opt-in: nothing is started until the user turns it on; then
// earcons are rate-capped, and silent while paused or hidden. Counted by
// wrapping the oscillators' start().

async function countStarts(page: Page) {
  await page.addInitScript(() => {
    const w = window as any;
    w.__starts = 0;
    const start = AudioScheduledSourceNode.prototype.start;
    AudioScheduledSourceNode.prototype.start = function (...args: any[]) {
      w.__starts++;
      return start.apply(this, args as any);
    };
  });
}

const starts = (page: Page) => page.evaluate(() => (window as any).__starts as number);

test('sound is off by default, capped when on, silent while paused or hidden', async ({ page }) => {
  const errors = watchErrors(page);
  await countStarts(page);
  await openLive(page, '/?pattern=request-response&rate=600&workers=2&service_ms=10&loss=0.1&seed=3');
  await page.waitForTimeout(4000);
  expect(await starts(page), 'no sound unless asked for').toBe(0);

  await page.getByTestId('help-button').click();
  await page.getByTestId('sound').check();
  await page.keyboard.press('Escape');
  const t0 = Date.now();
  const s0 = await starts(page);
  await page.waitForTimeout(5000);
  const played = (await starts(page)) - s0;
  const secs = (Date.now() - t0) / 1000;
  expect(played, 'earcons play').toBeGreaterThan(3);
  // At most eight earcons a second, and the queue's tone once.
  expect(played).toBeLessThanOrEqual(8 * (secs + 0.5) + 1);

  await page.getByTestId('play').click();
  await page.waitForTimeout(1000);
  const paused = await starts(page);
  await page.waitForTimeout(3000);
  expect(await starts(page), 'silent while paused').toBe(paused);

  await page.getByTestId('play').click();
  await page.evaluate(() => Object.defineProperty(document, 'hidden', { configurable: true, get: () => true }));
  await page.waitForTimeout(1000);
  const hidden = await starts(page);
  await page.waitForTimeout(3000);
  expect(await starts(page), 'silent while hidden').toBe(hidden);
  expect(errors).toEqual([]);
});
