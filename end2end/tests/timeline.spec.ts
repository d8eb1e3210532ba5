import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { classFrom, figure, openLive, scrubTo, watchErrors } from './helpers';
import { expectAxeClean } from './access';

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

  // The teacher's bookmark reaches the class: said to each student, and
  // theirs to go back to when they explore (a late joiner's too).
  await teacher.getByTestId('bookmark-label').fill('look here');
  await teacher.getByTestId('bookmark').click();
  await expect(student.getByTestId('announcer')).toContainText('The teacher bookmarked 1.0 s: look here.');
  const later = await (await browser.newContext()).newPage();
  await later.goto(`/join/${code}`);
  await expect(later.getByTestId('pane-a').getByTestId('connection')).toHaveText('live');
  for (const p of [student, later]) {
    await p.getByTestId('explore').click();
    await expect(p.getByTestId('pane-a').getByTestId('connection')).toHaveText('live');
    await expect(p.getByTestId('bookmarks').getByRole('button', { name: 'Go to 1.0 s, look here' })).toBeVisible();
  }
  expect(errors).toEqual([]);
  await Promise.all([teacherCtx.close(), studentCtx.close(), lateCtx.close()]);
});

test('bookmarks: marked by button and key, named, listed, carried by the link, removable', async ({ page }) => {
  const errors = watchErrors(page);
  await openLive(page, `/?${RUN}`);
  await page.waitForTimeout(2500);
  await page.getByTestId('play').click();
  await scrubTo(page, 1.0);
  await expect(page.getByTestId('when')).toContainText('1.0 s of');
  await page.getByTestId('bookmark-label').fill('first look');
  await page.getByTestId('bookmark').click();
  await expect(page.getByTestId('announcer')).toContainText('Bookmarked 1.0 s, first look.');
  await expect(page.getByTestId('bookmark-label')).toHaveValue('');
  // The key B marks the moment shown too (unlabelled).
  await page.keyboard.press(']');
  await expect(page.getByTestId('when')).toContainText('2.0 s of');
  await page.locator('body').press('b');
  const list = page.getByTestId('bookmarks');
  await expect(list.getByRole('button', { name: 'Go to 1.0 s, first look' })).toBeVisible();
  await expect(list.getByRole('button', { name: 'Go to 2.0 s' })).toBeVisible();
  expect(await page.evaluate(() => location.search)).toContain('&bm=1%3Afirst%20look&bm=2%3A');

  // A reload (the link) keeps them; a bookmark goes back to its moment.
  await page.reload();
  await expect(page.getByTestId('pane-a').getByTestId('connection')).toHaveText('live');
  await page.waitForTimeout(2500);
  await page.getByTestId('play').click();
  await expect(page.getByTestId('play')).toHaveText(/Play/);
  await list.getByRole('button', { name: 'Go to 1.0 s, first look' }).click();
  await expect(page.getByTestId('when')).toContainText('1.0 s of');
  await expect.poll(() => figure(page, 'completed')).toBe(completedBy(1));
  await list.getByRole('button', { name: 'Remove the bookmark at 2.0 s' }).click();
  await expect(list.getByRole('button', { name: /^Go to/ })).toHaveCount(1);
  expect(await page.evaluate(() => location.search)).not.toContain('&bm=2');
  expect(errors).toEqual([]);
});

test('a link carries the live changes: it opens the same run, at the same moment, as the command line', async ({ page, browser }) => {
  const errors = watchErrors(page);
  await openLive(page, `/?${RUN}`);
  await page.waitForTimeout(1500);
  await page.getByTestId('play').click();
  await expect(page.getByTestId('play')).toHaveText(/Play/);
  const field = page.locator('.param:has(input[type=range][data-param=rate]) input[type=number]');
  await field.fill('160');
  await field.press('Enter');
  await expect.poll(() => page.evaluate(() => location.search)).toContain('&ch=');
  await page.getByTestId('play').click();
  await page.waitForTimeout(1500);
  await page.getByTestId('play').click();
  await expect(page.getByTestId('play')).toHaveText(/Play/);
  await page.waitForTimeout(500);
  const search = await page.evaluate(() => location.search);
  const change = new URLSearchParams(search).getAll('ch');
  expect(change).toHaveLength(1);
  expect(change[0]).toMatch(/^[0-9.]+:rate:160$/);
  const head = await figure(page, 'completed');
  const at = (await page.getByTestId('when').textContent())!.replace(/ s, live$/, '');

  // The run opened elsewhere from the link, at the moment shown.
  const other = await (await browser.newContext()).newPage();
  const otherErrors = watchErrors(other);
  const t = Number(change[0].split(':')[0]) + 0.5;
  await other.goto(`/${search}&t=${t}`);
  await expect(other.getByTestId('pane-a').getByTestId('connection')).toHaveText('live');
  const out = execFileSync('../target/release/switchboard', [
    'simulate', '--pattern', 'request-response', '--seed', '7', '--at', String(t),
    '--change', change[0], ...SETS.flatMap((s) => ['--set', s]),
  ]);
  const expected = JSON.parse(out.toString()).summary.completed;
  await expect.poll(() => figure(other, 'completed')).toBe(expected);
  await expect(other.getByTestId('when')).toContainText(/in the past|live/);
  // The opened run's own link still carries the change, once.
  expect(new URLSearchParams(await other.evaluate(() => location.search)).getAll('ch')).toEqual(change);
  expect(Number(at)).toBeGreaterThan(0);
  expect(head).toBeGreaterThan(0);
  expect(errors).toEqual([]);
  expect(otherErrors).toEqual([]);
});

