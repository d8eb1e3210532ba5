import { test, expect, type Page } from '@playwright/test';
import { classFrom, openLive, typeValue, watchErrors } from './helpers';

// Everything by keyboard: every function reachable with Tab, focus never
// thrown to the page's body while the run re-renders (sampled every 200 ms
// as in MAIDR's fix), single-key shortcuts that can be turned off, modal
// dialogs that hold and return the focus, a visible focus ring.

/** Samples what has focus every 200 ms for `ms`: the tags seen. */
async function focusSamples(page: Page, ms: number): Promise<string[]> {
  return page.evaluate(
    (ms) =>
      new Promise<string[]>((resolve) => {
        const seen: string[] = [];
        const timer = setInterval(() => {
          const a = document.activeElement;
          seen.push(a ? `${a.tagName}${a.getAttribute('data-testid') ? '#' + a.getAttribute('data-testid') : ''}` : 'none');
        }, 200);
        setTimeout(() => {
          clearInterval(timer);
          resolve(seen);
        }, ms);
      }),
    ms,
  );
}

test('focus stays where the reader put it through ten seconds of a live run', async ({ page }) => {
  const errors = watchErrors(page);
  await openLive(page, '/?pattern=request-response&rate=150&seed=3');
  // A slider, a recent request's button and a chart's table: each holds
  // its focus while the run re-renders around it.
  await page.locator('input[type=range][data-param=rate]').focus();
  let seen = await focusSamples(page, 4000);
  expect(seen.filter((s) => !s.startsWith('INPUT'))).toEqual([]);
  await page.locator('details.recent summary').first().click();
  await page.getByTestId('recent').locator('button').first().focus();
  seen = await focusSamples(page, 3000);
  expect(seen.filter((s) => !s.startsWith('BUTTON'))).toEqual([]);
  await page.getByTestId('table-toggle-rate-chart').first().click();
  await page.locator('.chart-table').first().focus();
  const before = await page.getByTestId('table-rate-chart').first().innerText();
  seen = await focusSamples(page, 3000);
  expect(seen.filter((s) => !s.startsWith('DIV'))).toEqual([]);
  // Frozen while read.
  expect(await page.getByTestId('table-rate-chart').first().innerText()).toBe(before);
  expect(errors).toEqual([]);
});

test('a follower’s focus holds while the teacher changes the run', async ({ browser }) => {
  const teacherCtx = await browser.newContext();
  const teacher = await teacherCtx.newPage();
  await openLive(teacher, '/?pattern=request-response&rate=120&seed=2');
  const code = await classFrom(teacher);
  const studentCtx = await browser.newContext();
  const student = await studentCtx.newPage();
  await student.goto(`/join/${code}`);
  await expect(student.getByTestId('pane-a').getByTestId('connection')).toHaveText('live');
  await student.getByTestId('describe-now').focus();
  const sampling = focusSamples(student, 8000);
  await typeValue(teacher, 'rate', '300');
  await teacher.locator('details.recent summary').click();
  await teacher.getByTestId('recent').locator('button').first().click();
  await teacher.keyboard.press('Escape');
  await teacher.getByTestId('play').click();
  await teacher.getByTestId('play').click();
  const seen = await sampling;
  await expect(student.getByTestId('value-rate')).toHaveText('300 req/s');
  expect(seen.filter((s) => s !== 'BUTTON#describe-now')).toEqual([]);

  // "Pause my view" (Space for a follower): the student's page holds
  // still while the class goes on, and jumps to where it is on return.
  await expect(teacher.getByTestId('play')).toHaveText(/Pause/);
  await student.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await student.keyboard.press(' ');
  await expect(student.getByTestId('hold')).toHaveAttribute('aria-pressed', 'true');
  const clock = student.getByTestId('stage-clock');
  const held = await clock.textContent();
  await student.waitForTimeout(1500);
  await expect(clock).toHaveText(held!);
  await student.getByTestId('hold').click();
  await expect(student.getByTestId('hold')).toHaveAttribute('aria-pressed', 'false');
  await expect.poll(async () => parseFloat((await clock.textContent())!.replace(/[^\d.]/g, ''))).toBeGreaterThan(parseFloat(held!.replace(/[^\d.]/g, '')) + 1);
  await studentCtx.close();
  await teacherCtx.close();
});

