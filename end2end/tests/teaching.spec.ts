import { test, expect, type Page, type Locator } from '@playwright/test';
import fs from 'node:fs';
import { openLive, pixels, slide, watchErrors } from './helpers';

/** Waits until every pane on the page is live and counting. */
async function allLive(page: Page, panes: number) {
  await expect(page.locator('[data-testid^=pane-]')).toHaveCount(panes);
  for (const p of await page.locator('[data-testid^=pane-]').all()) {
    await expect(p.getByTestId('connection')).toHaveText('live');
    await expect(p.getByTestId('completed')).not.toHaveText('0');
  }
}

/** Finds a drawn dot of `rgb` colour on a pane's stage, in CSS pixels. */
async function findDot(stage: Locator, rgb: [number, number, number]) {
  return stage.evaluate((el, rgb) => {
    const c = el as HTMLCanvasElement;
    const ctx = c.getContext('2d')!;
    const { data, width, height } = ctx.getImageData(0, 0, c.width, c.height);
    const dpr = c.width / c.clientWidth;
    const at = (x: number, y: number) => {
      if (x < 0 || y < 0 || x >= width || y >= height) return false;
      const i = (y * width + x) * 4;
      return data[i] === rgb[0] && data[i + 1] === rgb[1] && data[i + 2] === rgb[2] && data[i + 3] === 255;
    };
    // A dot, not a busy worker slot or a queued job (drawn in the same
    // colour, but square): a small solid blob whose bounding box's corners
    // are empty.
    for (let y = 1; y < height - 1; y += 1) {
      for (let x = 1; x < width - 1; x += 1) {
        if (!(at(x, y) && at(x - 1, y) && at(x + 1, y) && at(x, y - 1) && at(x, y + 1))) continue;
        let x0 = x, x1 = x, y0 = y, y1 = y;
        while (at(x0 - 1, y)) x0 -= 1;
        while (at(x1 + 1, y)) x1 += 1;
        const cx = Math.round((x0 + x1) / 2);
        while (at(cx, y0 - 1)) y0 -= 1;
        while (at(cx, y1 + 1)) y1 += 1;
        const size = Math.max(x1 - x0, y1 - y0);
        if (size < 3 || size > 12 * dpr) continue;
        const corners = [at(x0, y0), at(x1, y0), at(x0, y1), at(x1, y1)];
        if (corners.some(Boolean)) continue;
        return { x: cx / dpr, y: Math.round((y0 + y1) / 2) / dpr };
      }
    }
    return null;
  }, rgb);
}

test('compare mode: two panes on one seed, shared and per-pane settings, in the link', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/?pattern=request-response&seed=7&rate=60');
  await allLive(page, 1);
  await page.getByTestId('compare').click();
  await allLive(page, 2);
  const a = page.getByTestId('pane-a');
  const b = page.getByTestId('pane-b');
  await expect(b.getByTestId('pattern-picker')).toHaveValue('message-queue');
  expect(page.url()).toContain('vs=message-queue');
  expect(page.url()).toContain('seed=7');
  // Both panes run the same arrival stream: after the same virtual time the
  // offered counts agree (each pane reports its own virtual clock).
  for (const pane of [a, b]) {
    await expect(pane.getByTestId('stage')).toBeVisible();
    await expect(pane.getByTestId('breakdown-chart')).toBeVisible();
    await expect(pane.getByTestId('depth-chart')).toBeVisible();
  }
  // "All panes": one slider moves both sessions (a live change of each
  // pane's run, carried by the link as that pane's change).
  await slide(page, 'rate', 550);
  const rate = (await page.getByTestId('value-rate').textContent())!.split(' ')[0];
  await expect.poll(() => page.url()).toMatch(new RegExp(`[?&]ch=[0-9.]+:rate:${rate}(&|$)`));
  await expect.poll(() => page.url()).toMatch(new RegExp(`[?&]b\.ch=[0-9.]+:rate:${rate}(&|$)`));
  expect(page.url()).not.toContain('b.rate');
  // "Only B": the same parameter differs per pane and the link says so.
  await page.getByTestId('scope-b').check();
  await slide(page, 'rate', 300);
  await expect.poll(() => new URL(page.url()).searchParams.getAll('b.ch').length).toBe(2);
  const link = page.url();
  // The link reopens both panes with the same settings.
  await page.goto(link);
  await allLive(page, 2);
  await page.getByTestId('scope-b').check();
  const bRate = await page.getByTestId('value-rate').textContent();
  await page.getByTestId('scope-a').check();
  const aRate = await page.getByTestId('value-rate').textContent();
  expect(aRate).toBe(`${rate} req/s`);
  expect(bRate).not.toBe(aRate);
  // Removing a pane goes back to one.
  await page.getByTestId('remove-b').click();
  await allLive(page, 1);
  expect(page.url()).not.toContain('vs=');
  expect(errors).toEqual([]);
});

