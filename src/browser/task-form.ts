// Adding or editing a task. A timer is given as a date and time in the zone the form names; as
// a schedule is typed its next 5 runs are shown (checked here first, then by the preview action
// as add would check it: no request while what is typed cannot be right). Errors show at their
// fields, all at once, marked aria-invalid, and focus goes to the first. A name held by another
// task can be replaced (a checkbox). Cancel asks first when something was edited.
import { ApiError, call } from './api.js';
import { fill, field, h } from './dom.js';
import {
  dateValueOf,
  dueMsOf,
  FIELDS,
  type FieldErrors,
  fieldOfMessage,
  type FieldName,
  formErrors,
  scheduleErrors,
  type Values,
} from './form-check.js';
import { shownZone, timeOfMs, zoneMode } from './format.js';
import type { ViewHandle } from './main.js';
import { attempt, notify } from './notice.js';
import type { TaskRow, UpcomingRun } from './types.js';

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
const PREVIEW_WAIT_MS = 300;

function formControls() {
  const input = (name: string, attrs: Record<string, string> = {}) =>
    h('input', { name, autocomplete: 'off', ...attrs });
  const select = (name: string, options: [value: string, label: string][]) =>
    h('select', { name }, ...options.map(([value, label]) => h('option', { value }, label)));
  return {
    name: input('name', { placeholder: 'optional, e.g. nightly-backup' }),
    type: select('type', [
      ['timer', 'timer: once'],
      ['ticker', 'ticker: every N seconds'],
      ['cron', 'cron: at calendar times'],
    ]),
    due: input('due', { type: 'datetime-local', step: '1' }),
    interval: input('interval', { inputmode: 'numeric' }),
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
    command: h('textarea', { name: 'command', rows: 3, placeholder: 'a shell command or an http(s) URL' }),
    replace: h('input', { type: 'checkbox', name: 'replace' }),
  };
}
type Controls = ReturnType<typeof formControls>;

/** The control each field's error is shown at (a timer's time is its date, a ticker's its interval). */
function controlOf(c: Controls, f: FieldName): Control | null {
  if (f === 'time') return c.type.value === 'timer' ? c.due : c.interval;
  return f in c ? c[f as keyof Controls] : null;
}

/** The rows shown or hidden by the type. */
function formRows(c: Controls) {
  const zone = shownZone();
  return {
    due: field(
      `Runs at (${zone})`,
      c.due,
      `date and time in ${zone}; the header's switch shows times in UTC or this browser's zone`,
    ),
    interval: field('Interval (seconds)', c.interval, 'a ticker runs every this many seconds'),
    cron: field('Cron expression', c.cron, '5 fields, or 6 with seconds first'),
    tz: field('Time zone', c.tz, 'IANA name, e.g. Europe/Berlin; kept as written'),
    limit: field('Limit', c.limit, 'how many runs; 0 = without end'),
    misfire: field('Missed runs', c.misfire),
  };
}
type Rows = ReturnType<typeof formRows>;

const valuesOf = (c: Controls): Values => {
  const utc = zoneMode() === 'utc';
  const dueMs = dueMsOf(c.due.value, utc);
  const time =
    c.type.value === 'timer'
      ? dueMs === null
        ? ''
        : String(Math.round(dueMs / 1000))
      : c.interval.value.trim();
  return Object.fromEntries(FIELDS.map((f) => [f, f === 'time' ? time : c[f].value.trim()])) as Values;
};

/** A field the task's type has no use for: not sent. */
const unused = (f: FieldName, type: string): boolean =>
  (f === 'time' && type === 'cron') ||
  ((f === 'cron' || f === 'tz') && type !== 'cron') ||
  ((f === 'limit' || f === 'misfire') && type === 'timer');

/** What to send: every field given (add), or those changed from `original` (update). */
function paramsToSend(v: Values, original: TaskRow | null, c: Controls): Record<string, string> {
  const params: Record<string, string> = {};
  for (const f of FIELDS) {
    if (unused(f, v.type)) continue;
    if (original === null) {
      if (v[f] !== '') params[f] = v[f];
      continue;
    }
    if (v[f] === formValue(original, f, c)) continue;
    // Cleared: a name goes (name=), a timeout goes back to task_timeout (0).
    if (v[f] === '' && f === 'retry_delay') continue;
    params[f] =
      v[f] === '' && (f === 'timeout' || f === 'retries')
        ? '0'
        : v[f] === '' && f === 'misfire'
          ? 'once'
          : v[f];
  }
  if (original === null && c.replace.checked) params.replace = '1';
  return params;
}

