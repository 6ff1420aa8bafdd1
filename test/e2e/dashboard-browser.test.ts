// The dashboard in a real browser (Debian's headless Chromium, driven by playwright-core) against
// a real daemon and Redis, as a person would use it: log in, add a ticker, see it fire in the
// live feed, pause it, run it now, find that run in its history, delete it, log out; and the
// Live page opened while Redis is away (following the runs again once it is back; a logout that
// cannot end the session says so), and a task page opened by name following its runs.
// On failure the page is kept as test-results/dashboard-failure.png (the path is printed).
// KTIMER_SCREENSHOT=docs/dashboard.png also saves the Live page once the ticker has fired.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ROOT } from '../helpers/cli.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { useWebDaemon } from '../helpers/web-daemon.js';

const CHROMIUM = process.env.KTIMER_CHROMIUM ?? '/usr/bin/chromium';
const PASSWD = 'browser-test-secret';
const FAILURE_SHOT = join(ROOT, 'test-results', 'dashboard-failure.png');
// AOF: the second test restarts Redis, and the session and the ticker outlive it.
const redis = usePrivateRedis({ aof: true });
const web = useWebDaemon(redis, PASSWD);
let browser: Browser | undefined;

before(async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: apt-get install -y chromium (or set KTIMER_CHROMIUM)`,
  );
  browser = await chromium.launch({ executablePath: CHROMIUM });
});
after(() => browser?.close());

/** Runs `steps` on a fresh page; on failure keeps a screenshot and says where. */
async function onPage(steps: (page: Page) => Promise<void>): Promise<void> {
  if (!browser) throw new Error('the browser starts in the before hook');
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  try {
    await steps(page);
  } catch (err) {
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: FAILURE_SHOT, fullPage: true }).catch(() => {});
    process.stderr.write(`dashboard test failed; screenshot: ${FAILURE_SHOT}\n`);
    throw err;
  } finally {
    await context.close();
  }
}

test('a session in the dashboard: log in, add a ticker, watch it fire, pause, run now, delete, log out', async () => {
  await onPage(async (page) => {
    await page.goto(`http://127.0.0.1:${web.port}/ui`);

    await page.getByLabel('Password (web_passwd)').fill('not it');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').getByText('wrong password').waitFor();
    await page.getByLabel('Password (web_passwd)').fill(PASSWD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Tasks' }).waitFor();

    // Add a ticker; the form previews its next 5 runs as it is typed.
    await page.getByRole('link', { name: 'Add task' }).click();
    await page.getByLabel('Name').fill('browser-tick');
    await page.getByLabel('Type').selectOption('ticker');
    await page.getByLabel('Time (seconds)').fill('1');
    await page.getByLabel('Command').fill('echo "<img src=x onerror=alert(1)> tick"');
    await page.locator('#preview li').nth(4).waitFor();
    assert.equal(await page.locator('#preview li').count(), 5);
    await page.getByLabel('Type').selectOption('cron');
    await page.getByLabel('Cron expression').fill('0 30 3 * * *');
    await page.getByText('cron 0 30 3 * * *').waitFor();
    assert.match((await page.locator('#preview li').first().textContent()) ?? '', / 03:30:00/);
    await page.getByLabel('Type').selectOption('ticker');
    await page.getByRole('button', { name: 'Add task' }).click();
    await page.getByRole('heading', { name: 'browser-tick' }).waitFor();
    // The command is shown as text, not markup.
    await page.locator('pre.command', { hasText: '<img src=x onerror=alert(1)> tick' }).waitFor();
    assert.equal(await page.locator('img').count(), 0);

    // It fires: the live feed shows it, and the chart has points.
    await page.getByRole('link', { name: 'Live' }).click();
    await page.locator('.feed li', { hasText: 'browser-tick' }).first().waitFor();
    await page.locator('svg.chart circle').first().waitFor();
    if (process.env.KTIMER_SCREENSHOT) {
      await page.locator('.feed li').nth(5).waitFor();
      await page.screenshot({ path: process.env.KTIMER_SCREENSHOT });
    }

    // Pause it from the tasks table.
    await page.getByRole('link', { name: 'Tasks' }).click();
    const row = page.locator('tr', { has: page.getByRole('link', { name: 'browser-tick', exact: true }) });
    await row.getByRole('button', { name: 'Pause browser-tick' }).click();
    await row.getByText('paused', { exact: true }).waitFor();
    await row.getByRole('button', { name: 'Resume browser-tick' }).waitFor();

    // Run it now (paused or not), and find that run in its history.
    await row.getByRole('button', { name: 'Run now browser-tick' }).click();
    // The notice said "paused"; what it says next is the run's fire id, or why not.
    const said = await page.locator('#notice').filter({ hasNotText: 'paused' }).textContent();
    const fireId = /run (\S+) (started|queued)/.exec(said ?? '')?.[1];
    assert.ok(fireId, `run now: ${said}`);
    await row.getByRole('link', { name: 'browser-tick', exact: true }).click();
    const run = page.locator(`tr[data-fire="${fireId}"]`);
    await run.waitFor();
    await run.getByText('Output').click();
    await run.locator('pre', { hasText: '<img src=x onerror=alert(1)> tick' }).waitFor();

    // Delete it.
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete browser-tick' }).click();
    await page.getByRole('heading', { name: 'Tasks' }).waitFor();
    await page.getByText('browser-tick deleted').waitFor();
    assert.equal((await web.api({ action: 'get', kid: 'browser-tick' })).http, 404);

    // A malformed escape in the address names no task, and blanks nothing.
    await page.goto(`http://127.0.0.1:${web.port}/ui#/task/%E0%A4%A`);
    await page.getByRole('heading', { name: 'Task', exact: true }).waitFor();
    await page.locator('#notice', { hasText: 'invalid' }).waitFor();

    // Log out: the login form again, and the session is gone on the server.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Password (web_passwd)').waitFor();
    await page.reload();
    await page.getByLabel('Password (web_passwd)').waitFor();
  });
});

