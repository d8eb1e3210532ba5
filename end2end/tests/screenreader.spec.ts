import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { heard, walk, withScreenReader } from './access';
import { classFrom, openLive, watchErrors } from './helpers';

// What a screen reader hears, tested with @guidepup/virtual-screen-reader
// running in the real page: the run described in words, announcements
// within their budget, silence while a late joiner catches up, "Describe
// now", a slider's value and what its change does, and the transcript of
// a seeded run against a recorded file.

/** A request-response run near capacity that a ×4 load spike from 15 s
 *  pushes past it: its queue fills, requests are refused and time out. */
const SPIKE = 'pattern=request-response&seed=7&rate=80&workers=2&service_ms=20&queue_cap=50&timeout_ms=1000&spike_at_s=15&spike_s=20&spike_x=4';
/** Heavy from the first second (at capacity, 5 % loss, timeouts), and a
 *  ×3 spike from 20 s to 40 s. A heavy run that stays the same says
 *  nothing after its first news; this one changes twice. */
const HEAVY = 'pattern=request-response&seed=9&rate=400&workers=4&service_ms=10&queue_cap=200&timeout_ms=800&loss=0.05&spike_at_s=20&spike_s=20&spike_x=3';

test('walking the stage’s description reads every actor with its numbers', async ({ page }) => {
  const errors = watchErrors(page);
  await withScreenReader(page);
  await openLive(page, '/?pattern=message-queue&rate=120&crashes_per_min=6&seed=3');
  const words = page.getByTestId('pane-a').getByTestId('words');
  await expect(words.getByTestId('words-actor')).toHaveCount(4, { timeout: 10_000 });
  await page.waitForTimeout(2500);
  const lines = await words.getByTestId('words-actor').allTextContents();
  expect(lines[0]).toMatch(/^Producers \(3\): \d+ work items? outstanding, [\d.]+ a second offered/);
  expect(lines[1]).toMatch(/^Broker: \d+ messages? stored/);
  expect(lines[2]).toMatch(/^Consumer 1: (busy|idle|down \(crashed, restarting\)), \d+ waiting/);
  expect(lines[3]).toMatch(/^Consumer 2: (busy|idle|down \(crashed, restarting\)), \d+ waiting/);
  // The screen reader reads the section: its name, the run in one
  // sentence, then each actor as a list item.
  const said = await walk(page, '[data-testid=pane-a] [data-testid=words]', 24);
  const text = said.join(' | ');
  expect(text).toContain('Message queue at');
  for (const who of ['Producers (3):', 'Broker:']) expect(text).toContain(who);
  expect(said.filter((s) => /\d/.test(s)).length).toBeGreaterThanOrEqual(3);
  expect(errors).toEqual([]);
});

test('a heavy minute is announced within budget: at most 12, 5 s apart, never the same twice in a row', async ({ page }) => {
  test.setTimeout(150_000);
  const errors = watchErrors(page);
  await withScreenReader(page);
  await openLive(page, `/?${HEAVY}`);
  const start = await page.evaluate(() => performance.now());
  await page.waitForTimeout(60_000);
  const all = (await heard(page)).filter((h) => h.at >= start);
  const polite = all.filter((h) => h.text.startsWith('polite: '));
  console.log(`${polite.length} announcements in 60 s:\n${polite.map((p) => `  ${((p.at - start) / 1000).toFixed(1)} s ${p.text}`).join('\n')}`);
  expect(all.filter((h) => h.text.startsWith('assertive: '))).toEqual([]);
  expect(polite.length, 'an overloaded run says something').toBeGreaterThanOrEqual(1);
  expect(polite.length).toBeLessThanOrEqual(12);
  for (let i = 1; i < polite.length; i++) {
    // 5 s on the announcer's clock; the reader's log is polled every 0.1 s.
    expect(polite[i].at - polite[i - 1].at, `gap before "${polite[i].text}"`).toBeGreaterThanOrEqual(4800);
    expect(polite[i].text).not.toBe(polite[i - 1].text);
  }
  expect(errors).toEqual([]);
});

