import { expect, type Browser, type BrowserContextOptions, type Page } from '@playwright/test';

/** Collects console errors, page errors and failed requests of a page. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // A navigation the test asked for (compare, remove a pane, a scenario)
    // aborts what the old page was still loading: not a failure.
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return errors;
}

/** Opens the dashboard and waits until its WebSocket is live and metrics flow. */
export async function openLive(page: Page, path = '/') {
  await page.goto(path);
  await expect(page.getByTestId('connection')).toHaveText('live');
  await expect(page.getByTestId('completed')).not.toHaveText('0');
}

/** The pixels of a canvas, as a data URL. */
export async function pixels(page: Page, testid: string): Promise<string> {
  return page.getByTestId(testid).evaluate((c) => (c as HTMLCanvasElement).toDataURL());
}

/** What pane A's stage shows: its canvas's pixels and the clock beside it. */
export async function stageAndClock(page: Page): Promise<string> {
  const clock = await page.getByTestId('stage-clock').first().textContent();
  return `${clock} ${await pixels(page, 'stage')}`;
}

/** A tile's number. */
export async function figure(page: Page, testid: string): Promise<number> {
  const text = (await page.getByTestId(testid).textContent()) ?? '';
  return parseFloat(text);
}

/** Moves a range input to `position` (0..1000) as a person dragging it would. */
export async function slide(page: Page, param: string, position: number) {
  await page.locator(`input[type=range][data-param=${param}]`).evaluate((el, pos) => {
    const input = el as HTMLInputElement;
    input.value = String(pos);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, position);
}

/** Types an exact value into a parameter's number field and commits it. */
export async function typeValue(page: Page, param: string, value: string) {
  const field = page.locator(`.param:has(input[type=range][data-param=${param}]) input[type=number]`);
  await field.fill(value);
  await field.press('Enter');
}

/** Turns what `teacher` shows into a class: its join code. */
export async function classFrom(teacher: Page): Promise<string> {
  if ((teacher.viewportSize()?.width ?? 1280) <= 720) await teacher.getByTestId('menu-button').click();
  await teacher.getByTestId('start-class').click();
  await expect(teacher).toHaveURL(/\?room=/);
  return (await teacher.getByTestId('class-code').textContent())!.trim();
}

/** A teacher's class started from scenario link `path` (its prediction
 *  answered with the first choice), in a browser context of its own. */
export async function startClass(browser: Browser, path: string, options: BrowserContextOptions = {}) {
  const ctx = await browser.newContext(options);
  const teacher = await ctx.newPage();
  await teacher.goto(path);
  await teacher.locator('.choice').first().click();
  await expect(teacher.getByTestId('pane-a').getByTestId('connection')).toHaveText('live');
  const code = await classFrom(teacher);
  return { teacher, code, ctx };
}

/** How far the page scrolls sideways, in CSS px (0: it fits). */
export async function sideways(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** Opens `path` and waits until pane A is live and has drawn a little. */
export async function openSettled(page: Page, path: string) {
  await page.goto(path);
  await expect(page.getByTestId('pane-a').getByTestId('connection')).toHaveText('live');
  await page.waitForTimeout(800);
}

/** Moves the timeline's scrubber to `t` seconds as a drag would. */
export async function scrubTo(page: Page, t: number) {
  await page.getByTestId('scrubber').evaluate((el, t) => {
    const input = el as HTMLInputElement;
    input.value = String(t);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, t);
}
