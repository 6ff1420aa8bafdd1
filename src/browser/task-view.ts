// One task: its fields, its health, the run under way with its live output, its next runs and
// its history, each run's output folded under it (an output opened stays open as the history
// is read again). The page follows the live feed. A task gone (a timer that fired, one deleted)
// has its history page (#/history/KID): links lead there, never to a request that fails.
import { runOfFireId } from '../runs/ids.js';
import { call, type Reply, taskDefaults } from './api.js';
import { resultEl, scheduleCell, timeEl } from './cells.js';
import { fill, h, keepingFocus, rowsOr, table, titleBar } from './dom.js';
import { ms, spanOf, timeOfMs } from './format.js';
import { whileInView } from './in-view.js';
import { watchRuns } from './live-source.js';
import type { ViewHandle } from './main.js';
import { attempt } from './notice.js';
import { OutputTail } from './output-tail.js';
import { labelOf, runNowNote, taskActions } from './task-actions.js';
import { healthOf } from './task-health.js';
import type { RunningFire, RunRecord, TaskRow, UpcomingRun } from './types.js';

/** History rows read: the health is of these. */
const HISTORY_ROWS = 100;
const OPEN_KEY = 'ktimer-open-outputs';

/** The fire ids whose output is open, kept in sessionStorage: reloads of the page keep them open. */
const openOutputs: Set<string> = (() => {
  try {
    return new Set(JSON.parse(sessionStorage.getItem(OPEN_KEY) ?? '[]') as string[]);
  } catch {
    return new Set<string>();
  }
})();

function keepOpen(fireId: string, open: boolean): void {
  if (open) openOutputs.add(fireId);
  else openOutputs.delete(fireId);
  try {
    sessionStorage.setItem(OPEN_KEY, JSON.stringify([...openOutputs].slice(-200)));
  } catch {
    // kept for this page only
  }
}

const fact = (name: string, value: string | Node | (string | Node)[] | null) =>
  value === null ? [] : [h('dt', null, name), h('dd', null, value)];

/** Issue 24's and 25's optional fields, where the task has them. */
function extraFacts(t: TaskRow): HTMLElement[] {
  return [
    ...fact('Group', t.group ?? null),
    ...fact('Runs on daemons labelled', t.on?.length ? t.on.join(', ') : null),
    ...fact('Runs as user', t.user ?? null),
    ...fact('Working directory', t.cwd ?? null),
    ...fact('Environment', t.env ? Object.keys(t.env).join(', ') || 'none' : null),
    ...fact('Output kept', t.output_max !== undefined ? String(t.output_max) : null),
    ...fact('Alerts', t.notify ?? null),
  ];
}

function drawTask(
  head: HTMLElement,
  t: TaskRow,
  defaults: { task_timeout?: number },
  reload: () => void,
): void {
  const note = runNowNote(t);
  fill(
    head,
    titleBar(
      labelOf(t),
      taskActions(t, (gone) => (gone ? (location.hash = '#/tasks') : reload())),
    ),
    note !== null ? h('p', { class: 'note' }, note) : null,
    h(
      'dl',
      { class: 'facts' },
      ...fact('Kid', t.kid),
      ...fact('Schedule', scheduleCell(t)),
      ...fact('State', t.paused !== undefined ? ['paused since ', timeEl(t.paused * 1000)] : 'active'),
      ...fact('Runs made', `${t.run_num}${t.limit > 0 ? ` of ${t.limit}` : ''}`),
      ...fact('Timeout', t.timeout !== null ? `${t.timeout} s` : defaultTimeout(defaults.task_timeout)),
      ...fact('While a run is under way', t.overlap),
      ...fact('Retries', t.retries > 0 ? `${t.retries}, the first after ${t.retry_delay ?? 0} s` : 'none'),
      ...extraFacts(t),
      ...fact('Command', h('pre', { class: 'command' }, t.command)),
    ),
  );
}

/** The timeout a task without its own has: task_timeout's value (0: none; URL calls stop at 30 s). */
function defaultTimeout(sec: number | undefined): string {
  if (sec === undefined) return 'the default (task_timeout)';
  return sec === 0 ? 'none (task_timeout = 0; a URL call stops at 30 s)' : `${sec} s (task_timeout)`;
}

