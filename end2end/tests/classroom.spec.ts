import { test, expect } from '@playwright/test';
import { classFrom, openLive, startClass, typeValue, watchErrors } from './helpers';

// A teacher and a student, each in a browser context of their own (their
// own cookies): start a class, join by its address, follow, see the
// teacher's changes, explore on one's own and come back.

test('a teacher starts a class, a student joins, follows, forks and comes back', async ({ browser }) => {
  const teacherCtx = await browser.newContext();
  const studentCtx = await browser.newContext();
  const teacher = await teacherCtx.newPage();
  const student = await studentCtx.newPage();
  const teacherErrors = watchErrors(teacher);
  const studentErrors = watchErrors(student);

  await openLive(teacher, '/?pattern=request-response&rate=150&seed=3');
  await teacher.waitForTimeout(1200);
  const code = await classFrom(teacher);
  await expect(teacher).toHaveURL(/\?room=[A-Z2-9]{6}$/);
  expect(code).toMatch(/^[A-Z2-9]{6}$/);
  await expect(teacher.getByTestId('join-url')).toContainText(`/join/${code}`);
  await expect(teacher.getByTestId('connection')).toHaveText('live');
  // The QR code of the join address is served and drawn.
  await expect.poll(() => teacher.getByTestId('class-qr').evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
  // The class continues the teacher's run: it did not start from t = 0.
  const stage = teacher.getByTestId('completed');
  await expect.poll(async () => parseFloat((await stage.textContent()) ?? '0')).toBeGreaterThan(100);

  // The student types the code on the start page.
  await student.goto('/');
  await student.getByTestId('join-code').fill(code.toLowerCase());
  await student.getByTestId('join').click();
  await expect(student).toHaveURL(new RegExp(`\\?room=${code}$`));
  await expect(student.getByTestId('following')).toContainText('Following the teacher');
  await expect(student.getByTestId('connection')).toHaveText('live');
  await expect(student.getByTestId('value-rate')).toHaveText('150 req/s');
  // A late joiner starts where the class is, never from zero.
  await expect.poll(async () => parseFloat((await student.getByTestId('pane-a').getByTestId('completed').textContent()) ?? '0')).toBeGreaterThan(100);
  await expect(teacher.getByTestId('followers')).toHaveText('1 following', { timeout: 10_000 });
  // The student's controls are the teacher's: absent, the values as text.
  await expect(student.getByTestId('play')).toHaveCount(0);
  await expect(student.locator('.param-exact')).toHaveCount(0);

  // The teacher's change reaches the student.
  await typeValue(teacher, 'rate', '600');
  await expect(student.getByTestId('value-rate')).toHaveText('600 req/s');
  // The conversation the teacher inspects opens on the student's screen.
  await teacher.locator('details.recent summary').click();
  await teacher.getByTestId('recent').locator('button').first().click();
  await expect(teacher.getByTestId('inspector')).toBeVisible();
  const story = (await teacher.getByTestId('inspector').locator('h2').textContent())!.split('·')[0].trim();
  await expect(student.getByTestId('inspector')).toContainText(story);
  await teacher.keyboard.press('Escape');
  await expect(student.getByTestId('inspector')).toHaveCount(0);
  // The teacher pauses everyone's view: the student's clock stops.
  await teacher.getByTestId('play').click();
  await expect(student.getByTestId('words-overview')).toContainText('paused');
  const clock = await student.getByTestId('stage-clock').textContent();
  await student.waitForTimeout(1000);
  await expect(student.getByTestId('stage-clock')).toHaveText(clock!);

  // Explore on my own: a private copy, changeable, the class unchanged.
  await student.getByTestId('explore').click();
  await expect(student).toHaveURL(new RegExp(`\\?fork=${code}$`));
  await expect(student.getByTestId('exploring')).toBeVisible();
  await expect(student.getByTestId('connection')).toHaveText('live');
  await expect(student.getByTestId('value-rate')).toHaveText('600 req/s');
  await typeValue(student, 'rate', '42');
  await expect(student.getByTestId('value-rate')).toHaveText('42 req/s');
  await expect(teacher.getByTestId('value-rate')).toHaveText('600 req/s');
  // And back to the class.
  await student.getByTestId('back-to-class').click();
  await expect(student.getByTestId('following')).toBeVisible();
  await expect(student.getByTestId('value-rate')).toHaveText('600 req/s');

  expect(teacherErrors).toEqual([]);
  expect(studentErrors).toEqual([]);
  await teacherCtx.close();
  await studentCtx.close();
});

test('a class predicts, the teacher sees the answers come in and reveals them', async ({ browser }) => {
  const { teacher, code, ctx: teacherCtx } = await startClass(browser, '/?preset=black-friday');
  const studentCtx = await browser.newContext();
  const students = [await studentCtx.newPage(), await (await browser.newContext()).newPage()];
  await expect(teacher.getByTestId('answered')).toHaveText('0 answered');
  for (const [i, s] of students.entries()) {
    await s.goto(`/join/${code}`);
    const ask = s.getByTestId('class-predict');
    await expect(ask).toContainText('Black Friday');
    await ask.locator('.choice').nth(i).click();
    await expect(ask).toHaveCount(0);
    await expect(s.getByTestId('my-prediction')).toContainText('You predicted');
  }
  await expect(teacher.getByTestId('answered')).toHaveText('2 answered', { timeout: 10_000 });
  await teacher.getByTestId('reveal').click();
  await expect(teacher.getByTestId('reveal-chart')).toBeVisible();
  for (const s of students) {
    await expect(s.getByTestId('reveal-chart')).toBeVisible({ timeout: 10_000 });
    const counts = await s.getByTestId('reveal-count').allTextContents();
    expect(counts.map(Number).reduce((a, b) => a + b, 0)).toBe(2);
    expect(counts.map(Number).slice(0, 2)).toEqual([1, 1]);
  }
  // Locking joining turns newcomers away with a reason.
  await teacher.getByTestId('lock').click();
  await expect(teacher.getByTestId('lock')).toHaveText('Open joining', { timeout: 10_000 });
  const late = await (await browser.newContext()).newPage();
  await late.goto(`/join/${code}`);
  await expect(late.getByTestId('pane-a').getByTestId('connection')).toContainText('locked joining', { timeout: 10_000 });
  await teacherCtx.close();
});

// Thirty tabs is the classroom; every tab animates on this 2-core machine
// (each new tab takes seconds to load beside the others), so `make test`
// runs six (CLASS_TABS=30 for the full class).
const TABS = Number(process.env.CLASS_TABS ?? 6);

test('a class of tabs joins a class started from a scenario, follows it live, answers, sees the reveal; any can fork and come back', async ({ browser }) => {
  test.setTimeout(120_000 + TABS * 20_000);
  const { teacher, code, ctx: teacherCtx } = await startClass(browser, '/?preset=retry-storm');
  // Each tab a student's own browser: a ballot is one per browser (its
  // cookie), so tabs sharing one would be one student answering again.
  const contexts = [];
  const tabs = [];
  for (let i = 0; i < TABS; i++) {
    const ctx = await browser.newContext();
    contexts.push(ctx);
    const tab = await ctx.newPage();
    await tab.goto(`/join/${code}`);
    const ask = tab.getByTestId('class-predict');
    await expect(ask).toBeVisible();
    await ask.locator('.choice').nth(i % 3).click();
    tabs.push(tab);
  }
  await expect(teacher.getByTestId('followers')).toHaveText(`${TABS} following`, { timeout: 15_000 });
  await expect(teacher.getByTestId('answered')).toHaveText(`${TABS} answered`, { timeout: 15_000 });
  // Every tab follows live: its figures move.
  for (const tab of tabs) {
    await expect(tab.getByTestId('pane-a').getByTestId('connection')).toHaveText('live');
  }
  // (Pane B: without retries it keeps delivering; pane A's retry storm
  // may collapse, which is the scenario's point.)
  for (const tab of tabs) {
    const done = tab.getByTestId('pane-b').getByTestId('completed');
    const before = parseFloat((await done.textContent()) ?? '0');
    await expect.poll(async () => parseFloat((await done.textContent()) ?? '0'), { timeout: 15_000 }).toBeGreaterThan(before);
  }
  await teacher.getByTestId('reveal').click();
  for (const tab of tabs) {
    await expect(tab.getByTestId('reveal-chart')).toBeVisible({ timeout: 15_000 });
  }
  const counts = (await tabs[0].getByTestId('reveal-count').allTextContents()).map(Number);
  expect(counts).toEqual([0, 1, 2].map((c) => Array.from({ length: TABS }, (_, i) => i % 3).filter((x) => x === c).length));
  // Any of them forks and comes back.
  const one = tabs[TABS - 1];
  await one.getByTestId('explore').click();
  await expect(one.getByTestId('exploring')).toBeVisible();
  await expect(one.getByTestId('pane-a').getByTestId('connection')).toHaveText('live');
  await one.getByTestId('back-to-class').click();
  await expect(one.getByTestId('following')).toBeVisible();
  for (const ctx of contexts) await ctx.close();
  await teacherCtx.close();
});

test('a student answers once: a second answer replaces the first, a reload keeps it', async ({ browser }) => {
  const { teacher, code, ctx: teacherCtx } = await startClass(browser, '/?preset=black-friday');
  const studentCtx = await browser.newContext();
  const student = await studentCtx.newPage();
  await student.goto(`/join/${code}`);
  await student.getByTestId('class-predict').locator('.choice').nth(1).click();
  await expect(teacher.getByTestId('answered')).toHaveText('1 answered', { timeout: 10_000 });
  // Answering again from the same browser (a script would) replaces it.
  for (let i = 0; i < 5; i++) {
    const status = await student.evaluate(
      async ([code, choice]) => (await fetch(`/api/rooms/${code}/answer`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ choice }) })).status,
      [code, i % 3] as [string, number],
    );
    expect(status).toBe(204);
  }
  await teacher.waitForTimeout(2500);
  await expect(teacher.getByTestId('answered')).toHaveText('1 answered');
  // A reload remembers the answer instead of asking again.
  await student.reload();
  await expect(student.getByTestId('my-prediction')).toContainText('You predicted');
  await expect(student.getByTestId('class-predict')).toHaveCount(0);
  // A request without the page's ballot is refused with a reason.
  const bare = await teacher.request.post(`/api/rooms/${code}/answer`, { data: { choice: 0 } });
  expect(bare.status()).toBe(403);
  expect(await bare.text()).toContain('no ballot');
  await studentCtx.close();
  await teacherCtx.close();
});