/** A stored field as the form holds it ('' where the task has none of its own). */
function formValue(t: TaskRow, f: FieldName, c: Controls): string {
  switch (f) {
    case 'name':
      return t.name ?? '';
    case 'timeout':
      return t.timeout === null ? '' : String(t.timeout);
    case 'misfire':
      return t.misfire === undefined || t.misfire === 'once' ? '' : t.misfire;
    case 'time':
      if (t.type === 'cron') return '';
      // A timer's time is when it runs: its due time as the form reads it back.
      return t.type === 'timer'
        ? String(Math.round((dueMsOf(c.due.defaultValue, zoneMode() === 'utc') ?? 0) / 1000))
        : String(t.time);
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

/** Puts a task's fields into the controls (their values as loaded: what "edited" is measured from). */
function fillControls(c: Controls, t: TaskRow): void {
  c.due.defaultValue = c.due.value =
    t.type === 'timer' ? dateValueOf(t.run_nexttime * 1000, zoneMode() === 'utc') : '';
  c.interval.value = t.type === 'ticker' ? String(t.time) : '';
  for (const f of FIELDS) if (f !== 'time') c[f].value = formValue(t, f, c);
}

/** The next 5 runs of the schedule typed: checked here first, asked PREVIEW_WAIT_MS after the last keystroke. */
class SchedulePreview {
  readonly list = h('ol', { id: 'preview' });
  readonly note = h('p', { class: 'muted' });
  private timer: number | undefined;
  private asked = 0;

  constructor(private readonly c: Controls) {}

  soon(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.now(), PREVIEW_WAIT_MS);
  }

  stop(): void {
    window.clearTimeout(this.timer);
  }

  async now(): Promise<void> {
    const v = valuesOf(this.c);
    const mine = ++this.asked;
    const local = Object.values(
      scheduleErrors(v, dueMsOf(this.c.due.value, zoneMode() === 'utc'), Date.now()),
    );
    if (local.length > 0) {
      fill(this.list);
      this.note.textContent = `No preview: ${local.join('; ')}`;
      return;
    }
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
      const tz = typeof reply.tz === 'string' ? reply.tz : null;
      fill(
        this.list,
        reply.data.map((r) =>
          h(
            'li',
            null,
            timeOfMs(r.unix_ms),
            v.type === 'cron' && tz ? h('small', { class: 'muted' }, ` = ${timeOfMs(r.unix_ms, tz)}`) : null,
          ),
        ),
      );
      this.note.textContent = `${String(reply.schedule)}${tz && v.type === 'cron' ? ` (in ${tz})` : ''}${reply.more ? '' : '; no runs after these'}`;
    } catch (err) {
      if (mine !== this.asked) return;
      fill(this.list);
      this.note.textContent = err instanceof ApiError ? err.message : 'no preview';
    }
  }
}

export function showTaskForm(main: HTMLElement, kid: string | null): ViewHandle {
  const form = new TaskForm(kid);
  fill(main, form.title, form.element());
  return { stop: () => form.preview.stop() };
}

class TaskForm {
  readonly c = formControls();
  readonly rows: Rows = formRows(this.c);
  readonly preview = new SchedulePreview(this.c);
  readonly title: HTMLElement;
  readonly errors = new Map<FieldName, HTMLElement>();
  readonly timeErrors = new Map<Control, HTMLElement>();
  private original: TaskRow | null = null;
  private loaded = '';

  constructor(private readonly kid: string | null) {
    this.title = h('h1', null, kid === null ? 'Add a task' : 'Edit task');
    for (const el of [this.c.type, this.c.due, this.c.interval, this.c.cron, this.c.tz, this.c.limit])
      el.addEventListener('input', () => {
        this.shape();
        this.preview.soon();
      });
    if (kid === null) {
      this.c.due.defaultValue = this.c.due.value = dateValueOf(Date.now() + 3_600_000, zoneMode() === 'utc');
      this.c.interval.value = '60';
      this.loaded = this.snapshot();
      this.shape();
      void this.preview.now();
      window.setTimeout(() => this.c.name.focus(), 0);
    } else void this.load(kid);
  }

  private async load(kid: string): Promise<void> {
    const reply = await attempt(() => call<TaskRow>('get', { kid }));
    if (!reply) return;
    this.original = reply.data;
    this.title.textContent = `Edit ${reply.data.name ?? reply.data.kid}`;
    fillControls(this.c, reply.data);
    this.loaded = this.snapshot();
    this.shape();
    void this.preview.now();
    this.c.name.focus();
  }

  private snapshot(): string {
    return JSON.stringify([valuesOf(this.c), this.c.replace.checked]);
  }

  shape(): void {
    const type = this.c.type.value;
    this.rows.due.hidden = type !== 'timer';
    this.rows.interval.hidden = type !== 'ticker';
    this.rows.cron.hidden = this.rows.tz.hidden = type !== 'cron';
    this.rows.limit.hidden = this.rows.misfire.hidden = type === 'timer';
  }

  /** Shows every error at its field (and clears the others); focus to the first, in view. */
  showErrors(errors: FieldErrors, general: string | null = null): void {
    for (const f of FIELDS) {
      const control = controlOf(this.c, f);
      const el = this.errorLine(f);
      const message = errors[f];
      for (const other of this.timeErrors.values()) if (f === 'time') other.textContent = '';
      if (el) el.textContent = message ?? '';
      if (!control) continue;
      if (message === undefined) control.removeAttribute('aria-invalid');
      else control.setAttribute('aria-invalid', 'true');
    }
    const first = FIELDS.map((f) => (errors[f] === undefined ? null : controlOf(this.c, f))).find(
      (c) => c !== null,
    );
    if (general !== null) notify(general, true);
    if (first) {
      first.focus({ preventScroll: true });
      first.scrollIntoView({ block: 'center' });
    }
  }

