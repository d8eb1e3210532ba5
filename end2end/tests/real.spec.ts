import { test, expect, type Page } from '@playwright/test';
import { expectAxeClean, heard, withScreenReader } from './access';
import { scrubTo, sideways, watchErrors } from './helpers';

// Real traffic beside the model: pane A's recipe run over real loopback
// sockets by the real server, the table of model and real figures in the
// page, for an HTTP pattern, event streams, WebSockets and a real NATS broker.


/** Opens `query` with pane A live and the real panel open, its run set to `secs` seconds. */
async function openRealPanel(page: Page, query: string, secs: number) {
  await page.goto(query);
  await expect(page.getByTestId('connection')).toHaveText('live');
  await page.getByTestId('real-open').click();
  await page.getByTestId('real-secs').fill(String(secs));
  await page.getByTestId('real-secs').press('Tab');
}

/** Runs pane A for real; its table once the run is in. */
async function runForReal(page: Page, timeout = 30_000) {
  await page.getByTestId('real-run').click();
  const table = page.getByTestId('real-table');
  await expect(table).toBeVisible({ timeout });
  return table;
}

test('pane A runs for real beside its model, and the page shows both', async ({ page }) => {
  test.setTimeout(60_000);
  const errors = watchErrors(page);
  await openRealPanel(page, '/?pattern=request-response&rate=40&seed=3', 3);
  await page.getByTestId('real-run').click();
  await expect(page.getByTestId('real-status')).toContainText('for real for 3 s');
  const table = page.getByTestId('real-table');
  await expect(table).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('real-status')).toContainText('Done');
  // Model and real offered the same requests: the same schedule.
  const offered = table.getByRole('row', { name: /^offered/ });
  const cells = await offered.getByRole('cell').allTextContents();
  expect(cells[0]).toBe(cells[1]);
  expect(Number(cells[0].replace(/[^0-9.]/g, ''))).toBeGreaterThan(60);
  await expect(table.getByRole('row', { name: /mean wait/ })).toBeVisible();
  await expect(page.getByTestId('real-badge')).toContainText('loopback round trip');
  // The first request and its response, as they crossed the socket.
  const bytes = page.getByTestId('real-bytes');
  await expect(bytes.locator('pre').first()).toContainText('POST /real/request-response HTTP/1.1');
  await expect(bytes.locator('pre').first()).toContainText('x-service-ns:');
  await expect(bytes.locator('pre').nth(1)).toContainText('HTTP/1.1 200 OK');
  await expect(bytes.locator('pre').nth(1)).toContainText('x-left-ns:');
  // One vocabulary: the events by kind, model beside real.
  await page.getByTestId('real-kinds').locator('summary').click();
  const completed = page.getByTestId('real-kinds').getByRole('row', { name: /^Completed/ });
  await expect(completed).toBeVisible();
  await expectAxeClean(page, 'real vs model');
  expect(errors).toEqual([]);
});