/** The next 5 runs: in the zone shown, and a cron task's in its own zone too. */
function drawUpcoming(upcoming: HTMLElement, next: Reply<UpcomingRun[]>, t: TaskRow): void {
  fill(
    upcoming,
    next.data.length === 0
      ? h('li', null, next.paused ? 'none while paused' : 'none')
      : next.data.map((r) =>
          h(
            'li',
            null,
            timeEl(r.unix_ms, true),
            t.type === 'cron' && t.tz
              ? h('small', { class: 'muted' }, ` = ${timeOfMs(r.unix_ms, t.tz)} in ${t.tz}`)
              : null,
          ),
        ),
  );
}

/** The runs of the task under way: where, since when, for how long; the first one's live output. */
function drawRunning(section: HTMLElement, list: HTMLElement, tail: OutputTail, fires: RunningFire[]): void {
  const running = fires.filter((f) => f.state === 'started' || f.state === 'leased');
  section.hidden = running.length === 0;
  if (running.length === 0) {
    tail.stop();
    return;
  }
  fill(
    list,
    running.map((f) =>
      h(
        'li',
        null,
        `Run ${f.fire_id}${f.trigger !== 'schedule' ? ` (${f.trigger})` : ''} `,
        f.state === 'started' ? 'running' : 'starting',
        ` on ${f.host ?? '?'}${f.pid !== undefined ? ` (pid ${f.pid})` : ''}`,
        f.started_ms !== undefined
          ? [', since ', timeEl(f.started_ms), `, for ${spanOf(Date.now() - f.started_ms)}`]
          : '',
      ),
    ),
  );
  const first = running[0];
  if (first) tail.follow(first.fire_id);
}

export function showTask(main: HTMLElement, kid: string): ViewHandle {
  return showTaskPage(main, kid, true);
}

/** A task's history alone: for a task gone, or one whose page is asked for by its history's link. */
export function showHistory(main: HTMLElement, kid: string): ViewHandle {
  return showTaskPage(main, kid, false);
}

function showTaskPage(main: HTMLElement, kid: string, live: boolean): ViewHandle {
  const page = new TaskPage(kid, live);
  fill(main, ...page.element());
  void page.reload();
  let pending: number | undefined;
  // Runs in a burst are read once.
  const reload = whileInView(() => {
    window.clearTimeout(pending);
    pending = window.setTimeout(() => void page.reload(), 100);
  });
  const stop = watchRuns((run) => {
    if (run.kid === page.ownKid) reload.refresh();
  });
  const running = whileInView(() => void page.loadRunning());
  const tick = window.setInterval(running.refresh, 5000);
  return {
    stop: () => {
      stop();
      window.clearTimeout(pending);
      window.clearInterval(tick);
      reload.stop();
      running.stop();
      page.tail.stop();
    },
  };
}

class TaskPage {
  readonly head = h('div');
  readonly health = h('div');
  readonly upcoming = h('ol', { class: 'upcoming' });
  readonly history = h('tbody');
  readonly runningList = h('ul');
  readonly tail = new OutputTail();
  readonly running = h(
    'section',
    { 'aria-labelledby': 'running-title', hidden: true },
    h('h2', { id: 'running-title' }, 'Running now'),
    this.runningList,
    this.tail.element,
  );
  /** The page may be opened by the task's name (#/task/NAME): its kid, once get or the history says. */
  ownKid: string;
  private task: TaskRow | null = null;
  private defaults: { task_timeout?: number } = {};
  /** The task's runs under way, as the running action said last. */
  private runs: RunningFire[] = [];

  constructor(
    private readonly kid: string,
    private readonly live: boolean,
  ) {
    this.ownKid = kid;
  }

  element(): HTMLElement[] {
    return [
      this.head,
      this.running,
      h(
        'section',
        { 'aria-labelledby': 'health-title' },
        h('h2', { id: 'health-title' }, 'Health'),
        this.health,
      ),
      this.live
        ? h(
            'section',
            { 'aria-labelledby': 'next-title' },
            h('h2', { id: 'next-title' }, 'Next runs'),
            this.upcoming,
          )
        : null,
      h(
        'section',
        { 'aria-labelledby': 'history-title' },
        h('h2', { id: 'history-title' }, 'History'),
        table(['Fire', 'Result', 'Started', 'Lateness', 'Duration', 'Host', 'Output'], this.history, {
          'aria-labelledby': 'history-title',
          class: 'cards',
        }),
      ),
    ].filter((e): e is HTMLElement => e !== null);
  }