test('panes compared share the y axes of their charts', async ({ page }) => {
  // A loaded queue next to an idle one: the idle pane's axis follows the busy one.
  await page.goto('/?pattern=request-response&vs=request-response&seed=3&rate=95&b.rate=10');
  await allLive(page, 2);
  await page.waitForTimeout(2500);
  // Same axes means the tick labels (drawn text) match: compare the top-left
  // strip of the waiting-time charts, where the y labels are.
  const strip = (pane: string) =>
    page.getByTestId(pane).getByTestId('wait-chart').evaluate((el) => {
      const c = el as HTMLCanvasElement;
      const dpr = c.width / c.clientWidth;
      const d = c.getContext('2d')!.getImageData(0, 40 * dpr, 50 * dpr, c.height - 70 * dpr).data;
      return Array.from(d).join(',');
    });
  await page.getByTestId('play').click();
  await expect(page.getByTestId('play')).toHaveText(/Play/);
  await page.waitForTimeout(300);
  expect(await strip('pane-a')).toEqual(await strip('pane-b'));
});

test('clicking a dot opens its conversation as a sequence diagram and rings its dots', async ({ page }) => {
  const errors = watchErrors(page);
  await openLive(page, '/?pattern=request-response&rate=40&net_ms=200');
  await page.getByTestId('play').click();
  await expect(page.getByTestId('play')).toHaveText(/Play/);
  // Paused for good: the stage has caught up with the server and is still.
  await expect
    .poll(async () => {
      const a = await pixels(page, 'stage');
      await page.waitForTimeout(200);
      return a === (await pixels(page, 'stage'));
    })
    .toBe(true);
  const stage = page.getByTestId('stage');
  // A request dot (Okabe–Ito blue circle) on its way to the service.
  const dot = await findDot(stage, [0, 114, 178]);
  expect(dot).not.toBeNull();
  const before = await pixels(page, 'stage');
  await stage.click({ position: dot! });
  const inspector = page.getByTestId('inspector');
  await expect(inspector).toBeVisible();
  await expect(inspector).toContainText('Request #');
  await expect(inspector.getByTestId('inspector-row').first()).toContainText('wants it');
  await expect(inspector).toContainText('request');
  // Its dots are ringed on the stage.
  await expect.poll(() => pixels(page, 'stage')).not.toEqual(before);
  await page.keyboard.press('Escape');
  await expect(inspector).toBeHidden();
  expect(errors).toEqual([]);
});

test('clicking a poll shows that message\'s own story', async ({ page }) => {
  const errors = watchErrors(page);
  await openLive(page, '/?pattern=short-polling&poll_ms=300&net_ms=250&clients=4');
  await page.getByTestId('play').click();
  await expect(page.getByTestId('play')).toHaveText(/Play/);
  await page.waitForTimeout(300);
  const stage = page.getByTestId('stage');
  const dot = await findDot(stage, [31, 138, 158]);
  expect(dot).not.toBeNull();
  await stage.click({ position: dot! });
  const inspector = page.getByTestId('inspector');
  await expect(inspector).toContainText('Message #');
  await expect(inspector.getByTestId('inspector-row').first()).toContainText('poll');
  await page.keyboard.press('Escape');
  expect(errors).toEqual([]);
});

test('a recent request can be picked from the log and shows its whole story', async ({ page }) => {
  await openLive(page, '/?pattern=request-response&rate=150&workers=1&timeout_ms=100&retries=2');
  await page.waitForTimeout(1500);
  await page.locator('details.recent summary').click();
  await page.getByTestId('recent').locator('button').first().click();
  const inspector = page.getByTestId('inspector');
  await expect(inspector).toBeVisible();
  const rows = inspector.getByTestId('inspector-row');
  await expect(rows.first()).toContainText('wants it');
  await expect(rows.last()).toContainText(/done — waited|gave up|never arrived|rejected/);
  await inspector.getByTestId('inspector-close').click();
  await expect(inspector).toBeHidden();
});

test('charts: breakdown as stacked areas, backlog, hover read-out, frozen when paused', async ({ page }) => {
  await openLive(page, '/?pattern=request-response&rate=90');
  await page.waitForTimeout(1200);
  await page.getByTestId('play').click();
  await expect(page.getByTestId('play')).toHaveText(/Play/);
  // On screen (charts off screen are not drawn at all), then frozen.
  const chart = page.getByTestId('wait-chart');
  await chart.scrollIntoViewIfNeeded();
  await page.waitForTimeout(500);
  const frozen = await Promise.all(['wait-chart', 'rate-chart', 'breakdown-chart', 'depth-chart'].map((c) => pixels(page, c)));
  await page.waitForTimeout(800);
  const still = await Promise.all(['wait-chart', 'rate-chart', 'breakdown-chart', 'depth-chart'].map((c) => pixels(page, c)));
  expect(still).toEqual(frozen);
  // Hovering draws the values under the pointer, with units.
  const box = (await chart.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.6);
  await expect.poll(() => pixels(page, 'wait-chart')).not.toEqual(frozen[0]);
  await page.mouse.move(0, 0);
  await expect.poll(() => pixels(page, 'wait-chart')).toEqual(frozen[0]);
});