test('a change in the past is a branch: compared with the original side by side, exactly', async ({ page }) => {
  test.setTimeout(60_000);
  const errors = watchErrors(page);
  await openLive(page, `/?${RUN}`);
  await page.waitForTimeout(2500);
  await page.getByTestId('play').click();
  await scrubTo(page, 1.0);
  await expect(page.getByTestId('when')).toContainText('1.0 s of');
  // Twice the workers from 1 s: the run's head comes back to here, and
  // the run before the change is kept.
  const field = page.locator('.param:has(input[type=range][data-param=workers]) input[type=number]');
  await field.fill('4');
  await field.press('Enter');
  await expect(page.getByTestId('when')).toHaveText('1.0 s, live');
  await expect(page.getByTestId('live')).toBeDisabled();
  await expect(page.getByTestId('branch')).toContainText('A branch from 1.0 s');

  await page.getByTestId('compare-original').click();
  const a = page.getByTestId('pane-a');
  const b = page.getByTestId('pane-b');
  await expect(a.getByTestId('connection')).toHaveText('live');
  await expect(b.getByTestId('connection')).toHaveText('live');
  const search = new URLSearchParams(await page.evaluate(() => location.search));
  expect(search.getAll('ch')).toEqual(['1:workers:4']);
  expect(search.getAll('b.ch')).toEqual([]);
  // Both at the branch point, paused: the same counts there.
  await expect(page.getByTestId('when')).toContainText('1.0 s');
  await expect.poll(() => a.getByTestId('completed').textContent()).toBe(String(completedBy(1)));
  await expect.poll(() => b.getByTestId('completed').textContent()).toBe(String(completedBy(1)));

  // Played on and looked at 2 s: the original is the run without the
  // change, the branch the run with it — each as the command line has it.
  await page.getByTestId('play').click();
  await page.waitForTimeout(2000);
  await page.getByTestId('play').click();
  await expect(page.getByTestId('play')).toHaveText(/Play/);
  await scrubTo(page, 2.0);
  await expect(page.getByTestId('when')).toContainText('2.0 s');
  const branch = JSON.parse(execFileSync('../target/release/switchboard', [
    'simulate', '--pattern', 'request-response', '--seed', '7', '--at', '2',
    '--change', '1:workers:4', ...SETS.flatMap((s) => ['--set', s]),
  ]).toString()).summary.completed;
  await expect.poll(() => b.getByTestId('completed').textContent()).toBe(String(completedBy(2)));
  await expect.poll(() => a.getByTestId('completed').textContent()).toBe(String(branch));
  expect(errors).toEqual([]);
});

