import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { classFrom, openLive, watchErrors } from './helpers';
import { expectAxeClean } from './access';

// The what-if sweep under the timeline (app/src/controls/sweep.rs): the
// page asks the server for its curve a point at a time, and what it gets
// is the command line's `switchboard sweep` of the same settings, byte
// for byte.

const MM1 = 'workers=1&net_ms=0&jitter_ms=0&timeout_ms=120000&queue_cap=100000';

async function setNumber(page: import('@playwright/test').Page, testid: string, value: string) {
  const input = page.getByTestId(testid);
  await input.fill(value);
  await input.press('Tab');
}

test('a sweep: sketched first, filled in point by point, the same curve as the command line', async ({ page }) => {
  const errors = watchErrors(page);
  await openLive(page, `/?pattern=request-response&seed=3&${MM1}`);
  await page.getByTestId('play').click();
  await page.getByTestId('sweep').click();
  // The load's lesson by default: 10 % to 95 % of what the service sustains.
  await expect(page.getByTestId('sweep-param')).toHaveValue('rate');
  await expect(page.getByTestId('sweep-from')).toHaveValue('10');
  await expect(page.getByTestId('sweep-to')).toHaveValue('95');
  await setNumber(page, 'sweep-points', '5');
  await setNumber(page, 'sweep-reps', '4');
  await setNumber(page, 'sweep-secs', '30');

  // The class predicts first, here by keyboard.
  await page.getByTestId('sweep-sketch').check();
  const chart = page.getByTestId('sweep-chart');
  await chart.focus();
  await chart.press('ArrowUp');
  await expect(page.getByTestId('sweep-status')).toContainText('Your prediction at rate = 10');
  await chart.press('ArrowRight');
  await chart.press('ArrowUp');
  await chart.press('ArrowUp');
  await expect(page.getByTestId('sweep-status')).toContainText('rate = 31.25');

  await page.getByTestId('sweep-run').click();
  await expect(page.getByTestId('sweep-cancel')).toBeEnabled();
  await expect(page.getByTestId('sweep-row')).toHaveCount(5, { timeout: 60_000 });
  await expect(page.getByTestId('sweep-status')).toContainText('Done: 5 points');
  await expect(page.getByTestId('sweep-progress')).toHaveAttribute('value', '5');
  // The table says what the chart shows: the mean, its interval, the
  // closed form, and what the class predicted.
  const first = page.getByTestId('sweep-row').first();
  await expect(first.locator('th')).toHaveText('10');
  await expect(first.locator('td').nth(2)).toHaveText('4');
  await expect(first.locator('td').nth(3)).not.toBeEmpty();
  await expect(first.locator('td').nth(4)).not.toBeEmpty();

  // The CSV is the command line's sweep of the same settings.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('sweep-csv').click(),
  ]);
  const csv = readFileSync(await download.path(), 'utf8');
  const cli = execFileSync('../target/release/switchboard', [
    'sweep', '--pattern', 'request-response', '--seed', '3',
    ...MM1.split('&').flatMap((s) => ['--set', s]),
    '--vary', 'rate=10..95:5', '--reps', '4', '--duration', '30',
  ]).toString();
  expect(csv).toBe(cli);
  const [png] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('sweep-png').click(),
  ]);
  expect(png.suggestedFilename()).toBe('switchboard-sweep.png');

  // A measured point clicked opens its run beside this one (pane B).
  await page.getByTestId('sweep-sketch').uncheck();
  const box = (await chart.boundingBox())!;
  const [popup] = await Promise.all([
    page.waitForEvent('popup'),
    chart.click({ position: { x: 58 + (box.width - 72) / 2, y: box.height / 2 } }),
  ]);
  expect(popup.url()).toContain('vs=request-response');
  expect(popup.url()).toMatch(/b\.rate=52\.5|b_rate=52\.5|rate=52\.5/);
  await popup.close();

  await page.getByTestId('sweep-figure').selectOption('wait_ms.p95');
  await expect(page.locator('.sweep-table caption')).toContainText('p95 wait');
  await expectAxeClean(page, 'the sweep with its curve and table');
  expect(errors).toEqual([]);
});