test('theory overlay: M/M/c next to the measurement, Little\'s law, the stability limit on the slider', async ({ page }) => {
  await openLive(page, '/?pattern=request-response&rate=80&workers=2&service_ms=20');
  await expect(page.getByTestId('theory')).toContainText('M/M/c');
  await expect(page.getByTestId('theory')).toContainText('measured');
  await expect(page.getByTestId('little')).toContainText("Little's law");
  // Stable below c/s = 2 / 20 ms = 100 req/s, marked on the rate slider.
  const mark = page.getByTestId('limit-rate');
  await expect(mark).toHaveAttribute('title', /100 req\/s/);
  // The predicted mean is drawn over the waiting-time chart: the same
  // number as in the text, and the chart differs from one without it.
  const said = (await page.getByTestId('theory').textContent())!.match(/mean wait ≈ ([\d.]+) ms/)![1];
  await expect(page.locator('section.charts')).toHaveAttribute('data-theory-wait-ms', said);
  // L and λW agree within a few requests once the window is full.
  await page.waitForTimeout(2000);
  const text = (await page.getByTestId('little').textContent())!;
  const l = parseFloat(text.match(/L = ([\d.]+)/)![1]);
  const lw = parseFloat(text.match(/= ([\d.]+)\.$/)![1]);
  expect(Math.abs(l - lw)).toBeLessThan(Math.max(3, 0.5 * lw));
});

test('a scenario opens paused on a prediction, then runs and says what to watch', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  await expect(page.getByTestId('connection')).toHaveText('live');
  await page.getByTestId('presets').selectOption('black-friday');
  // Choosing only picks it: the page stays until "Open".
  await page.waitForTimeout(300);
  await expect(page.getByTestId('prompt')).toHaveCount(0);
  await page.getByTestId('open-preset').click();
  const prompt = page.getByTestId('prompt');
  await expect(prompt).toBeVisible();
  await expect(prompt).toContainText('a spike brings 150 a second');
  await expect(page.locator('[data-testid^=pane-]')).toHaveCount(2);
  await expect(page.getByTestId('pane-b').getByTestId('pattern-picker')).toHaveValue('message-queue');
  await expect(page.getByTestId('play')).toHaveText(/Play/);
  // Space does not start it behind the prompt.
  await page.keyboard.press(' ');
  await expect(page.getByTestId('play')).toHaveText(/Play/);
  await prompt.getByRole('button').nth(1).click();
  await expect(prompt).toBeHidden();
  await expect(page.getByTestId('observe')).toContainText('You predicted');
  await expect(page.getByTestId('play')).toHaveText(/Pause/);
  await allLive(page, 2);
  // Fast forward into the spike (from t = 10 s): request-response turns
  // requests away, the queue's backlog grows.
  await page.locator('body').press('ArrowRight');
  await page.locator('body').press('ArrowRight');
  await expect(page.getByTestId('speed')).toHaveValue('5');
  await expect
    .poll(async () => parseInt((await page.getByTestId('pane-b').getByTestId('queue').textContent()) ?? '0'), { timeout: 20_000 })
    .toBeGreaterThan(50);
  await expect
    .poll(async () => (await page.getByTestId('pane-a').getByTestId('totals').textContent()) ?? '', { timeout: 20_000 })
    .toMatch(/503|timeout/);
  expect(errors).toEqual([]);
});

