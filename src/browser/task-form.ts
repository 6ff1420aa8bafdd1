// Adding or editing a task. As a schedule is typed, its next 5 runs are shown (the preview
// action checks it as add would, so a mistake shows the message add would give).
import { ApiError, call } from './api.js';
import { fill, field, h } from './dom.js';
import { attempt, notify } from './notice.js';
import type { TaskRow, UpcomingRun } from './types.js';

const FIELDS = [
  'name',
  'type',
  'time',
  'cron',
  'tz',
  'limit',
  'misfire',
  'timeout',
  'overlap',
  'retries',
  'retry_delay',
  'command',
] as const;
type FieldName = (typeof FIELDS)[number];

// eslint-disable-next-line max-lines-per-function -- to split (issue 22)
export function showTaskForm(main: HTMLElement, kid: string | null): () => void {
  const input = (name: FieldName, attrs: Record<string, string> = {}) =>
    h('input', { name, autocomplete: 'off', ...attrs });
  const controls = {
    name: input('name', { placeholder: 'optional, e.g. nightly-backup' }),
    type: h(
      'select',
      { name: 'type' },
      ...['timer', 'ticker', 'cron'].map((t) => h('option', { value: t }, t)),
    ),
    time: input('time', { inputmode: 'text' }),
    cron: input('cron', { placeholder: '*/5 * * * *' }),
    tz: input('tz', { placeholder: 'the [task] timezone' }),
    limit: input('limit', { inputmode: 'numeric', placeholder: '0 = without end' }),
    misfire: h(
      'select',
      { name: 'misfire' },
      h('option', { value: '' }, 'once (default)'),
      h('option', { value: 'skip' }, 'skip'),
      h('option', { value: 'all' }, 'all'),
    ),
    timeout: input('timeout', { inputmode: 'numeric', placeholder: 'task_timeout' }),
    overlap: h(
      'select',
      { name: 'overlap' },
      ...['allow', 'skip', 'queue'].map((o) => h('option', { value: o }, o)),
    ),
    retries: input('retries', { inputmode: 'numeric', placeholder: '0 = none' }),
    retry_delay: input('retry_delay', {
      inputmode: 'numeric',
      placeholder: 'seconds before the first retry',
    }),
    command: h('textarea', {
      name: 'command',
      rows: 3,
      required: true,
      placeholder: 'a shell command or an http(s) URL',
    }),
  };
  const rows = {
    time: field(
      'Time (seconds)',
      controls.time,
      'timer: a delay in seconds, a unix time or +15m; ticker: the interval in seconds',
    ),
    cron: field('Cron expression', controls.cron, '5 fields, or 6 with seconds first'),
    tz: field('Time zone', controls.tz, 'IANA name, e.g. Europe/Berlin'),
    limit: field('Limit', controls.limit, 'how many runs; 0 = without end'),
    misfire: field('Missed runs', controls.misfire),
  };
  const previewList = h('ol', { id: 'preview' });
  const previewNote = h('p', { class: 'muted', 'aria-live': 'polite' });
  let original: TaskRow | null = null;
  let timer: number | undefined;
  let asked = 0;

  const values = (): Record<FieldName, string> =>
    Object.fromEntries(FIELDS.map((f) => [f, controls[f].value.trim()])) as Record<FieldName, string>;

  const shape = () => {
    const type = controls.type.value;
    rows.time.hidden = type === 'cron';
    rows.cron.hidden = rows.tz.hidden = type !== 'cron';
    rows.limit.hidden = rows.misfire.hidden = type === 'timer';
  };

  const preview = async () => {
    const v = values();
    const mine = ++asked;
    try {
      const reply = await call<UpcomingRun[]>('preview', {
        type: v.type,
        time: v.type === 'cron' || v.time === '' ? undefined : v.time,
        cron: v.type === 'cron' ? v.cron : undefined,
        tz: v.type === 'cron' && v.tz !== '' ? v.tz : undefined,
        limit: v.type === 'timer' || v.limit === '' ? undefined : v.limit,
        n: '5',
      });
      if (mine !== asked) return;
      fill(
        previewList,
        reply.data.map((r) => h('li', null, r.local.replace('T', ' '))),
      );
      previewNote.textContent = `${reply.schedule as string}${reply.tz ? ` (times in ${reply.tz as string})` : ''}${reply.more ? '' : '; no runs after these'}`;
    } catch (err) {
      if (mine !== asked) return;
      fill(previewList);
      previewNote.textContent = err instanceof ApiError ? err.message : 'no preview';
    }
  };
  const schedulePreview = () => {
    shape();
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void preview(), 200);
  };
  for (const f of ['type', 'time', 'cron', 'tz', 'limit'] as const)
    controls[f].addEventListener('input', schedulePreview);

  const save = async (event: Event) => {
    event.preventDefault();
    const v = values();
    const params: Record<string, string | undefined> = {};
    const hidden = (f: FieldName) =>
      (f === 'time' && v.type === 'cron') ||
      ((f === 'cron' || f === 'tz') && v.type !== 'cron') ||
      ((f === 'limit' || f === 'misfire') && v.type === 'timer');
    for (const f of FIELDS) {
      if (hidden(f)) continue;
      if (original === null) {
        if (v[f] !== '') params[f] = v[f];
        continue;
      }
      const before = formValue(original, f);
      if (v[f] === before) continue;
      // Cleared: a name goes (name=), a timeout goes back to task_timeout (0).
      if (v[f] === '' && f === 'retry_delay') continue;
      params[f] =
        v[f] === '' && (f === 'timeout' || f === 'retries')
          ? '0'
          : v[f] === '' && f === 'misfire'
            ? 'once'
            : v[f];
    }
    if (original !== null && Object.keys(params).length === 0) {
      notify('Nothing changed.');
      return;
    }
    const reply = await attempt(() =>
      call<string>(original ? 'update' : 'add', original ? { kid: original.kid, ...params } : params),
    );
    if (!reply) return;
    notify(original ? 'Task saved.' : `Task added: ${reply.data}`);
    location.hash = `#/task/${encodeURIComponent(reply.data)}`;
  };

  const title = h('h1', null, kid === null ? 'Add a task' : 'Edit task');
  fill(
    main,
    title,
    h(
      'form',
      { class: 'task-form', onsubmit: save },
      h(
        'div',
        { class: 'columns' },
        h(
          'div',
          null,
          field('Name', controls.name),
          field('Type', controls.type),
          rows.time,
          rows.cron,
          rows.tz,
          rows.limit,
          rows.misfire,
          field('Timeout (seconds)', controls.timeout),
          field(
            'While a run is under way',
            controls.overlap,
            'allow: start the next one too; skip it; or queue it',
          ),
          field('Retries', controls.retries, 'of a failed run; each waits twice as long as the one before'),
          field('Retry delay (seconds)', controls.retry_delay),
          field('Command', controls.command),
        ),
        h(
          'section',
          { class: 'preview', 'aria-labelledby': 'preview-title' },
          h('h2', { id: 'preview-title' }, 'Next 5 runs'),
          previewList,
          previewNote,
        ),
      ),
      h(
        'div',
        { class: 'buttons' },
        h('button', { type: 'submit', class: 'primary' }, kid === null ? 'Add task' : 'Save'),
        h(
          'a',
          { href: kid === null ? '#/tasks' : `#/task/${encodeURIComponent(kid)}`, class: 'button' },
          'Cancel',
        ),
      ),
    ),
  );
  shape();
  if (kid === null) {
    controls.time.value = '60';
    void preview();
    controls.name.focus();
  } else {
    void attempt(() => call<TaskRow>('get', { kid })).then((reply) => {
      if (!reply) return;
      original = reply.data;
      title.textContent = `Edit ${original.name ?? original.kid}`;
      for (const f of FIELDS) controls[f].value = formValue(original, f);
      shape();
      void preview();
      controls.name.focus();
    });
  }
  return () => window.clearTimeout(timer);
}

/** A stored field as the form shows it ('' where the task has none of its own). */
function formValue(t: TaskRow, f: FieldName): string {
  switch (f) {
    case 'name':
      return t.name ?? '';
    case 'timeout':
      return t.timeout === null ? '' : String(t.timeout);
    case 'misfire':
      return t.misfire === undefined || t.misfire === 'once' ? '' : t.misfire;
    case 'time':
      return t.type === 'cron' ? '' : String(t.time);
    case 'limit':
      return t.type === 'timer' ? '' : String(t.limit);
    case 'overlap':
      return t.overlap;
    case 'retries':
      return t.retries > 0 ? String(t.retries) : '';
    case 'retry_delay':
      return t.retry_delay === null ? '' : String(t.retry_delay);
    default:
      return t[f] ?? '';
  }
}
