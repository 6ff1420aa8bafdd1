// One task: its fields, its next runs, its actions and its history, each run's output folded
// under it. The history is read again as soon as the live feed says the task ran.
import { call } from './api.js';
import { fill, h, table } from './dom.js';
import { endOf, ms, timeOfSec } from './format.js';
import { watchRuns } from './live-source.js';
import { attempt } from './notice.js';
import { labelOf, taskActions } from './task-actions.js';
import type { RunRecord, TaskRow, UpcomingRun } from './types.js';

/** The task's title, actions and fields; what it says when the task is gone. */
function drawTask(head: HTMLElement, t: TaskRow | undefined, reload: () => void): void {
  if (!t) {
    fill(
      head,
      h('h1', null, 'Task'),
      h('p', null, 'This task is gone (a timer that fired, or deleted); its history is below.'),
    );
    return;
  }
  fill(
    head,
    h(
      'div',
      { class: 'title' },
      h('h1', null, labelOf(t)),
      taskActions(t, (gone) => (gone ? (location.hash = '#/tasks') : reload())),
    ),
    h(
      'dl',
      { class: 'facts' },
      ...fact('Kid', t.kid),
      ...fact('Schedule', t.schedule),
      ...fact('State', t.paused !== undefined ? `paused since ${timeOfSec(t.paused)}` : 'active'),
      ...fact('Runs made', `${t.run_num}${t.limit > 0 ? ` of ${t.limit}` : ''}`),
      ...fact('Timeout', t.timeout === null ? 'task_timeout' : `${t.timeout} s`),
      ...fact('While a run is under way', t.overlap),
      ...fact('Retries', t.retries > 0 ? `${t.retries}, the first after ${t.retry_delay ?? 0} s` : 'none'),
      ...fact('Command', h('pre', { class: 'command' }, t.command)),
    ),
  );
}

/** The next 5 runs of task `kid`. */
async function drawUpcoming(upcoming: HTMLElement, kid: string): Promise<void> {
  const next = await attempt(() => call<UpcomingRun[]>('next', { kid, n: '5' }));
  if (next)
    fill(
      upcoming,
      next.data.length === 0
        ? h('li', null, next.paused ? 'none while paused' : 'none')
        : next.data.map((r) => h('li', null, r.local.replace('T', ' '))),
    );
}

export function showTask(main: HTMLElement, kid: string): () => void {
  const head = h('div');
  const upcoming = h('ol');
  const history = h('tbody');
  // The page may be opened by the task's name (#/task/NAME): its kid, once get or the history says.
  let ownKid = kid;

  const loadTask = async () => {
    const reply = await attempt(() => call<TaskRow>('get', { kid }));
    drawTask(head, reply?.data, () => void reload());
    if (!reply) return;
    ownKid = reply.data.kid;
    await drawUpcoming(upcoming, kid);
  };
  const loadHistory = async () => {
    const reply = await attempt(() => call<RunRecord[]>('history', { kid, n: '50' }));
    if (!reply) return;
    ownKid = reply.data[0]?.kid ?? ownKid;
    fill(
      history,
      reply.data.length === 0
        ? h('tr', null, h('td', { colspan: 7 }, 'No runs on record yet.'))
        : reply.data.map(runRow),
    );
  };
  const reload = () => Promise.all([loadTask(), loadHistory()]);

  fill(
    main,
    head,
    h('section', null, h('h2', null, 'Next runs'), upcoming),
    h(
      'section',
      null,
      h('h2', null, 'History'),
      table(['Fire', 'Result', 'Started', 'Lateness', 'Duration', 'Host', 'Output'], history, {
        'aria-label': 'History',
      }),
    ),
  );
  void reload();
  let pending: number | undefined;
  const stop = watchRuns((run) => {
    if (run.kid !== ownKid) return;
    // Runs in a burst are read once.
    window.clearTimeout(pending);
    pending = window.setTimeout(() => void reload(), 100);
  });
  return () => {
    stop();
    window.clearTimeout(pending);
  };
}

const fact = (name: string, value: string | Node) => [h('dt', null, name), h('dd', null, value)];

function runRow(r: RunRecord): HTMLElement {
  const output = [
    r.error ? `error: ${r.error}\n` : '',
    r.timed_out ? 'timed out\n' : '',
    r.output ?? '',
  ].join('');
  return h(
    'tr',
    { 'data-fire': r.fire_id },
    h(
      'td',
      null,
      r.fire_id.slice(r.fire_id.lastIndexOf(':') + 1),
      r.trigger !== 'schedule' ? h('small', null, ` ${r.trigger}`) : null,
    ),
    h('td', null, h('span', { class: `result ${r.result}` }, r.result), ' ', endOf(r)),
    h('td', null, timeOfSec(r.started ?? r.due)),
    h('td', null, ms(r.lateness_ms)),
    h('td', null, ms(r.duration_ms)),
    h('td', null, r.host),
    h(
      'td',
      null,
      output === ''
        ? h('span', { class: 'muted' }, 'none')
        : h('details', null, h('summary', null, 'Output'), h('pre', null, output)),
    ),
  );
}
