import { test, expect, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { classFrom, figure, openLive, watchErrors } from './helpers';

// The timeline (app/src/controls/timeline.rs, sim/src/timeline.rs): a seek
// is the uninterrupted run at that moment, checked here against the
// command line's run of the same recipe.

const RUN = 'pattern=request-response&seed=7&rate=80&workers=2&service_ms=20&queue_cap=50&timeout_ms=1000';
const SETS = ['rate=80', 'workers=2', 'service_ms=20', 'queue_cap=50', 'timeout_ms=1000'];

/** What `switchboard simulate` counts as completed by `seconds`. */
function completedBy(seconds: number): number {
  const out = execFileSync('../target/release/switchboard', [
    'simulate', '--pattern', 'request-response', '--seed', '7', '--duration', String(seconds),
    ...SETS.flatMap((s) => ['--set', s]),
  ]);
  return JSON.parse(out.toString()).completed;
}

/** Moves the scrubber to `t` seconds as a drag would. */
async function scrubTo(page: Page, t: number) {
  await page.getByTestId('scrubber').evaluate((el, t) => {
    const input = el as HTMLInputElement;
    input.value = String(t);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, t);
}

test('a link to a moment opens there, paused, with the counts of the uninterrupted run', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto(`/?${RUN}&t=20`);
  await expect(page.getByTestId('pane-a').getByTestId('connection')).toHaveText('live');
  await expect(page.getByTestId('when')).toHaveText('20.0 s, live');
  await expect(page.getByTestId('play')).toHaveText(/Play/);
  await expect(page.getByTestId('stage-clock').first()).toContainText('20.0');
  expect(await figure(page, 'completed')).toBe(completedBy(20));
  expect(errors).toEqual([]);
});

test('scrub back, step back one action, and back to live', async ({ page }) => {
  const errors = watchErrors(page);
  await openLive(page, `/?${RUN}`);
  await page.waitForTimeout(2500);
  await page.getByTestId('play').click();
  await expect(page.getByTestId('play')).toHaveText(/Play/);
  await page.waitForTimeout(1000); // the paused run's last figures arrive
  const head = await figure(page, 'completed');

  // Dragging back: the page shows the run at 1 s, exactly.
  await scrubTo(page, 0.5);
  await scrubTo(page, 1.0);
  await expect(page.getByTestId('when')).toContainText('1.0 s of');
  await expect(page.getByTestId('when')).toContainText('in the past');
  await expect.poll(() => figure(page, 'completed')).toBe(completedBy(1));
  await expect(page.getByTestId('announcer')).toContainText('At 1.0 s of');

  // The keyboard moves a second on ("]")…
  await page.keyboard.press(']');
  await expect(page.getByTestId('when')).toContainText('2.0 s of');
  await expect.poll(() => figure(page, 'completed')).toBe(completedBy(2));

  // …and one action back names what it undid.
  await page.getByTestId('step-back').click();
  await expect(page.getByTestId('announcer')).toContainText('Stepped back to');
  await expect(page.getByTestId('when')).toContainText(/^(1\.9|2\.0) s of/);

  // Live: the furthest the run had gone, with what it had completed.
  await page.getByTestId('live').click();
  await expect(page.getByTestId('when')).toContainText(', live');
  await expect.poll(() => figure(page, 'completed')).toBe(head);
  await expect(page.getByTestId('live')).toBeDisabled();

  // Playing from the past carries the same run on.
  await scrubTo(page, 1.0);
  await expect.poll(() => figure(page, 'completed')).toBe(completedBy(1));
  await page.getByTestId('play').click();
  await expect.poll(() => figure(page, 'completed')).toBeGreaterThan(completedBy(1));
  expect(errors).toEqual([]);
});

test('a change made in the past starts a new future from there', async ({ page }) => {
  const errors = watchErrors(page);
  await openLive(page, `/?${RUN}`);
  await page.waitForTimeout(2500);
  await page.getByTestId('play').click();
  await scrubTo(page, 1.0);
  await expect(page.getByTestId('when')).toContainText('1.0 s of');
  // Twice the workers from 1 s: the run's head comes back to here.
  const field = page.locator('.param:has(input[type=range][data-param=workers]) input[type=number]');
  await field.fill('4');
  await field.press('Enter');
  await expect(page.getByTestId('when')).toHaveText('1.0 s, live');
  await expect(page.getByTestId('live')).toBeDisabled();
  expect(errors).toEqual([]);
});

test('the timeline is for whoever drives: keyboard reachable, named, and absent for a follower', async ({ page }) => {
  await openLive(page, `/?${RUN}`);
  const scrubber = page.getByTestId('scrubber');
  await expect(scrubber).toHaveAccessibleName('Moment of the run');
  await expect(scrubber).toHaveAttribute('aria-valuetext', /live/);
  await page.getByTestId('play').click();
  await scrubber.focus();
  await scrubber.press('Home');
  await expect(scrubber).toHaveAttribute('aria-valuetext', /^0\.0 s of/);
});

test('a class looks where the teacher looks, and a student who joins then sees that moment', async ({ browser }) => {
  test.setTimeout(90_000);
  const teacherCtx = await browser.newContext();
  const teacher = await teacherCtx.newPage();
  await openLive(teacher, `/?${RUN}`);
  const code = await classFrom(teacher);
  const studentCtx = await browser.newContext();
  const student = await studentCtx.newPage();
  const errors = watchErrors(student);
  await student.goto(`/join/${code}`);
  await expect(student.getByTestId('pane-a').getByTestId('connection')).toHaveText('live');
  await expect(student.getByTestId('timeline')).toHaveCount(0);

  await teacher.waitForTimeout(2000);
  await teacher.getByTestId('play').click();
  await scrubTo(teacher, 1.0);
  await expect(teacher.getByTestId('when')).toContainText('1.0 s of');
  await expect.poll(() => figure(student, 'completed')).toBe(completedBy(1));
  await expect(student.getByTestId('stage-clock').first()).toContainText('1.0');

  // A late joiner is shown the same moment, not the run's head.
  const lateCtx = await browser.newContext();
  const late = await lateCtx.newPage();
  await late.goto(`/join/${code}`);
  await expect(late.getByTestId('pane-a').getByTestId('connection')).toHaveText('live');
  await expect.poll(() => figure(late, 'completed')).toBe(completedBy(1));
  expect(errors).toEqual([]);
  await Promise.all([teacherCtx.close(), studentCtx.close(), lateCtx.close()]);
});