test('a new tab of the browser is handed the session by an open one; with none open, the cookie alone opens nothing', async () => {
  if (!browser) throw new Error('the browser starts in the before hook');
  const context = await browser.newContext();
  try {
    const first = await context.newPage();
    await first.goto(`http://127.0.0.1:${web.port}/ui`);
    await first.getByLabel('Password (web_passwd)').fill(PASSWD);
    await first.keyboard.press('Enter');
    await first.getByRole('heading', { name: 'Tasks' }).waitFor();
    const cookies = await context.cookies();
    assert.deepEqual(
      cookies.map((c) => [c.name, c.httpOnly, c.sameSite]),
      [['ktimer_browser', true, 'Strict']],
    );
    const second = await context.newPage();
    await second.goto(`http://127.0.0.1:${web.port}/ui#/runs`);
    await second.getByRole('heading', { name: 'Runs' }).waitFor();
    await first.close();
    await second.close();
    // The cookie is still in the browser, and it is all a page without the token has.
    const third = await context.newPage();
    await third.goto(`http://127.0.0.1:${web.port}/ui`);
    await third.getByLabel('Password (web_passwd)').waitFor();
    assert.equal((await context.cookies()).length, 1);
  } finally {
    await context.close();
  }
});

test('Redis away: the Live page follows the runs again once it is back; log out says it could not', async () => {
  await onPage(async (page) => {
    await page.goto(`http://127.0.0.1:${web.port}/ui`);
    await page.getByLabel('Password (web_passwd)').fill(PASSWD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Tasks' }).waitFor();
    const added = await web.api({
      action: 'add',
      type: 'ticker',
      time: '1',
      limit: '0',
      name: 'browser-back',
      command: 'echo back',
    });
    assert.equal(added.http, 200, JSON.stringify(added));

    // Redis away: the feed is refused (503), and the page says it tries again; a logout cannot
    // end the session, and says so rather than show the login form.
    await redis.server.stop();
    await page.getByRole('link', { name: 'Live' }).click();
    await page.getByText('reconnecting...').waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.locator('#notice', { hasText: 'not logged out' }).waitFor();
    await page.getByRole('heading', { name: 'Live' }).waitFor();

    await redis.server.launch();
    await page.getByText('connected: new runs appear at the top').waitFor({ timeout: 40_000 });
    await page.locator('.feed li', { hasText: 'browser-back' }).first().waitFor({ timeout: 20_000 });

    // A task's page opened by its name follows its runs as they come.
    await page.goto(`http://127.0.0.1:${web.port}/ui#/task/browser-back`);
    await page.getByRole('heading', { name: 'browser-back' }).waitFor();
    const rows = page.locator('tr[data-fire]');
    await rows.first().waitFor();
    const before = await rows.count();
    assert.ok(before < 50, 'the page shows the latest 50 runs: a new one must add a row');
    await rows.nth(before).waitFor({ timeout: 15_000 });
  });
});
