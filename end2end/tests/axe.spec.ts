import { test, expect, type Page } from '@playwright/test';
import { expectAxeClean } from './access';
import { openLive, startClass, watchErrors } from './helpers';

// axe-core (WCAG 2.0–2.2 A and AA rules) finds nothing in every view a
// class uses, on a laptop and on a 320 px phone.

const SIZES = [
  { name: '1280×800', viewport: { width: 1280, height: 800 }, touch: false },
  { name: '320×640', viewport: { width: 320, height: 640 }, touch: true },
];

for (const size of SIZES) {
  test.describe(size.name, () => {
    test.use({ viewport: size.viewport, hasTouch: size.touch, isMobile: size.touch });

    test(`the dashboard, compare mode, projector, help and inspector are axe-clean at ${size.name}`, async ({ page }) => {
      const errors = watchErrors(page);
      await openLive(page, '/?pattern=request-response&rate=120&seed=3');
      await page.waitForTimeout(1500);
      await expectAxeClean(page, 'the default page');

      // Help open, with its settings.
      if (size.touch) await page.getByTestId('menu-button').click();
      await page.getByTestId('help-button').click();
      await expect(page.getByTestId('help')).toBeVisible();
      await expectAxeClean(page, 'help open');
      await page.keyboard.press('Escape');
      await expect(page.getByTestId('help')).toHaveCount(0);

      // The inspector open on a recent request, its story in words.
      await page.locator('details.recent summary').first().click();
      await page.getByTestId('recent').locator('button').first().click();
      await expect(page.getByTestId('inspector')).toBeVisible();
      await expect(page.getByTestId('inspector-story').locator('li').first()).toBeVisible();
      await expectAxeClean(page, 'the inspector open');
      await page.keyboard.press('Escape');

      // A chart's table shown.
      await page.getByTestId('table-toggle-wait-chart').first().click();
      await expect(page.getByTestId('table-wait-chart').first()).toBeVisible();
      await expectAxeClean(page, 'a chart shown as a table');

      // Three panes compared.
      await page.goto('/?pattern=short-polling&vs=long-polling,server-sent-events&seed=3');
      await expect(page.getByTestId('pane-c').getByTestId('connection')).toHaveText('live');
      await page.waitForTimeout(1500);
      await expectAxeClean(page, 'three panes compared');

      // Projector mode.
      await page.locator('body').press('p');
      await expect(page.locator('.page.projector')).toHaveCount(1);
      await page.waitForTimeout(500);
      await expectAxeClean(page, 'projector mode');
      expect(errors).toEqual([]);
    });

    test(`a class is axe-clean for its presenter, a follower and an explorer at ${size.name}`, async ({ browser }) => {
      const { teacher, code, ctx } = await startClass(browser, '/?preset=black-friday&seed=5', { viewport: size.viewport });
      await teacher.waitForTimeout(1000);
      await expectAxeClean(teacher, 'the presenter');

      const studentCtx = await browser.newContext({ viewport: size.viewport, hasTouch: size.touch, isMobile: size.touch });
      const student = await studentCtx.newPage();
      const errors = watchErrors(student);
      await student.goto(`/join/${code}`);
      // The prediction dialog first.
      await expect(student.getByTestId('class-predict')).toBeVisible();
      await expectAxeClean(student, 'a follower asked to predict');
      await student.getByTestId('class-predict').locator('.choice').first().click();
      await expect(student.getByTestId('following')).toBeVisible();
      await expect(student.getByTestId('pane-a').getByTestId('connection')).toHaveText('live');
      await student.waitForTimeout(1000);
      await expectAxeClean(student, 'a follower');

      await student.getByTestId('explore').click();
      await expect(student.getByTestId('exploring')).toBeVisible();
      await expect(student.getByTestId('pane-a').getByTestId('connection')).toHaveText('live');
      await student.waitForTimeout(1000);
      await expectAxeClean(student, 'an explorer');
      expect(errors).toEqual([]);
      await studentCtx.close();
      await ctx.close();
    });
  });
}

test('the dark scheme is axe-clean', async ({ browser }) => {
  const ctx = await browser.newContext({ colorScheme: 'dark', viewport: { width: 1280, height: 800 } });
  const page: Page = await ctx.newPage();
  await openLive(page, '/?pattern=message-queue&seed=3');
  await page.waitForTimeout(1000);
  await expectAxeClean(page, 'the dark dashboard');
  await ctx.close();
});