test('the whole run: two charts from the server’s replay, extremes kept, changes marked, said in a sentence', async ({ page }) => {
  const errors = watchErrors(page);
  await openLive(page, `/?${RUN}`);
  await page.waitForTimeout(1500);
  const field = page.locator('.param:has(input[type=range][data-param=rate]) input[type=number]');
  await field.fill('160');
  await field.press('Enter');
  await page.waitForTimeout(2500);
  await page.getByTestId('play').click();
  await expect(page.getByTestId('play')).toHaveText(/Play/);
  await page.getByTestId('whole-run').click();
  await expect(page.getByTestId('whole-run')).toHaveAttribute('aria-expanded', 'true');
  const words = page.getByTestId('whole-run-words');
  await expect(words).toContainText('The whole run, 0 to');
  await expect(words).toContainText('1 live change marked');
  // Both charts drawn (not blank), and named for a screen reader.
  const chart = page.getByTestId('whole-run-chart');
  const canvases = chart.locator('canvas');
  await expect(canvases).toHaveCount(2);
  for (const c of await canvases.all()) {
    await expect(c).toHaveAttribute('aria-label', /whole run/);
    const inked = await c.evaluate((el) => {
      const cv = el as HTMLCanvasElement;
      const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    });
    expect(inked).toBeGreaterThan(500);
  }
  await page.getByTestId('whole-run').click();
  await expect(chart).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('the sequence diagram: the 2 s before the moment shown, a lane per node, an arrow per message', async ({ page }) => {
  const errors = watchErrors(page);
  await openLive(page, `/?${RUN}`);
  await page.waitForTimeout(3000);
  await page.getByTestId('play').click();
  await scrubTo(page, 2.5);
  await expect(page.getByTestId('when')).toContainText('2.5 s of');
  await page.getByTestId('sequence').click();
  const view = page.getByTestId('sequence-view');
  await expect(view.locator('svg')).toHaveCount(1);
  await expect(page.getByTestId('sequence-words')).toContainText('between 0.500 s and 2.500 s');
  const lanes = await view.locator('svg text', { hasText: /^(client \d|service)$/ }).count();
  expect(lanes).toBe(5);
  const arrows = await view.locator('line[marker-end]').count();
  expect(arrows).toBeGreaterThan(50);
  // Every arrow tells its message on hover or to a screen reader.
  await expect(view.locator('line[marker-end] > title').first()).toContainText(/ → service|service → /);
  await expect(view).toHaveAttribute('tabindex', '0');
  await expect(view.locator('line.chosen')).toHaveCount(0);
  // A window of one's choosing: half a second is a quarter of the arrows
  // or fewer, and says so.
  await page.getByTestId('sequence-window').selectOption('0.5');
  await expect(page.getByTestId('sequence-words')).toContainText('between 2.000 s and 2.500 s');
  const fewer = await view.locator('line[marker-end]').count();
  expect(fewer).toBeLessThan(arrows / 2);
  await page.getByTestId('sequence-window').selectOption('2');
  await expect(page.getByTestId('sequence-words')).toContainText('between 0.500 s and 2.500 s');
  // With the whole run, the bookmarks and the diagram open: still axe-clean.
  await page.getByTestId('bookmark').click();
  await page.getByTestId('whole-run').click();
  await expect(page.getByTestId('whole-run-words')).toContainText('The whole run');
  await expectAxeClean(page, 'the timeline with everything open');

  // The conversation open in the inspector is drawn over the rest.
  await page.getByTestId('live').click();
  await page.getByTestId('play').click();
  await page.waitForTimeout(1000);
  await page.locator('details.recent summary').first().click();
  await page.getByTestId('recent').locator('button').first().click();
  await expect(page.getByTestId('inspector')).toBeVisible();
  await page.getByTestId('play').click();
  await expect(page.getByTestId('play')).toHaveText(/Play/);
  await page.getByTestId('sequence-update').focus();
  await page.keyboard.press('Enter');
  await expect(view.locator('line.chosen').first()).toBeAttached();
  expect(errors).toEqual([]);
});

test('a busy run is sampled, and a conversation picked from it is told whole by the server', async ({ page }) => {
  const errors = watchErrors(page);
  await openLive(page, '/?pattern=request-response&seed=3&rate=4000&workers=64&net_ms=5');
  // Sampled: the page is sent one conversation in so many.
  await expect(page.getByTestId('pane-a').getByText(/1 dot = \d+ messages/)).toBeVisible();
  await page.waitForTimeout(1000);
  await page.getByTestId('play').click();
  await expect(page.getByTestId('play')).toHaveText(/Play/);
  await page.locator('details.recent summary').first().click();
  await page.getByTestId('recent').locator('button').first().click();
  const inspector = page.getByTestId('inspector');
  await expect(inspector).toBeVisible();
  // The page's own events lack the messages of this conversation; the
  // server's story has every step, from the want to the answer.
  await expect(inspector.getByTestId('inspector-source')).toHaveText(/The whole story, recomputed by the server/);
  const rows = inspector.getByTestId('inspector-row');
  await expect(rows.first()).toContainText('wants it');
  await expect(inspector.getByTestId('inspector-story')).toContainText('work starts');
  await expect(rows.last()).toContainText(/done — waited|timed out|rejected/);
  // The story replaced the page's without moving the reader's focus.
  await expect(page.locator('#inspector-title')).toBeFocused();
  await expectAxeClean(page, 'the inspector with a story told by the server');
  await page.keyboard.press('Escape');
  await expect(inspector).toBeHidden();
  expect(errors).toEqual([]);
});