  /** The error line of a field: a timer's time at its date, a ticker's at its interval. */
  private errorLine(f: FieldName): HTMLElement | undefined {
    if (f !== 'time') return this.errors.get(f);
    return this.timeErrors.get(this.c.type.value === 'timer' ? this.c.due : this.c.interval);
  }

  /** Each control's error line: read with the control (aria-describedby). */
  private withError(f: FieldName, row: HTMLElement): HTMLElement {
    const control = row.querySelector<Control>('input, select, textarea');
    const el = h('p', { class: 'field-error', id: `error-${control?.id ?? f}` });
    if (control) describe(control, el.id);
    if (f === 'time' && control) this.timeErrors.set(control, el);
    else this.errors.set(f, el);
    row.append(el);
    return row;
  }

  async save(event: Event): Promise<void> {
    event.preventDefault();
    const v = valuesOf(this.c);
    const errors = formErrors(v, dueMsOf(this.c.due.value, zoneMode() === 'utc'), Date.now());
    this.showErrors(errors);
    if (Object.keys(errors).length > 0) {
      notify(`Check the ${Object.keys(errors).length === 1 ? 'field' : 'fields'} marked below.`, true);
      return;
    }
    const params = paramsToSend(v, this.original, this.c);
    if (this.original !== null && Object.keys(params).length === 0) {
      notify('Nothing changed.');
      return;
    }
    try {
      const reply = await call<string>(
        this.original ? 'update' : 'add',
        this.original ? { kid: this.original.kid, ...params } : params,
      );
      this.loaded = this.snapshot();
      notify(this.original ? 'Task saved.' : `Task added: ${reply.data}`);
      location.hash = `#/task/${encodeURIComponent(reply.data)}`;
    } catch (err) {
      this.serverError(err);
    }
  }

  /** The server's one line, at the field it is about; a name held by another task points at Replace. */
  private serverError(err: unknown): void {
    const message = (err as Error).message;
    const f = fieldOfMessage(message);
    if (err instanceof ApiError && err.code === 409 && this.original === null && f === 'name') {
      this.showErrors({
        name: `${message.split(';')[0] ?? message}; tick “Replace it” below to replace that task, or give another name`,
      });
      notify('That name is taken.', true);
      return;
    }
    if (f !== null) {
      this.showErrors({ [f]: message });
      return;
    }
    this.showErrors({}, message);
  }

  cancel(): void {
    if (this.snapshot() !== this.loaded && !window.confirm('Discard your changes to this task?')) return;
    location.hash = this.kid === null ? '#/tasks' : `#/task/${encodeURIComponent(this.kid)}`;
  }

  element(): HTMLElement {
    const c = this.c;
    const r = this.rows;
    return h(
      'form',
      { class: 'task-form', novalidate: true, onsubmit: (e: Event) => void this.save(e) },
      h(
        'div',
        { class: 'columns' },
        h(
          'div',
          null,
          this.withError('name', field('Name', c.name)),
          this.kid === null
            ? h(
                'div',
                { class: 'field check' },
                c.replace,
                h(
                  'label',
                  { for: (c.replace.id ||= 'replace-box') },
                  'Replace it: if another task has this name, replace that task (its kid and history stay)',
                ),
              )
            : null,
          field('Type', c.type),
          this.withError('time', r.due),
          this.withError('time', r.interval),
          this.withError('cron', r.cron),
          this.withError('tz', r.tz),
          this.withError('limit', r.limit),
          r.misfire,
          this.withError('timeout', field('Timeout (seconds)', c.timeout)),
          field('While a run is under way', c.overlap, 'allow: start the next one too; skip it; or queue it'),
          this.withError(
            'retries',
            field('Retries', c.retries, 'of a failed run; each waits twice as long as the one before'),
          ),
          this.withError('retry_delay', field('Retry delay (seconds)', c.retry_delay)),
          this.withError('command', field('Command', c.command)),
        ),
        h(
          'section',
          { class: 'preview', 'aria-labelledby': 'preview-title' },
          h('h2', { id: 'preview-title' }, 'Next 5 runs'),
          this.preview.list,
          this.preview.note,
        ),
      ),
      h(
        'div',
        { class: 'buttons' },
        h('button', { type: 'submit', class: 'primary' }, this.kid === null ? 'Add task' : 'Save'),
        h('button', { type: 'button', onclick: () => this.cancel() }, 'Cancel'),
      ),
    );
  }
}

/** Adds `id` to what describes `control` (its hint stays). */
function describe(control: Control, id: string): void {
  const ids = (control.getAttribute('aria-describedby') ?? '').split(' ').filter((i) => i !== '');
  control.setAttribute('aria-describedby', [...ids, id].join(' '));
}
