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

type Controls = Record<FieldName, HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>;
type Values = Record<FieldName, string>;

/** The form's fields, empty. */
function formControls(): Controls {
  const input = (name: FieldName, attrs: Record<string, string> = {}) =>
    h('input', { name, autocomplete: 'off', ...attrs });
  const select = (name: FieldName, options: [value: string, label: string][]) =>
    h('select', { name }, ...options.map(([value, label]) => h('option', { value }, label)));
  return {
    name: input('name', { placeholder: 'optional, e.g. nightly-backup' }),
    type: select('type', [
      ['timer', 'timer'],
      ['ticker', 'ticker'],
      ['cron', 'cron'],
    ]),
    time: input('time', { inputmode: 'text' }),
    cron: input('cron', { placeholder: '*/5 * * * *' }),
    tz: input('tz', { placeholder: 'the [task] timezone' }),
    limit: input('limit', { inputmode: 'numeric', placeholder: '0 = without end' }),
    misfire: select('misfire', [
      ['', 'once (default)'],
      ['skip', 'skip'],
      ['all', 'all'],
    ]),
    timeout: input('timeout', { inputmode: 'numeric', placeholder: 'task_timeout' }),
    overlap: select('overlap', [
      ['allow', 'allow'],
      ['skip', 'skip'],
      ['queue', 'queue'],
    ]),
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
}

/** The rows shown or hidden by the type. */
function scheduleRows(controls: Controls) {
  return {
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
}
type Rows = ReturnType<typeof scheduleRows>;

const valuesOf = (controls: Controls): Values =>
  Object.fromEntries(FIELDS.map((f) => [f, controls[f].value.trim()])) as Values;

/** A field the task's type has no use for: not sent. */
const unused = (f: FieldName, type: string): boolean =>
  (f === 'time' && type === 'cron') ||
  ((f === 'cron' || f === 'tz') && type !== 'cron') ||
  ((f === 'limit' || f === 'misfire') && type === 'timer');

/** The next 5 runs of the schedule typed: asked 200 ms after the last keystroke, the latest answer shown. */
class SchedulePreview {
  readonly list = h('ol', { id: 'preview' });
  readonly note = h('p', { class: 'muted', 'aria-live': 'polite' });
  private timer: number | undefined;
  private asked = 0;

  constructor(private readonly controls: Controls) {}

  soon(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.now(), 200);
  }

  stop(): void {
    window.clearTimeout(this.timer);
  }

  async now(): Promise<void> {
    const v = valuesOf(this.controls);
    const mine = ++this.asked;
    try {
      const reply = await call<UpcomingRun[]>('preview', {
        type: v.type,
        time: v.type === 'cron' || v.time === '' ? undefined : v.time,
        cron: v.type === 'cron' ? v.cron : undefined,
        tz: v.type === 'cron' && v.tz !== '' ? v.tz : undefined,
        limit: v.type === 'timer' || v.limit === '' ? undefined : v.limit,
        n: '5',
      });
      if (mine !== this.asked) return;
      fill(
        this.list,
        reply.data.map((r) => h('li', null, r.local.replace('T', ' '))),
      );
      this.note.textContent = `${reply.schedule as string}${reply.tz ? ` (times in ${reply.tz as string})` : ''}${reply.more ? '' : '; no runs after these'}`;
    } catch (err) {
      if (mine !== this.asked) return;
      fill(this.list);
      this.note.textContent = err instanceof ApiError ? err.message : 'no preview';
    }
  }
}

/** What to send: every field given (add), or those changed from `original` (update). */
function paramsToSend(v: Values, original: TaskRow | null): Record<string, string> {
  const params: Record<string, string> = {};
  for (const f of FIELDS) {
    if (unused(f, v.type)) continue;
    if (original === null) {
      if (v[f] !== '') params[f] = v[f];
      continue;
    }
    if (v[f] === formValue(original, f)) continue;
    // Cleared: a name goes (name=), a timeout goes back to task_timeout (0).
    if (v[f] === '' && f === 'retry_delay') continue;
    params[f] =
      v[f] === '' && (f === 'timeout' || f === 'retries')
        ? '0'
        : v[f] === '' && f === 'misfire'
          ? 'once'
          : v[f];
  }
  return params;
}

/** The form's page: fields on the left, the preview on the right, the buttons under them. */
function formPage(
  kid: string | null,
  controls: Controls,
  rows: Rows,
  preview: SchedulePreview,
  save: (e: Event) => void,
) {
  return h(
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
        preview.list,
        preview.note,
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
  );
}

export function showTaskForm(main: HTMLElement, kid: string | null): () => void {
  const controls = formControls();
  const rows = scheduleRows(controls);
  const preview = new SchedulePreview(controls);
  let original: TaskRow | null = null;

  const shape = () => {
    const type = controls.type.value;
    rows.time.hidden = type === 'cron';
    rows.cron.hidden = rows.tz.hidden = type !== 'cron';
    rows.limit.hidden = rows.misfire.hidden = type === 'timer';
  };
  for (const f of ['type', 'time', 'cron', 'tz', 'limit'] as const)
    controls[f].addEventListener('input', () => {
      shape();
      preview.soon();
    });

  const save = async (event: Event) => {
    event.preventDefault();
    const params = paramsToSend(valuesOf(controls), original);
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
    formPage(kid, controls, rows, preview, (e) => void save(e)),
  );
  shape();
  if (kid === null) {
    controls.time.value = '60';
    void preview.now();
    controls.name.focus();
  } else {
    void attempt(() => call<TaskRow>('get', { kid })).then((reply) => {
      if (!reply) return;
      original = reply.data;
      title.textContent = `Edit ${original.name ?? original.kid}`;
      for (const f of FIELDS) controls[f].value = formValue(original, f);
      shape();
      void preview.now();
      controls.name.focus();
    });
  }
  return () => preview.stop();
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
