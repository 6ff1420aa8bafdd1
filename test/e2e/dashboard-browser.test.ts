// The dashboard in a real browser (Debian's headless Chromium, driven by playwright-core) against
// a real daemon and Redis, as a person would use it (issue 26): log in, the tasks at a glance
// (state filters with counts, in the address through reload and Back, sorting, the page jump, a
// running task), a form's errors at their fields and in view, a timer edited as a date, a task's
// health, its output kept open and a run's live output, the Changes and Fleet pages, a phone's
// 390 px, a viewer who sees no control, axe-core on every page (0 serious or critical
// violations) and a console without errors; a new tab handed the session; the Live page through
// a Redis restart.
// On failure the page is kept as test-results/dashboard-failure.png (the path is printed).
// KTIMER_SCREENSHOTS=docs saves the main pages, desktop and phone, as docs/dashboard-*.png.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ROOT } from '../helpers/cli.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';
import { useWebDaemon } from '../helpers/web-daemon.js';

const CHROMIUM = process.env.KTIMER_CHROMIUM ?? '/usr/bin/chromium';
const PASSWD = 'browser-test-secret';
const VIEWER = 'browser-test-viewer';
const FAILURE_SHOT = join(ROOT, 'test-results', 'dashboard-failure.png');
const SHOTS = process.env.KTIMER_SCREENSHOTS;
const AXE = readFileSync(join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
// AOF: the last test restarts Redis, and the session and the ticker outlive it.
const redis = usePrivateRedis({ aof: true });
const web = useWebDaemon(redis, PASSWD, { web: [`web_viewer_passwd = ${VIEWER}`] });
let browser: Browser | undefined;

before(async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: apt-get install -y chromium (or set KTIMER_CHROMIUM)`,
  );
  browser = await chromium.launch({ executablePath: CHROMIUM });
});
after(() => browser?.close());

/** Runs `steps` on a fresh page of that size; on failure keeps a screenshot and says where. */
async function onPage(
  viewport: { width: number; height: number },
  steps: (page: Page, consoleErrors: string[]) => Promise<void>,
  timezoneId?: string,
): Promise<void> {
  if (!browser) throw new Error('the browser starts in the before hook');
  const context = await browser.newContext({ viewport, ...(timezoneId ? { timezoneId } : {}) });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors = consoleErrors(page);
  try {
    await steps(page, errors);
  } catch (err) {
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: FAILURE_SHOT, fullPage: true }).catch(() => {});
    process.stderr.write(`dashboard test failed; screenshot: ${FAILURE_SHOT}\n`);
    throw err;
  } finally {
    await context.close();
  }
}

/** axe-core on the page as it is: no serious or critical violation (their rules and nodes said). */
async function assertAccessible(page: Page, where: string): Promise<void> {
  // Evaluated as the page's own code would be (the page's CSP allows no inline script tag).
  if (!(await page.evaluate("'axe' in window"))) await page.evaluate(AXE);
  // Run in the page (a string: these tests are typed without the DOM's types).
  const found = await page.evaluate<string[]>(`axe.run().then(({ violations }) => violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => v.impact + ' ' + v.id + ': ' + v.nodes.map((n) => JSON.stringify(n.target)).join(', ')))`);
  assert.deepEqual(found, [], `axe on ${where}`);
}

/** Nothing scrolls sideways (a phone's 390 px). */
async function assertNoSideScroll(page: Page, where: string): Promise<void> {
  const [scroll = 0, view = 0] = await page.evaluate<number[]>(
    '[document.documentElement.scrollWidth, window.innerWidth]',
  );
  assert.ok(scroll <= view, `${where}: ${scroll} px wide in a ${view} px viewport`);
}

async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: join(ROOT, SHOTS, `dashboard-${name}.png`) });
}

async function logIn(page: Page, passwd: string, hash = ''): Promise<void> {
  await page.goto(`http://127.0.0.1:${web.port}/ui${hash}`);
  await page.getByLabel('Password').fill(passwd);
  await page.keyboard.press('Enter');
  await page
    .getByRole('link', { name: 'Log out' })
    .or(page.getByRole('button', { name: 'Log out' }))
    .waitFor();
}