  reload(): Promise<unknown> {
    // The runs under way once the task's kid is known (the page may be opened by its name).
    const task = this.live ? this.loadTask() : this.loadHistory();
    return Promise.all([
      task.then(() => this.loadRunning()),
      this.live ? this.loadHistory() : this.drawGone(),
    ]);
  }

  private drawGone(): Promise<void> {
    fill(
      this.head,
      h('h1', null, 'History'),
      h('p', null, 'This task is gone (a timer that fired, or one deleted); its runs on record are below.'),
    );
    return Promise.resolve();
  }

  private async loadTask(): Promise<void> {
    const reply = await attempt(() => call<TaskRow>('get', { kid: this.kid }));
    if (!reply) {
      fill(
        this.head,
        h('h1', null, 'Task'),
        h('p', null, 'No such task now; its history, if any, is below.'),
      );
      return;
    }
    this.task = { ...reply.data, running: this.runs };
    this.ownKid = reply.data.kid;
    this.defaults = taskDefaults();
    const task = this.task;
    keepingFocus(() => drawTask(this.head, task, this.defaults, () => void this.reload()));
    const next = await attempt(() => call<UpcomingRun[]>('next', { kid: this.ownKid, n: '5' }));
    if (next) drawUpcoming(this.upcoming, next, reply.data);
  }

  async loadRunning(): Promise<void> {
    // This task's only: the fires hash is read by the server, not sent whole.
    const reply = await call<RunningFire[]>('running', { kid: this.ownKid }).catch(() => null);
    if (!reply) return;
    const mine = reply.data;
    drawRunning(this.running, this.runningList, this.tail, mine);
    const changed = this.runs.length > 0 !== mine.length > 0;
    this.runs = mine;
    // The title's note and Run now's hint follow whether a run is under way.
    if (this.task && changed) {
      const task = { ...this.task, running: mine };
      this.task = task;
      keepingFocus(() => drawTask(this.head, task, this.defaults, () => void this.reload()));
    }
  }

  private async loadHistory(): Promise<void> {
    const reply = await attempt(() =>
      call<RunRecord[]>('history', { kid: this.kid, n: String(HISTORY_ROWS) }),
    );
    if (!reply) return;
    this.ownKid = reply.data[0]?.kid ?? this.ownKid;
    keepingFocus(() => {
      fill(this.health, healthOf(reply.data));
      fill(this.history, rowsOr(reply.data.slice(0, 50), runRow, 'No runs on record yet.', 7));
    });
  }
}

function runRow(r: RunRecord): HTMLElement {
  const output = [
    r.error ? `error: ${r.error}\n` : '',
    r.timed_out ? 'timed out\n' : '',
    r.output ?? '',
  ].join('');
  const details = h(
    'details',
    { open: openOutputs.has(r.fire_id) },
    h('summary', null, 'Output'),
    h('pre', null, output),
  );
  details.addEventListener('toggle', () => keepOpen(r.fire_id, details.open));
  return h(
    'tr',
    { 'data-fire': r.fire_id },
    h(
      'td',
      { 'data-label': 'Fire' },
      runOfFireId(r.fire_id),
      r.trigger !== 'schedule' ? h('small', null, ` ${r.trigger}`) : null,
    ),
    h('td', { 'data-label': 'Result' }, resultEl(r)),
    h('td', { 'data-label': 'Started' }, timeEl((r.started ?? r.due) * 1000)),
    h('td', { 'data-label': 'Lateness' }, ms(r.lateness_ms)),
    h('td', { 'data-label': 'Duration' }, ms(r.duration_ms)),
    h('td', { 'data-label': 'Host' }, r.host),
    h('td', { 'data-label': 'Output' }, output === '' ? h('span', { class: 'muted' }, 'none') : details),
  );
}