test('the real run is drawn in a pane beside the model, and a real message shows its bytes', async ({ page }) => {
  test.setTimeout(90_000);
  const errors = watchErrors(page);
  // A light load: its requests all cross the first connections the
  // client opens, whose bytes the server keeps.
  await openRealPanel(page, '/?pattern=request-response&rate=6&seed=4', 4);
  await runForReal(page);
  await page.getByTestId('real-draw').click();
  await expect(page).toHaveURL(/vs=request-response.*&real=[0-9a-f]{16}/);
  const model = page.getByTestId('pane-a');
  const real = page.getByTestId('pane-b');
  await expect(real.getByTestId('pattern-name')).toHaveText(/real run on loopback, played back/);
  await expect(model.getByTestId('connection')).toHaveText('live');
  await expect(real.getByTestId('connection')).toHaveText('live');
  await expect(real).toHaveAttribute('aria-label', /the real run played back/);
  // The real pane draws and counts what really happened, request by
  // request, to the end of the real run, where it stops.
  await expect(real.getByRole('region', { name: 'Pane B: the stage' })).toContainText('t = 4.000 s', { timeout: 20_000 });
  await expect(real.getByTestId('words')).toContainText(/[1-9]\d* delivered/);
  // Stopped at its end while the model goes on: its words say so.
  await expect(real.getByTestId('words')).toContainText(/at 4\.0 s, paused/);
  await real.locator('details.recent summary').click();
  const recent = real.getByTestId('recent').locator('button');
  await expect(recent.first()).toBeVisible({ timeout: 15_000 });
  // A real message's bytes in the inspector: at this load every request
  // crossed one of the connections the run taps, the newest included.
  const inspector = page.getByTestId('inspector');
  await recent.first().click();
  await expect(inspector).toContainText('pane B');
  await expect(inspector.getByTestId('inspector-bytes')).toBeVisible();
  await expect(inspector.getByTestId('inspector-bytes')).not.toContainText('Asking the server');
  await expect(inspector.getByTestId('inspector-no-bytes')).toHaveCount(0);
  const pre = inspector.getByTestId('inspector-bytes').locator('pre');
  await expect(pre.first()).toContainText('POST /real/request-response HTTP/1.1');
  await expect(pre.first()).toContainText(/x-msg: \d+/);
  await expect(inspector.getByTestId('inspector-bytes')).toContainText('HTTP/1.1 200 OK');
  await expectAxeClean(page, 'a real pane beside a model pane, the inspector on a real message');
  // The model pane's inspector has no wire section: it is a model.
  await page.getByTestId('inspector-close').click();
  await model.locator('details.recent summary').click();
  await model.getByTestId('recent').locator('button').first().click();
  await expect(inspector).toContainText('pane A');
  await expect(inspector.getByTestId('inspector-bytes')).toHaveCount(0);
  await page.getByTestId('inspector-close').click();
  // The timeline moves both panes: the real one stands where the run
  // stood at that moment, a step back undoes its last events, and back to
  // live returns it to the furthest it played.
  const realClock = real.getByRole('region', { name: 'Pane B: the stage' });
  await scrubTo(page, 1.0);
  await expect(realClock).toContainText('t = 1.000 s');
  await expect(model.getByRole('region', { name: 'Pane A: the stage' })).toContainText('t = 1.000 s');
  await expect(real.getByTestId('words')).toContainText(/at 1\.0 s, paused/);
  await page.getByTestId('step-back').click();
  await expect(realClock).toContainText(/t = 0\.\d{3} s/);
  await page.getByTestId('live').click();
  await expect(realClock).toContainText('t = 4.000 s');
  await expect(page.locator('[data-testid=notice]', { hasText: 'as it happened' })).toHaveCount(0);
  expect(errors).toEqual([]);
  // A link to a real run the server no longer keeps says so in words,
  // once: the pane says "ended" and does not knock again.
  const asked: string[] = [];
  page.on('websocket', (ws) => {
    if (ws.url().includes('real=')) asked.push(ws.url());
  });
  await page.goto('/?pattern=request-response&vs=request-response&real=0123456789abcdef');
  await expect(page.getByTestId('notice')).toContainText('no longer kept');
  await expect(page.getByTestId('pane-b').getByTestId('connection')).toHaveText('ended');
  await expect(page.getByTestId('pane-a').getByTestId('connection')).toHaveText('live');
  await page.waitForTimeout(3000); // a retry would come within 0.25 to 2 s
  expect(asked).toHaveLength(1);
});

test('server-sent events run for real: streams drop, resume, and show their bytes', async ({ page }) => {
  test.setTimeout(60_000);
  const errors = watchErrors(page);
  await openRealPanel(page, '/?pattern=server-sent-events&update_rate=20&drops_per_min=30&reconnect_ms=300&seed=5', 4);
  const table = await runForReal(page);
  const reconnects = await table.getByRole('row', { name: /^reconnects/ }).getByRole('cell').allTextContents();
  expect(reconnects[0]).toBe(reconnects[1]);
  const lost = await table.getByRole('row', { name: /^events lost in drops/ }).getByRole('cell').allTextContents();
  expect(lost[1]).toBe('0');
  const bytes = page.getByTestId('real-bytes');
  await expect(bytes.locator('pre').first()).toContainText('GET /real/events HTTP/1.1');
  await expect(bytes.locator('pre').first()).toContainText('last-event-id: 0');
  await expect(bytes.locator('pre').nth(1)).toContainText('content-type: text/event-stream');
  await expect(bytes.locator('pre').nth(1)).toContainText('id: 1');
  expect(errors).toEqual([]);
});

