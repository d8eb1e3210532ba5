import { test, expect, type Page } from '@playwright/test';
import { openSettled, sideways, startClass, watchErrors } from './helpers';

// Phones first for followers: a student scans the class's QR code and
// gets a page that fits a 320 px screen, portrait and landscape, with the
// stage on the first screen, no teacher controls, and taps that land.

const PHONE = { viewport: { width: 320, height: 640 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 };

/** Every visible control smaller than `least` CSS px either way. */
async function smallTargets(page: Page, least: number): Promise<string[]> {
  return page.evaluate((least) => {
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('button, select, input, summary, a[href], [tabindex="0"]'))) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
      if (el.closest('.visually-hidden')) continue;
      // A box inside its label is tapped through the whole label.
      const label = el.closest('label');
      const box = el.tagName === 'INPUT' && label ? label.getBoundingClientRect() : r;
      if (box.width < least || box.height < least) out.push(`${el.tagName.toLowerCase()} "${(el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 24)}" ${box.width.toFixed(0)}×${box.height.toFixed(0)}`);
    }
    return out;
  }, least);
}

test('a follower on a 320 px phone: joins by the QR address, predicts, follows with the stage on the first screen, explores by touch', async ({ browser }) => {
  const { teacher, ctx: teacherCtx } = await startClass(browser, '/?preset=black-friday&seed=4');
  const join = (await teacher.getByTestId('join-url').textContent())!.trim();

  const phoneCtx = await browser.newContext(PHONE);
  const phone = await phoneCtx.newPage();
  const errors = watchErrors(phone);
  // What the QR code holds: the join address.
  await phone.goto(`http://${join}`);
  const ask = phone.getByTestId('class-predict');
  await expect(ask).toBeVisible();
  expect(await sideways(phone)).toBeLessThanOrEqual(0);
  await ask.locator('.choice').nth(1).tap();
  await expect(ask).toHaveCount(0);
  await expect(phone.getByTestId('my-prediction')).toContainText('You predicted');
  await expect(phone.getByTestId('pane-a').getByTestId('connection')).toHaveText('live');
  await phone.waitForTimeout(1000);

  expect(await sideways(phone), 'no horizontal scroll at 320 px').toBeLessThanOrEqual(0);
  const stage = await phone.getByTestId('pane-a').getByTestId('stage').boundingBox();
  expect(stage, 'the stage is laid out').not.toBeNull();
  expect(stage!.y + stage!.height, 'the whole stage on the first screen').toBeLessThanOrEqual(640);
  // Teacher-only controls are absent, not greyed out.
  for (const id of ['play', 'step', 'speed', 'presets', 'compare', 'start-class', 'pattern-picker']) {
    await expect(phone.getByTestId(id), id).toHaveCount(0);
  }
  await expect(phone.locator('input[type=range]')).toHaveCount(0);
  await expect(phone.getByTestId('value-rate').first()).toBeAttached();
  expect(await smallTargets(phone, 44), 'tap targets of 44 px').toEqual([]);
  // The menu folds the header; it opens to a touch.
  await phone.getByTestId('menu-button').tap();
  await expect(phone.getByTestId('help-button')).toBeVisible();
  expect(await sideways(phone)).toBeLessThanOrEqual(0);
  await phone.getByTestId('menu-button').tap();

  // Landscape.
  await phone.setViewportSize({ width: 640, height: 320 });
  await phone.waitForTimeout(500);
  expect(await sideways(phone), 'no horizontal scroll in landscape').toBeLessThanOrEqual(0);
  await phone.setViewportSize({ width: 320, height: 640 });

  // Explore on my own, by touch.
  await phone.getByTestId('explore').tap();
  await expect(phone.getByTestId('exploring')).toBeVisible();
  await expect(phone.getByTestId('pane-a').getByTestId('connection')).toHaveText('live');
  expect(await sideways(phone)).toBeLessThanOrEqual(0);
  await expect(phone.locator('input[type=range][data-param=rate]')).toBeAttached();
  await phone.getByTestId('back-to-class').tap();
  await expect(phone.getByTestId('following')).toBeVisible();
  expect(errors).toEqual([]);
  await phoneCtx.close();
  await teacherCtx.close();
});

test('the dashboard on a 320 px phone: one column, the header in a menu, every control reachable and big enough', async ({ browser }) => {
  const ctx = await browser.newContext(PHONE);
  const page = await ctx.newPage();
  const errors = watchErrors(page);
  for (const path of ['/?pattern=request-response', '/?pattern=short-polling&vs=long-polling,server-sent-events']) {
    await openSettled(page, path);
    expect(await sideways(page), `${path}: no horizontal scroll`).toBeLessThanOrEqual(0);
    await expect(page.getByTestId('presets')).toBeHidden();
    await page.getByTestId('menu-button').tap();
    await expect(page.getByTestId('presets')).toBeVisible();
    await expect(page.getByTestId('start-class')).toBeVisible();
    expect(await sideways(page)).toBeLessThanOrEqual(0);
    expect(await smallTargets(page, 44), `${path}: tap targets of 44 px`).toEqual([]);
    const stage = await page.getByTestId('pane-a').getByTestId('stage').boundingBox();
    expect(stage!.x + stage!.width).toBeLessThanOrEqual(320);
  }
  expect(errors).toEqual([]);
  await ctx.close();
});
