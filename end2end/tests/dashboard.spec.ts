import { test, expect } from '@playwright/test';
import { figure, openLive, pixels, slide, stageAndClock, typeValue, watchErrors } from './helpers';

test('the page loads, hydrates and goes live with no console errors', async ({ page }) => {
  const errors = watchErrors(page);
  await openLive(page);
  await expect(page.getByTestId('pattern')).toHaveText('Request / response');
  // The favicon is declared and served.
  const icon = await page.locator('link[rel=icon]').getAttribute('href');
  expect(icon).toBe('/favicon.svg');
  const res = await page.request.get(icon!);
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toContain('svg');
  await page.waitForTimeout(1500);
  expect(errors).toEqual([]);
});

test('the stage canvas changes from one frame to the next', async ({ page }) => {
  await openLive(page);
  const a = await pixels(page, 'stage');
  await page.waitForTimeout(150);
  const b = await pixels(page, 'stage');
  expect(a).not.toEqual(b);
});

test('the charts and figures update while the run plays', async ({ page }) => {
  await openLive(page);
  // Charts off screen are not drawn: bring them into view.
  await page.getByTestId('wait-chart').scrollIntoViewIfNeeded();
  await page.waitForTimeout(100);
  const waitA = await pixels(page, 'wait-chart');
  const rateA = await pixels(page, 'rate-chart');
  const completedA = await figure(page, 'completed');
  await page.waitForTimeout(1000);
  expect(await pixels(page, 'wait-chart')).not.toEqual(waitA);
  expect(await pixels(page, 'rate-chart')).not.toEqual(rateA);
  expect(await figure(page, 'completed')).toBeGreaterThan(completedA);
  expect(await figure(page, 'p50')).toBeGreaterThan(0);
  // The waiting-time histogram has bars.
  await expect(page.getByTestId('histogram').locator('.hist-bar')).toHaveCount(17);
  // Request/response shows where the wait goes.
  await expect(page.getByTestId('breakdown')).toContainText('network');
  await expect(page.getByTestId('breakdown')).toContainText('queue');
});

test('raising the rate slider raises completed throughput', async ({ page }) => {
  await openLive(page);
  // Give the service room so throughput follows the offered load.
  await typeValue(page, 'workers', '32');
  await expect(page.getByTestId('value-workers')).toHaveText('32');
  await page.waitForTimeout(1500);
  const before = await figure(page, 'throughput');
  expect(before).toBeGreaterThan(40);
  expect(before).toBeLessThan(130);
  await slide(page, 'rate', 650);
  const rate = parseFloat((await page.getByTestId('value-rate').textContent()) ?? '');
  expect(rate).toBeGreaterThan(250);
  // The one-second window fills with the new load.
  await expect
    .poll(() => figure(page, 'throughput'), { timeout: 10_000 })
    .toBeGreaterThan(Math.max(2 * before, 0.7 * rate));
});

test('pause stops the dots and play starts them again', async ({ page }) => {
  await openLive(page);
  await page.getByTestId('play').click();
  await expect(page.getByTestId('play')).toHaveText(/Play/);
  await expect(page.getByTestId('step')).toBeEnabled();
  await page.waitForTimeout(400);
  const a = await stageAndClock(page);
  await page.waitForTimeout(600);
  const b = await stageAndClock(page);
  expect(b).toEqual(a);
  // A single step moves the run by exactly one action.
  await page.getByTestId('step').click();
  await expect.poll(() => stageAndClock(page)).not.toEqual(b);
  await page.getByTestId('play').click();
  await expect(page.getByTestId('play')).toHaveText(/Pause/);
  const c = await stageAndClock(page);
  await page.waitForTimeout(200);
  expect(await stageAndClock(page)).not.toEqual(c);
});

test('space toggles play and pause', async ({ page }) => {
  await openLive(page);
  await page.locator('body').press(' ');
  await expect(page.getByTestId('play')).toHaveText(/Play/);
  await page.locator('body').press(' ');
  await expect(page.getByTestId('play')).toHaveText(/Pause/);
});

test('a refused value is explained and nothing is sent', async ({ page }) => {
  await openLive(page);
  await typeValue(page, 'workers', '0');
  await expect(page.locator('.param-problem')).toContainText('a whole number from 1 to 256');
  await expect(page.getByTestId('value-workers')).toHaveText('1');
});