test('a websocket room runs for real and shows its frames', async ({ page }) => {
  test.setTimeout(60_000);
  const errors = watchErrors(page);
  await openRealPanel(page, '/?pattern=websocket&drops_per_min=20&seed=6', 3);
  const table = await runForReal(page);
  const heartbeats = await table.getByRole('row', { name: /^heartbeat messages/ }).getByRole('cell').allTextContents();
  expect(heartbeats[0]).toBe(heartbeats[1]);
  const bytes = page.getByTestId('real-bytes');
  await expect(bytes.locator('pre').first()).toContainText('Upgrade: websocket');
  await expect(bytes.locator('pre').first()).toContainText('masked by the client, shown unmasked');
  await expect(bytes.locator('pre').nth(1)).toContainText('101 Switching Protocols');
  // The first frame the tapped member got, decoded: a relayed text frame
  // (81) or the pong to its first ping (8a), whichever the timing put first.
  await expect(bytes.locator('pre').nth(1)).toContainText(/\[first frame: (81|8a) /);
  expect(errors).toEqual([]);
});

test('the message queue runs for real on a nats-server and shows its frames', async ({ page }) => {
  test.setTimeout(60_000);
  const errors = watchErrors(page);
  await openRealPanel(page, '/?pattern=message-queue&rate=40&prefetch=4&crashes_per_min=30&restart_ms=300&visibility_ms=400&seed=7', 4);
  const table = await runForReal(page, 40_000);
  const offered = await table.getByRole('row', { name: /^offered/ }).getByRole('cell').allTextContents();
  expect(offered[0]).toBe(offered[1]);
  // Crashed consumers' copies came back from JetStream.
  const redeliveries = await table.getByRole('row', { name: /^redeliveries/ }).getByRole('cell').allTextContents();
  expect(Number(redeliveries[1])).toBeGreaterThan(0);
  // A pull request and a delivery, as they crossed the broker's socket.
  const bytes = page.getByTestId('real-bytes');
  await expect(bytes.locator('pre').first()).toContainText('PUB $JS.API.CONSUMER.MSG.NEXT.');
  await expect(bytes.locator('pre').nth(1)).toContainText('$JS.ACK.SWITCHBOARD_QUEUE.workers.');
  await expectAxeClean(page, 'real message queue');
  expect(errors).toEqual([]);
});

test('scatter-gather runs for real: a gateway fans out to real backends', async ({ page }) => {
  test.setTimeout(60_000);
  const errors = watchErrors(page);
  await openRealPanel(page, '/?pattern=scatter-gather&rate=20&fanout=4&seed=5', 3);
  const table = await runForReal(page);
  await expect(table.getByRole('row', { name: /^one branch p99/ })).toBeVisible();
  const bytes = page.getByTestId('real-bytes');
  await expect(bytes.locator('pre').first()).toContainText('POST /real/scatter-gather HTTP/1.1');
  await expect(bytes.locator('pre').nth(1)).toContainText('x-scattered-ns:');
  expect(errors).toEqual([]);
});

test('a page past the real-run places is told its place and runs in its turn', async ({ browser }) => {
  // The suite's server runs one real run at a time (--max-real-runs 1).
  test.setTimeout(90_000);
  const pages = [await browser.newPage(), await browser.newPage()];
  try {
    for (const p of pages) {
      await withScreenReader(p);
      await openRealPanel(p, '/?pattern=request-response&rate=20&seed=2', 3);
    }
    for (const p of pages) await p.getByTestId('real-run').click();
    // Whichever asked second waits, told so in its live status region.
    await expect
      .poll(async () => (await Promise.all(pages.map((p) => p.getByTestId('real-status').textContent()))).join(' | '), {
        timeout: 10_000,
      })
      .toMatch(/runs 1 real run at a time and all are under way; yours is next/);
    // Both run, one after the other.
    for (const p of pages) {
      await expect(p.getByTestId('real-table')).toBeVisible({ timeout: 40_000 });
      await expect(p.getByTestId('real-status')).toContainText('Done');
      await expect(p.getByTestId('real-status')).toHaveAttribute('role', 'status');
    }
    // A screen reader hears its place once (not at each of the page's
    // asks, once a second), then that its run is done.
    await expect.poll(async () => (await Promise.all(pages.map(heard))).flat().filter((h) => h.text.includes('Done')).length, { timeout: 5_000 }).toBe(2);
    const told = (await Promise.all(pages.map(heard))).flat().map((h) => h.text);
    expect(told.filter((t) => t.includes('yours is next'))).toHaveLength(1);
  } finally {
    // A page left open would keep its place in line for the next test.
    for (const p of pages) await p.close();
  }
});

test('the real panel and a real pane work from the keyboard, on a 320 px phone and at 200 % zoom', async ({ page }) => {
  test.setTimeout(60_000);
  await page.setViewportSize({ width: 320, height: 640 });
  await page.goto('/?pattern=webhooks&loss=0.1&seed=4');
  await expect(page.getByTestId('connection')).toHaveText('live');
  await page.getByTestId('real-open').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('real-open')).toHaveAttribute('aria-expanded', 'true');
  await page.getByTestId('real-secs').fill('2');
  await page.getByTestId('real-secs').press('Tab');
  await page.getByTestId('real-run').focus();
  await page.keyboard.press('Enter');
  const table = page.getByTestId('real-table');
  await expect(table).toBeVisible({ timeout: 30_000 });
  await expect(table.getByRole('row', { name: /^retries/ })).toBeVisible();
  // Nothing of the panel (its table, the bytes) widens the page.
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
  await expectAxeClean(page, 'real vs model at 320 px');
  // The real pane beside the model, from the keyboard, on the phone: the
  // page never scrolls sideways; then at 200 % zoom with the inspector on
  // a real delivery, nor there.
  await page.getByTestId('real-draw').focus();
  await page.keyboard.press('Enter');
  const real = page.getByTestId('pane-b');
  await expect(real.getByTestId('pattern-name')).toHaveText(/real run on loopback, played back/);
  await expect(real.getByTestId('connection')).toHaveText('live');
  expect(await sideways(page)).toBeLessThanOrEqual(0);
  await expectAxeClean(page, 'a real pane at 320 px');
  await page.setViewportSize({ width: 640, height: 400 });
  await expect(real.getByTestId('words')).toContainText(/at 2\.0 s, paused/, { timeout: 15_000 });
  await real.locator('details.recent summary').click();
  await real.getByTestId('recent').locator('button').first().focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('inspector-bytes')).toBeVisible();
  await expect(page.getByTestId('inspector-bytes')).not.toContainText('Asking the server');
  expect(await sideways(page)).toBeLessThanOrEqual(0);
});