/** Console errors of the page (a failed request shows there too): collected, to be none. */
function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

const api = async (params: Record<string, string>) => {
  const reply = await web.api(params);
  assert.equal(reply.http, 200, JSON.stringify(reply));
  return reply.body;
};

test('the tasks at a glance: counts, filters in the address, sorting, pages, a running task, failures that say why', async () => {
  await api({ action: 'add', type: 'ticker', time: '1', name: 'g-fails', command: 'echo broke >&2; exit 3' });
  // Running for good once begun: its next runs are skipped (overlap=skip) while it sleeps.
  await api({
    action: 'add',
    type: 'ticker',
    time: '5',
    name: 'g-slow',
    overlap: 'skip',
    command: 'echo slow-started; sleep 60',
  });
  await api({
    action: 'add',
    type: 'cron',
    cron: '0 30 3 * * *',
    tz: 'Asia/Kolkata',
    name: 'g-nightly',
    group: 'nightly',
    command: 'echo n',
  });
  await api({ action: 'pause', kid: 'g-nightly' });
  await Promise.all(
    Array.from({ length: 21 }, (_, i) =>
      api({
        action: 'add',
        type: 'timer',
        time: String(3600 + i),
        name: `g-later-${String(i).padStart(2, '0')}`,
        command: 'true',
      }),
    ),
  );
  await onPage(DESKTOP, async (page, errors) => {
    await logIn(page, PASSWD);
    await page.getByRole('heading', { name: 'Tasks' }).waitFor();
    const states = page.getByRole('navigation', { name: 'Task states' });
    await states.getByRole('link', { name: /^Failing 1$/ }).waitFor();
    await states.getByRole('link', { name: /^Paused 1$/ }).waitFor();
    await states.getByRole('link', { name: /^All 24$/ }).waitFor();
    await assertAccessible(page, 'the tasks');
    await shot(page, 'tasks-desktop');

    // Failing: in the address, a reload and Back keep it; the row says why.
    await states.getByRole('link', { name: /^Failing/ }).click();
    await page.waitForURL(/#\/tasks\?state=failing$/);
    const failing = page.locator('tr', { has: page.getByRole('link', { name: 'g-fails', exact: true }) });
    await failing.getByText('(exit 3)').waitFor();
    assert.equal(await failing.locator('.tag').count(), 0, 'a task of no group shows none');
    await page.reload();
    await failing.getByText('(exit 3)').waitFor();
    assert.equal(await page.locator('tbody tr').count(), 1);
    // Back (a hash change within the page: no load to wait for).
    await page.evaluate('history.back()');
    await page.waitForURL(/\/ui(#\/tasks)?$/);
    await states
      .getByRole('link', { name: /^All/, exact: false })
      .and(page.locator('[aria-current="page"]'))
      .waitFor();

    // The running one: which daemon, since when (the Running filter).
    await states.getByRole('link', { name: /^Running 1$/ }).click({ timeout: 15_000 });
    await page
      .locator('tr', { hasText: 'g-slow' })
      .getByText(/running on \S+ \(pid \d+\)/)
      .waitFor();
    await page.getByRole('link', { name: /^All/ }).first().click();

    // A group: its filter keeps its tasks, in the address, and the counts follow.
    await page.getByLabel('Group').selectOption('nightly');
    await page.waitForURL(/group=nightly/);
    await states.getByRole('link', { name: /^All 1$/ }).waitFor();
    await page
      .locator('tbody tr', { hasText: 'g-nightly' })
      .locator('.tag', { hasText: 'nightly' })
      .waitFor();
    await page.getByLabel('Group').selectOption('');
    await states.getByRole('link', { name: /^All 24$/ }).waitFor();

    // Sorted by name, descending; the page jump; the last page says there is no more.
    await page.getByRole('button', { name: 'Task', exact: true }).click();
    await page.waitForURL(/sort=name/);
    await page.getByRole('button', { name: 'Task', exact: true }).click();
    await page.waitForURL(/sort=name&order=desc/);
    await page.locator('tbody tr').first().getByRole('link', { name: 'g-slow' }).waitFor();
    await page.getByLabel('Page', { exact: true }).fill('2');
    await page.getByRole('button', { name: 'Go' }).click();
    await page.waitForURL(/page=2/);
    await page.getByText('No more matches').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Next page' }).count(), 0);
    // A search that finds nothing says so, with no Next.
    await page.getByLabel('Search').fill('zzz-none');
    await page.getByText('No tasks match.').waitFor();
    await page.waitForURL(/q=zzz-none/);
    assert.equal(await page.getByRole('button', { name: 'Next page' }).count(), 0);
    assert.deepEqual(errors, []);
  });
});

test('a form: errors at their fields, all at once and in view; a timer as a date; a name clash offers Replace; Cancel asks', async () => {
  await onPage(DESKTOP, async (page, errors) => {
    await logIn(page, PASSWD, '#/tasks/new');
    await page.getByRole('heading', { name: 'Add a task' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('9 bad name');
    await page.getByLabel('Type').selectOption('ticker');
    await page.getByLabel('Interval (seconds)').fill('0');
    await page.getByRole('button', { name: 'Add task' }).click();
    // Each field its own error, aria-invalid, focus on the first, in view.
    for (const label of ['Name', 'Interval (seconds)', 'Command'])
      assert.equal(await page.getByLabel(label, { exact: true }).getAttribute('aria-invalid'), 'true', label);
    await page.getByText('A name is a letter').waitFor();
    await page.getByText('Give a shell command').waitFor();
    assert.equal(await page.evaluate("document.activeElement?.getAttribute('name')"), 'name');
    await page.getByText('Give a shell command').scrollIntoViewIfNeeded();
    await assertAccessible(page, 'the form with errors');
    // No preview request while the interval is wrong: the page says why itself.
    await page.getByText('No preview: Interval in seconds').waitFor();

    // A timer due at a date in the zone shown; the preview's one run is that time.
    await page.getByLabel('Type').selectOption('timer');
    // Ten days ahead, at 07:08:09 in the zone shown (the browser's: this machine's).
    const day = new Date(Date.now() + 10 * 86_400_000);
    const date = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
    await page.getByLabel(/^Runs at \(/).fill(`${date}T07:08:09`);
    await page.locator('#preview li', { hasText: `${date} 07:08:09` }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('g-later-00');
    await page.getByLabel('Command').fill('echo <b>hi</b>');
    await page.getByRole('button', { name: 'Add task' }).click();
    // The name is taken: said at the name, with the Replace box to tick.
    await page.getByText(/is taken by task .*tick “Replace it”/).waitFor();
    await page.getByLabel(/^Replace it/).check();
    await page.getByRole('button', { name: 'Add task' }).click();
    await page.getByRole('heading', { name: 'g-later-00' }).waitFor();
    await page.locator('.facts', { hasText: 'echo <b>hi</b>' }).waitFor();
    assert.equal(await page.locator('b').count(), 0, 'a command is text, never markup');

    // Editing shows the due date, not a unix time; Cancel with an edit asks first.
    await page.getByRole('link', { name: 'Edit g-later-00' }).click();
    await page.getByRole('heading', { name: 'Edit g-later-00' }).waitFor();
    assert.equal(await page.getByLabel(/^Runs at \(/).inputValue(), `${date}T07:08:09`);
    await page.getByLabel('Command').fill('echo changed');
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.dismiss();
    });
    await page.getByRole('button', { name: 'Cancel' }).click();
    assert.match(asked, /Discard your changes/);
    await page.getByRole('heading', { name: 'Edit g-later-00' }).waitFor();
    // The one refusal the console shows: the add whose name was taken (409), as the server said it.
    assert.deepEqual(errors, [
      'Failed to load resource: the server responded with a status of 409 (Conflict)',
    ]);
  });
});

test("a task's page: health, its output kept open as runs come, run now on a busy task says what it will do; Changes and Fleet", async () => {
  await onPage(
    DESKTOP,
    async (page, errors) => {
      await logIn(page, PASSWD, '#/task/g-fails');
      await page.getByRole('heading', { name: 'g-fails' }).waitFor();
      await page.getByText(/failed in a row/).waitFor();
      await page.getByText(/Success rate/).waitFor();
      const fireId = await page.locator('tr[data-fire]').first().getAttribute('data-fire');
      const first = page.locator(`tr[data-fire="${fireId ?? ''}"]`);
      await first.getByText('Output').click();
      await first.locator('pre', { hasText: 'broke' }).waitFor();
      // The next run reloads the history: the output stays open, focus stays on it.
      await waitFor(
        async () => (await page.locator('tr[data-fire]').first().getAttribute('data-fire')) !== fireId,
        {
          what: 'the next run in the history',
        },
      );
      assert.equal(await page.locator(`tr[data-fire="${fireId}"] details`).getAttribute('open'), '');
      assert.equal(await page.evaluate('document.activeElement?.tagName'), 'SUMMARY');
      await assertAccessible(page, "a task's page");
      await shot(page, 'task-desktop');
      // Times in the browser's zone, named; the header's switch shows them all in UTC instead.
      const started = page.locator('tr[data-fire] td[data-label="Started"] time').first();
      assert.match(await started.innerText(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (IST|GMT\+5:30)$/);
      await page.getByRole('button', { name: /^Times: Asia\/(Kolkata|Calcutta)$/ }).click();
      await page.getByRole('button', { name: 'Times: UTC' }).waitFor();
      assert.match(await started.innerText(), / UTC$/);

      await page.goto(`http://127.0.0.1:${web.port}/ui#/task/g-slow`);
      await page.getByRole('heading', { name: 'Running now' }).waitFor({ timeout: 15_000 });
      await page.getByText('Run now is refused until it ends').first().waitFor();
      // Its live output (output_live).
      await page.locator('pre.tail', { hasText: 'slow-started' }).waitFor({ timeout: 15_000 });

      await page.getByRole('link', { name: 'Changes' }).click();
      await page
        .getByRole('table', { name: 'Changes' })
        .getByText('dashboard admin 127.0.0.1')
        .first()
        .waitFor();
      await assertAccessible(page, 'the changes');
      await shot(page, 'changes-desktop');
      await page.getByRole('link', { name: 'Fleet' }).click();
      const daemon = page.getByRole('table', { name: 'Daemons' }).locator('tbody tr').first();
      await daemon.waitFor();
      // From the daemons action: its version.
      assert.match(await daemon.locator('td[data-label="Version"]').innerText(), /^\d+\.\d+/);
      await assertAccessible(page, 'the fleet');
      await shot(page, 'fleet-desktop');
      await page.getByRole('link', { name: 'Runs' }).click();
      await page.locator('tbody tr').first().waitFor();
      await assertAccessible(page, 'the runs');
      await page.getByRole('link', { name: 'Live' }).click();
      await page.locator('.feed li').first().waitFor();
      await assertAccessible(page, 'live');
      await shot(page, 'live-desktop');
      assert.deepEqual(errors, []);
    },
    'Asia/Kolkata',
  );
});

test('a phone: no page scrolls sideways, tasks are cards with their actions in a menu', async () => {
  await onPage(PHONE, async (page, errors) => {
    await page.goto(`http://127.0.0.1:${web.port}/ui`);
    await assertAccessible(page, 'the login form');
    await logIn(page, PASSWD);
    const row = page.locator('tr', { has: page.getByRole('link', { name: 'g-fails', exact: true }) });
    await row.waitFor();
    await assertNoSideScroll(page, 'the tasks');
    await shot(page, 'tasks-phone');
    await row.getByText('Actions').click();
    await row.getByRole('button', { name: 'Pause g-fails' }).click();
    await page.locator('#notice', { hasText: 'g-fails paused' }).waitFor();
    // Paused tasks come last (no next run): the Paused filter finds it at once.
    await page.getByRole('link', { name: /^Paused 2$/ }).click();
    await row.getByText('paused', { exact: true }).first().waitFor();
    // Each page once it shows what it loads (a row, the feed, the form's preview).
    const loaded: [string, string][] = [
      ['#/task/g-fails', 'tr[data-fire]'],
      ['#/changes', 'tbody tr'],
      ['#/fleet', 'tbody tr'],
      ['#/runs', 'tbody tr'],
      ['#/live', '.feed li'],
      ['#/tasks/new', '#preview li'],
    ];
    for (const [hash, shown] of loaded) {
      await page.goto(`http://127.0.0.1:${web.port}/ui${hash}`);
      await page.locator(shown).first().waitFor();
      await assertNoSideScroll(page, hash);
      if (hash === '#/task/g-fails') {
        await shot(page, 'task-phone');
        await assertAccessible(page, "a task's page on a phone");
      }
    }
    assert.deepEqual(errors, []);
  });
});

test('a viewer sees everything and no control that changes anything', async () => {
  await onPage(DESKTOP, async (page, errors) => {
    await logIn(page, VIEWER);
    await page.getByText('viewer: read only').waitFor();
    // A page's first tab stop skips the header to its content.
    await page.reload();
    await page.getByText('viewer: read only').waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate('document.activeElement?.id'), 'main');
    await page.getByRole('link', { name: 'g-slow', exact: true }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Add task' }).count(), 0);
    assert.equal(await page.getByText('Actions').count(), 0);
    await page.getByRole('link', { name: 'g-slow', exact: true }).click();
    await page.getByRole('heading', { name: 'g-slow' }).waitFor();
    assert.equal(await page.getByRole('button', { name: /^(Pause|Resume|Run now|Delete)/ }).count(), 0);
    await assertAccessible(page, "a viewer's task page");
    assert.deepEqual(errors, []);
  });
});

test('a new tab of the browser is handed the session by an open one; with none open, the cookie alone opens nothing', async () => {
  if (!browser) throw new Error('the browser starts in the before hook');
  const context = await browser.newContext();
  try {
    const first = await context.newPage();
    await first.goto(`http://127.0.0.1:${web.port}/ui`);
    await first.getByLabel('Password').fill(PASSWD);
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
    await third.getByLabel('Password').waitFor();
    assert.equal((await context.cookies()).length, 1);
  } finally {
    await context.close();
  }
});

/** Makes the page believe its tab went to the background, or came back (as a tab switch does). */
async function setInView(page: Page, visible: boolean): Promise<void> {
  const state = visible ? 'visible' : 'hidden';
  await page.evaluate(
    `Object.defineProperty(document, 'visibilityState', { value: '${state}', configurable: true });
     Object.defineProperty(document, 'hidden', { value: ${String(!visible)}, configurable: true });
     document.dispatchEvent(new Event('visibilitychange'));`,
  );
}

test('a Tasks page in a background tab reads the board no more while runs come, and once when seen again', async () => {
  await api({ action: 'add', type: 'ticker', time: '1', name: 'in-view-tick', command: 'true' });
  const runNum = async () =>
    ((await api({ action: 'get', kid: 'in-view-tick' })) as { data: { run_num: number } }).data.run_num;
  try {
    await onPage(DESKTOP, async (page) => {
      let boards = 0;
      page.on('request', (r) => {
        if (r.url().endsWith('/ui/api') && (r.postData() ?? '').includes('action=board')) boards++;
      });
      await logIn(page, PASSWD);
      await page.getByRole('heading', { name: 'Tasks' }).waitFor();
      await waitFor(() => boards > 0, { what: 'the first board read' });
      await setInView(page, false);
      const hidden = boards;
      // Twelve runs, each one of the live feed: a page in view reads the board every 3 s meanwhile
      // (without whileInView: 2 reads in 9 runs).
      const from = await runNum();
      await waitFor(async () => (await runNum()) >= from + 12, { timeoutMs: 25_000, what: 'twelve runs' });
      // At most the one read already set for before the tab went to the background.
      assert.ok(boards - hidden <= 1, `${boards - hidden} board reads in a background tab`);
      const before = boards;
      await setInView(page, true);
      await waitFor(() => boards > before, { what: 'the board read once the tab is seen' });
    });
  } finally {
    await api({ action: 'del', kid: 'in-view-tick' });
  }
});

test('Redis away: the Live page follows the runs again once it is back; log out says it could not', async () => {
  await onPage(DESKTOP, async (page) => {
    await page.goto(`http://127.0.0.1:${web.port}/ui`);
    await page.getByLabel('Password').fill(PASSWD);
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