test('a late joiner hears nothing while the class catches it up, and nothing while paused', async ({ browser }) => {
  test.setTimeout(90_000);
  const teacherCtx = await browser.newContext();
  const teacher = await teacherCtx.newPage();
  await openLive(teacher, `/?${HEAVY}`);
  const code = await classFrom(teacher);
  await teacher.waitForTimeout(8000);

  const studentCtx = await browser.newContext();
  const student = await studentCtx.newPage();
  await withScreenReader(student);
  // When the pane's socket opened: the catch-up follows at once.
  await student.addInitScript(() => {
    const Open = WebSocket;
    (window as any).WebSocket = function (url: string | URL, protocols?: string | string[]) {
      const ws = new Open(url, protocols);
      ws.addEventListener('open', () => ((window as any).__opened ??= performance.now()));
      return ws;
    } as any;
    (window as any).WebSocket.prototype = Open.prototype;
  });
  await student.goto(`/join/${code}`);
  await expect(student.getByTestId('pane-a').getByTestId('connection')).toHaveText('live');
  await student.waitForTimeout(12_000);
  const opened = await student.evaluate(() => (window as any).__opened as number);
  expect(opened).toBeGreaterThan(0);
  const polite = (await heard(student)).filter((h) => h.text.startsWith('polite: '));
  // Restoring: the catch-up lands, then three seconds of quiet.
  for (const p of polite) expect(p.at - opened, `"${p.text}" came during the catch-up`).toBeGreaterThanOrEqual(3000);

  // The teacher pauses: the class goes quiet.
  await teacher.getByTestId('play').click();
  await expect(student.getByTestId('connection').first()).toHaveText('live');
  await student.waitForTimeout(1500);
  const before = (await heard(student)).length;
  await student.waitForTimeout(8000);
  expect((await heard(student)).length, 'nothing is said while paused').toBe(before);
  await studentCtx.close();
  await teacherCtx.close();
});

test('Describe now reads the run; a slider says its value and, once let go, what the change does', async ({ page }) => {
  const errors = watchErrors(page);
  await withScreenReader(page);
  await openLive(page, '/?pattern=request-response&seed=3');
  await page.getByTestId('describe-now').click();
  await expect.poll(async () => (await heard(page)).map((h) => h.text).join('\n')).toContain('polite: Request / response at ');
  const description = (await heard(page)).at(-1)!.text;
  expect(description).toMatch(/Clients \(\d+\): \d+ requests? outstanding/);
  expect(description).toMatch(/Service: (busy|idle), \d+ waiting/);

  const rate = page.locator('input[type=range][data-param=rate]');
  await expect(rate).toHaveAttribute('aria-valuetext', /^\d+(\.\d+)? requests a second$/);
  const count = (await heard(page)).length;
  await rate.focus();
  for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowRight');
  await page.waitForTimeout(2000);
  const after = (await heard(page)).slice(count).map((h) => h.text);
  expect(after, 'one context response once the keys stop').toHaveLength(1);
  expect(after[0]).toMatch(/^polite: Offered load [\d.]+ requests a second: (below|near|above) capacity/);
  expect(errors).toEqual([]);
});

test('the transcript of a seeded run is the recorded one', async ({ page, request }) => {
  const errors = watchErrors(page);
  const response = await request.get(`/api/export?${SPIKE}&until_s=60&format=transcript`);
  expect(response.status()).toBe(200);
  const text = await response.text();
  const file = join(__dirname, '..', 'recorded', 'transcript-spike.txt');
  if (process.env.RECORD) writeFileSync(file, text);
  expect(existsSync(file), 'recorded/transcript-spike.txt exists (RECORD=1 writes it)').toBe(true);
  expect(text, 'the transcript changed; if that is meant, RECORD=1 npx playwright test screenreader').toBe(readFileSync(file, 'utf8'));
  expect(text).toContain('A queue is full');
  // The page's Transcript button replays the watched run.
  await openLive(page, `/?${SPIKE}`);
  const download = page.waitForEvent('download');
  await page.getByTestId('export-transcript-a').click();
  const file2 = await (await download).path();
  expect(readFileSync(file2!, 'utf8')).toMatch(/^Switchboard transcript: Request \/ response \(seed 7\)/);
  expect(errors).toEqual([]);
});
