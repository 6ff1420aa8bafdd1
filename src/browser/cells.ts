// Pieces the views share: a time as the page shows every time, a schedule in words, a run's
// result with why it failed, and a link to a task that leads to its history once it is gone.
import { cronInWords } from './cron-words.js';
import { h } from './dom.js';
import { endOf, relativeOf, shortKid, timeOfMs, whyFailed } from './format.js';
import { nameOf, taskHref } from './names.js';
import type { RunOutcome, TaskRow } from './types.js';

/** A time in the one format, its zone named; with `relative`, "in 4m" / "12s ago" beside it. */
export function timeEl(ms: number | undefined, relative = false): HTMLElement | string {
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) return '';
  return h(
    'span',
    { class: 'when' },
    h('time', { datetime: new Date(ms).toISOString() }, timeOfMs(ms)),
    relative ? h('small', { class: 'rel' }, ` (${relativeOf(ms)})`) : null,
  );
}

/** How a task is timed: a cron expression in words with the expression and its zone, as written. */
export function scheduleCell(t: Pick<TaskRow, 'type' | 'cron' | 'tz' | 'schedule'>): HTMLElement {
  if (t.type === 'cron' && t.cron !== undefined) {
    const words = cronInWords(t.cron);
    return h(
      'span',
      { class: 'schedule' },
      words ?? 'cron',
      ' ',
      h('code', null, t.cron),
      t.tz ? h('small', { class: 'zone' }, ` ${t.tz}`) : null,
    );
  }
  if (t.type === 'timer') return h('span', { class: 'schedule' }, 'once');
  return h('span', { class: 'schedule' }, t.schedule);
}

/** A run's result, and for a failure why (exit code, HTTP status, timeout, TLS or connection error). */
export function resultEl(r: {
  result: RunOutcome;
  exit_code?: number | undefined;
  signal?: string | undefined;
  http_status?: number | undefined;
  timed_out?: boolean | undefined;
  error?: string | undefined;
}): HTMLElement {
  const failedRun = r.result === 'failed' || r.result === 'lost';
  const why = failedRun ? whyFailed(r) : endOf(r);
  return h(
    'span',
    { class: 'result-line' },
    h('span', { class: `result ${r.result}` }, r.result),
    why !== ''
      ? ` ${failedRun ? `(${why})` : why}`
      : r.result === 'lost'
        ? ' (its daemon stopped answering)'
        : '',
  );
}

/** A link to a run's task, named once its name is known; to its history once the task is gone. */
export function taskLink(kid: string): HTMLElement {
  const link = h('a', { href: `#/history/${encodeURIComponent(kid)}` }, shortKid(kid));
  void nameOf(kid).then(({ name, exists }) => {
    link.setAttribute('href', taskHref(kid, exists));
    if (name !== null) link.textContent = name;
    if (!exists) link.setAttribute('title', 'this task is gone; its history');
  });
  return link;
}