test('a sweep can be cancelled between points, and bad settings are refused in words', async ({ page }) => {
  const errors = watchErrors(page);
  await openLive(page, `/?pattern=request-response&seed=3&${MM1}`);
  await page.getByTestId('sweep').click();
  await setNumber(page, 'sweep-points', '20');
  await setNumber(page, 'sweep-reps', '10');
  await setNumber(page, 'sweep-secs', '120');
  await page.getByTestId('sweep-run').click();
  await expect(page.getByTestId('sweep-row').first()).toBeVisible({ timeout: 30_000 });
  await page.getByTestId('sweep-cancel').click();
  await expect(page.getByTestId('sweep-status')).toContainText(/Cancelled after \d+ of 20 points/);
  const rows = await page.getByTestId('sweep-row').count();
  expect(rows).toBeLessThan(20);
  expect(errors).toEqual([]);
  // Past the server's budget for one sweep: refused, in words (a page
  // cannot ask for more than 600 virtual seconds a replication at all).
  await setNumber(page, 'sweep-secs', '100000');
  await expect(page.getByTestId('sweep-secs')).toHaveValue('600');
  await setNumber(page, 'sweep-from', '15000');
  await setNumber(page, 'sweep-to', '20000');
  await setNumber(page, 'sweep-reps', '50');
  await page.getByTestId('sweep-run').click();
  await expect(page.getByTestId('sweep-status')).toContainText(/The sweep stopped: this would simulate about \d+ million events, more than a sweep on this server may/);
  expect(errors.filter((e) => !e.includes('/api/sweep') && !e.includes('status of 400'))).toEqual([]);
});

test("a class sees the teacher's sweep fill in, and each student sketches on their own page", async ({ browser }) => {
  test.setTimeout(90_000);
  const teacherCtx = await browser.newContext();
  const teacher = await teacherCtx.newPage();
  await openLive(teacher, `/?pattern=request-response&seed=3&${MM1}`);
  const code = await classFrom(teacher);
  const studentCtx = await browser.newContext();
  const student = await studentCtx.newPage();
  const errors = watchErrors(student);
  await student.goto(`/join/${code}`);
  await expect(student.getByTestId('pane-a').getByTestId('connection')).toHaveText('live');
  // Nothing to show until the teacher sweeps.
  await expect(student.getByTestId('sweep')).toHaveCount(0);

  await teacher.getByTestId('sweep').click();
  await setNumber(teacher, 'sweep-points', '4');
  await setNumber(teacher, 'sweep-reps', '3');
  await setNumber(teacher, 'sweep-secs', '20');
  await teacher.getByTestId('sweep-run').click();
  await expect(student.getByTestId('sweep')).toHaveText("The teacher's sweep");
  await expect(student.getByTestId('sweep-from')).toBeDisabled();
  await expect(student.getByTestId('sweep-run')).toHaveCount(0);
  await expect(teacher.getByTestId('sweep-row')).toHaveCount(4, { timeout: 60_000 });
  await expect(student.getByTestId('sweep-row')).toHaveCount(4);
  await expect(student.getByTestId('sweep-status')).toContainText("The teacher's sweep: all 4 points");
  // Each student sketches on their own page.
  await student.getByTestId('sweep-sketch').check();
  const chart = student.getByTestId('sweep-chart');
  await chart.focus();
  await chart.press('ArrowUp');
  await expect(student.getByTestId('sweep-status')).toContainText('Your prediction at rate = 10');
  // The same numbers on both pages, and the student's own prediction beside them.
  const row = async (p: import('@playwright/test').Page) =>
    (await p.getByTestId('sweep-row').nth(2).locator('td').allTextContents()).slice(0, 4);
  expect(await row(student)).toEqual(await row(teacher));
  await expect(student.getByTestId('sweep-row').first().locator('td').nth(4)).not.toBeEmpty();
  await expect(teacher.getByTestId('sweep-row').first().locator('td').nth(4)).toBeEmpty();
  // The student sends the sketch; the teacher shows the class's over the result.
  await student.getByTestId('sweep-send').click();
  await expect(student.getByTestId('sweep-status')).toContainText('Sent: the teacher can show your sketch');
  await teacher.getByTestId('sweep-class').click();
  await expect(teacher.getByTestId('sweep-status')).toContainText('1 sketch from the class');
  const theirs = await student.getByTestId('sweep-row').first().locator('td').nth(4).textContent();
  await expect(teacher.getByTestId('sweep-row').first().locator('td').nth(5)).toHaveText(theirs!);
  // A student who joins now sees the teacher's sweep as it stands.
  const lateCtx = await browser.newContext();
  const late = await lateCtx.newPage();
  await late.goto(`/join/${code}`);
  await expect(late.getByTestId('pane-a').getByTestId('connection')).toHaveText('live');
  await expect(late.getByTestId('sweep-row')).toHaveCount(4);
  expect(await row(late)).toEqual(await row(teacher));
  await lateCtx.close();
  // Only the presenter sees them.
  const peek = await student.request.get(`/api/rooms/${code}/sketches`);
  expect(peek.status()).toBe(403);
  expect(errors.filter((e) => !e.includes('/sketches') && !e.includes('status of 403'))).toEqual([]);
  await Promise.all([teacherCtx.close(), studentCtx.close()]);
});