test('settings in the URL open the same run and survive in the address bar', async ({ page }) => {
  await openLive(page, '/?pattern=request-response&seed=42&rate=120&workers=2');
  await expect(page.getByTestId('seed')).toHaveText('seed 42');
  await expect(page.getByTestId('value-rate')).toHaveText('120 req/s');
  await expect(page.getByTestId('value-workers')).toHaveText('2');
  // A live change is carried as what it is: the change, at its moment.
  await typeValue(page, 'net_ms', '5');
  await expect.poll(() => page.url()).toMatch(/[?&]ch=[0-9.]+:net_ms:5(&|$)/);
  expect(page.url()).toContain('seed=42');
  expect(page.url()).toContain('rate=120');
});

test('switching pattern is instant, keeps shared settings and shows in the URL', async ({ page }) => {
  const errors = watchErrors(page);
  await openLive(page, '/?rate=120');
  await expect(page.locator('input[data-param=timeout_ms]')).toHaveCount(1);
  await page.getByTestId('pattern-picker').selectOption('fire-and-forget');
  await expect(page.getByTestId('pattern')).toHaveText('Fire and forget');
  await expect(page.locator('input[data-param=timeout_ms]')).toHaveCount(0);
  // Its own legend: requests only, no responses.
  await expect(page.getByTestId('legend')).toContainText('request');
  await expect(page.getByTestId('legend')).not.toContainText('response');
  await expect(page.getByTestId('theory')).toContainText('M/M/c');
  await expect(page.getByTestId('value-rate')).toHaveText('120 req/s');
  await expect.poll(() => page.url()).toContain('pattern=fire-and-forget');
  // It animates and counts deliveries.
  await expect(page.getByTestId('completed')).not.toHaveText('0');
  const a = await pixels(page, 'stage');
  await page.waitForTimeout(150);
  expect(await pixels(page, 'stage')).not.toEqual(a);
  // A reload opens the same pattern.
  await page.reload();
  await expect(page.getByTestId('connection')).toHaveText('live');
  await expect(page.getByTestId('pattern')).toHaveText('Fire and forget');
  expect(errors).toEqual([]);
});

test('every pattern can be selected, animates and shows its own figures', async ({ page, request }) => {
  const errors = watchErrors(page);
  const catalogue: { id: string; name: string }[] = await (await request.get('/api/patterns')).json();
  expect(catalogue.length).toBeGreaterThanOrEqual(3);
  await openLive(page);
  for (const p of catalogue) {
    await page.getByTestId('pattern-picker').selectOption(p.id);
    await expect(page.getByTestId('pattern')).toHaveText(p.name);
    await expect.poll(() => page.url()).toContain(`pattern=${p.id}`);
    await expect(page.getByTestId('completed')).not.toHaveText('0');
    const a = await stageAndClock(page);
    await page.waitForTimeout(150);
    expect(await stageAndClock(page), `${p.id} animates`).not.toEqual(a);
    expect(await page.locator('.pattern-figure').count(), `${p.id} has figures`).toBeGreaterThan(0);
  }
  expect(errors).toEqual([]);
});

test('a chart off screen is not drawn while it is away, and is drawn again when it returns', async ({ page }) => {
  // A short window: the charts start below the fold.
  await page.setViewportSize({ width: 1280, height: 480 });
  await openLive(page);
  await page.evaluate(() => window.scrollTo(0, 0));
  const chart = page.getByTestId('depth-chart');
  const box = (await chart.boundingBox())!;
  expect(box.y).toBeGreaterThan(480);
  const away = await pixels(page, 'depth-chart');
  await page.waitForTimeout(1000);
  // The run went on (the figures moved), the hidden chart did not redraw.
  expect(await pixels(page, 'depth-chart')).toEqual(away);
  await chart.scrollIntoViewIfNeeded();
  await expect.poll(() => pixels(page, 'depth-chart')).not.toEqual(away);
});

test('a machine that needed the stage\'s low resolution starts there on its next page, and goes back to full resolution once it holds', async ({ page }) => {
  const KEY = 'switchboard.stage.low-resolution';
  await page.goto('/');
  // What an earlier page on a slow machine left behind.
  await page.evaluate((key) => localStorage.setItem(key, '1'), KEY);
  await openLive(page);
  // Backing pixels over CSS pixels: 1 at full resolution, ½ at the low one.
  const scale = () =>
    page.getByTestId('stage').evaluate((c) => (c as HTMLCanvasElement).width / (c.clientWidth * devicePixelRatio));
  expect(await scale()).toBeCloseTo(0.5, 1);
  // This machine draws at the display's rate: after a calm spell (~2 s)
  // the try of full resolution holds (~1 s), and the next page starts at
  // full resolution.
  await expect.poll(scale, { timeout: 15_000 }).toBeCloseTo(1, 1);
  await expect.poll(() => page.evaluate((key) => localStorage.getItem(key), KEY), { timeout: 5_000 }).toBeNull();
});