test('every function is reachable with Tab, the help holds and returns the focus, the ring shows', async ({ page }) => {
  const errors = watchErrors(page);
  await openLive(page, '/?pattern=request-response&seed=3');
  await page.locator('body').click({ position: { x: 1, y: 1 } });
  const reached = new Set<string>();
  const obscured: string[] = [];
  for (let i = 0; i < 120; i++) {
    await page.keyboard.press('Tab');
    const [id, hidden] = await page.evaluate(() => {
      const a = document.activeElement as HTMLElement | null;
      if (!a) return ['none', false];
      const name = a.getAttribute('data-testid') ?? a.getAttribute('data-param') ?? a.getAttribute('aria-label') ?? a.textContent?.trim().slice(0, 20) ?? a.tagName;
      // WCAG 2.4.11: what has focus is not hidden under something else.
      const r = a.getBoundingClientRect();
      const top = document.elementFromPoint(r.left + r.width / 2, r.top + Math.min(r.height / 2, 10));
      return [name, !!top && top !== a && !a.contains(top) && !top.contains(a)];
    });
    reached.add(id as string);
    if (hidden) obscured.push(id as string);
  }
  expect(obscured, 'focused controls covered by something').toEqual([]);
  expect(reached, 'the skip link is a stop').toContain('Skip to the run');
  for (const id of ['presets', 'compare', 'projector', 'join-code', 'start-class', 'help-button', 'play', 'speed', 'describe-now', 'share', 'png',
    'export-csv-a', 'export-transcript-a', 'pattern-picker', 'rate', 'workers', 'table-toggle-wait-chart', 'table-toggle-depth-chart']) {
    expect(reached, `Tab reaches ${id}`).toContain(id);
  }

  // The focus ring: at least 2 px, 3:1 against the page.
  await page.getByTestId('play').focus();
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab');
  const ring = await page.getByTestId('play').evaluate((el) => {
    const s = getComputedStyle(el);
    return { width: parseFloat(s.outlineWidth), style: s.outlineStyle, colour: s.outlineColor };
  });
  expect(ring.width).toBeGreaterThanOrEqual(2);
  expect(ring.style).not.toBe('none');

  // The help: a modal that takes the focus, keeps Tab inside, gives it back.
  await page.getByTestId('help-button').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('help')).toBeVisible();
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => !!document.activeElement?.closest('[data-testid=help]'))).toBe(true);
  }
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('help')).toHaveCount(0);
  await expect(page.getByTestId('help-button')).toBeFocused();
  expect(errors).toEqual([]);
});

test('single-key shortcuts can be turned off; Alt+Shift always works; the choice is remembered', async ({ page }) => {
  const errors = watchErrors(page);
  await openLive(page, '/?pattern=request-response&seed=3');
  await page.locator('body').press('p');
  await expect(page.locator('.page.projector')).toHaveCount(1);
  await page.locator('body').press('p');
  await expect(page.locator('.page.projector')).toHaveCount(0);
  await page.getByTestId('help-button').click();
  await page.getByTestId('single-key').uncheck();
  await page.keyboard.press('Escape');
  await page.locator('body').press('p');
  await page.waitForTimeout(300);
  await expect(page.locator('.page.projector')).toHaveCount(0);
  await page.keyboard.press('Alt+Shift+KeyP');
  await expect(page.locator('.page.projector')).toHaveCount(1);
  await page.keyboard.press('Alt+Shift+KeyP');
  // Remembered on this device.
  await openLive(page, '/?pattern=request-response&seed=3');
  await page.locator('body').press('p');
  await page.waitForTimeout(300);
  await expect(page.locator('.page.projector')).toHaveCount(0);
  // Alt+Shift+K plays and pauses.
  await page.keyboard.press('Alt+Shift+KeyK');
  await expect(page.getByTestId('play')).toHaveText(/Play/);
  expect(errors).toEqual([]);
});