test('export: the watched run (live changes included) as NDJSON and CLI-columns CSV, charts as PNG', async ({ page }) => {
  const errors = watchErrors(page);
  await openLive(page, '/?pattern=request-response&seed=5&rate=50&workers=8');
  await page.waitForTimeout(1500);
  // A live change mid-run: the export must replay it at its virtual time.
  await slide(page, 'rate', 700);
  const rate = parseFloat((await page.getByTestId('value-rate').textContent()) ?? '0');
  expect(rate).toBeGreaterThan(400);
  await page.waitForTimeout(2500);
  const csvDownload = page.waitForEvent('download');
  await page.getByTestId('export-csv-a').click();
  const csvFile = await csvDownload;
  expect(csvFile.suggestedFilename()).toMatch(/^switchboard-request-response-seed5-\d+s\.csv$/);
  const csv = fs.readFileSync(await csvFile.path(), 'utf8').trim().split('\n');
  expect(csv[0]).toBe('t,offered,completed,p50,p95,p99,queue_depth');
  const offered = csv.slice(1).map((l) => parseFloat(l.split(',')[1]));
  // First whole second at 50 req/s, the last at the new rate.
  expect(offered[0]).toBeLessThan(100);
  expect(offered[offered.length - 1]).toBeGreaterThan(0.6 * rate);
  const ndDownload = page.waitForEvent('download');
  await page.getByTestId('export-ndjson-a').click();
  const nd = fs.readFileSync(await (await ndDownload).path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(nd.length).toBeGreaterThan(100);
  expect(nd[0]).toHaveProperty('at');
  expect(nd[0]).toHaveProperty('what');
  // The page is still the dashboard, still live.
  await expect(page.getByTestId('connection')).toHaveText('live');
  const png = page.waitForEvent('download');
  await page.getByTestId('png').click();
  expect((await png).suggestedFilename()).toMatch(/^switchboard-charts-seed5\.png$/);
  // A link's own run is exported by GET with the CLI's columns.
  const linkCsv = await (await page.request.get('/api/export?format=csv&pattern=webhooks&seed=5&until_s=3')).text();
  expect(linkCsv.split('\n')[0]).toBe('t,offered,completed,p50,p95,p99,queue_depth');
  expect(errors).toEqual([]);
});

test('keyboard: speed with arrows, patterns with digits, help with ?, projector with P', async ({ page }) => {
  const errors = watchErrors(page);
  await openLive(page);
  await page.locator('body').press('ArrowRight');
  await expect(page.getByTestId('speed')).toHaveValue('2');
  await page.locator('body').press('ArrowLeft');
  await page.locator('body').press('ArrowLeft');
  await expect(page.getByTestId('speed')).toHaveValue('0.5');
  await page.locator('body').press('?');
  await expect(page.getByTestId('help')).toBeVisible();
  await expect(page.getByTestId('help')).toContainText('Keyboard and accessibility');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('help')).toBeHidden();
  await page.locator('body').press('3');
  await expect(page.getByTestId('pattern')).toHaveText('Short polling');
  await page.locator('body').press('p');
  await expect(page.locator('.page')).toHaveClass(/projector/);
  const size = await page.getByTestId('throughput').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  expect(size).toBeGreaterThanOrEqual(26);
  await page.getByTestId('projector').click();
  await expect(page.locator('.page')).not.toHaveClass(/projector/);
  expect(errors).toEqual([]);
});

test('reduced motion is honoured and the page fits from 1280×720 to 4K', async ({ page }) => {
  const errors = watchErrors(page);
  await page.emulateMedia({ reducedMotion: 'reduce' });
  for (const [w, h] of [
    [1280, 720],
    [3840, 2160],
  ]) {
    await page.setViewportSize({ width: w, height: h });
    for (const path of ['/?pattern=request-response', '/?pattern=short-polling&vs=long-polling,server-sent-events']) {
      await page.goto(path);
      await expect(page.getByTestId('pane-a').getByTestId('connection')).toHaveText('live');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${w}×${h} ${path}`).toBeLessThanOrEqual(0);
      const stage = await page.getByTestId('pane-a').getByTestId('stage').boundingBox();
      expect(stage!.width).toBeGreaterThan(250);
    }
  }
  // Dots still move under reduced motion, in steps.
  await page.goto('/?pattern=request-response&net_ms=300');
  await expect(page.getByTestId('completed')).not.toHaveText('0');
  const a = await pixels(page, 'stage');
  await page.waitForTimeout(400);
  expect(await pixels(page, 'stage')).not.toEqual(a);
  expect(errors).toEqual([]);
});

test('two panes with the same seed and settings see the same run, step for step', async ({ page }) => {
  // 150 clicks, each waiting for the page to settle: on a busy 2-core
  // machine that alone can take most of the default 45 s.
  test.setTimeout(120_000);
  await page.goto('/?pattern=fire-and-forget&vs=fire-and-forget&seed=11');
  await allLive(page, 2);
  // Pause, rewind both to t = 0 (a reset keeps them paused), then step both
  // together: each step is one scheduled action in each pane.
  await page.getByTestId('play').click();
  await expect(page.getByTestId('play')).toHaveText(/Play/);
  await page.getByRole('button', { name: '↺ Reset' }).click();
  await expect(page.getByTestId('pane-a').getByTestId('completed')).toHaveText('0');
  for (let i = 0; i < 150; i++) {
    await page.getByTestId('step').click();
  }
  await expect(page.getByTestId('pane-a').getByTestId('completed')).not.toHaveText('0');
  const totals = async (p: string) => (await page.getByTestId(p).getByTestId('totals').textContent()) ?? '';
  await expect.poll(async () => (await totals('pane-a')) === (await totals('pane-b'))).toBe(true);
});
