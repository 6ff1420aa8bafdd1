// The tasks: a table searched by kid, name or command, a page at a time, with each task's
// schedule in words, next run, last result, state and actions.
import { call } from './api.js';
import { fill, h, table } from './dom.js';
import { endOf, shortKid, timeOfSec } from './format.js';
import { learnNames } from './names.js';
import { attempt } from './notice.js';
import { labelOf, taskActions } from './task-actions.js';
import type { TaskRow } from './types.js';

const PAGE = 20;

/** The table and its search and pager: the page of tasks under the cursor last followed. */
class TaskPages {
  readonly search = h('input', {
    type: 'search',
    id: 'task-search',
    placeholder: 'kid, name or command',
    autocomplete: 'off',
  });
  readonly summary = h('p', { class: 'summary', 'aria-live': 'polite' });
  readonly body = h('tbody');
  readonly prev = h('button', { type: 'button', disabled: true }, 'Previous page');
  readonly next = h('button', { type: 'button', disabled: true }, 'Next page');
  // The cursors of the pages shown so far: Previous goes back one.
  private cursors: string[] = [''];
  private timer: number | undefined;

  constructor() {
    this.prev.onclick = () => {
      this.cursors.pop();
      void this.load();
    };
    this.search.addEventListener('input', () => {
      window.clearTimeout(this.timer);
      this.timer = window.setTimeout(() => {
        this.cursors = [''];
        void this.load();
      }, 250);
    });
  }

  stop(): void {
    window.clearTimeout(this.timer);
  }

  async load(): Promise<void> {
    const cursor = this.cursors[this.cursors.length - 1] ?? '';
    const searched = this.search.value.trim() !== '';
    const reply = await attempt(() =>
      call<TaskRow[]>('list', {
        count: String(PAGE),
        cursor: cursor === '' ? undefined : cursor,
        search: searched ? this.search.value : undefined,
      }),
    );
    if (!reply) return;
    learnNames(reply.data);
    const nextCursor = reply.next as string | null;
    fill(
      this.body,
      reply.data.length === 0
        ? h('tr', null, h('td', { colspan: 6 }, 'No tasks.'))
        : reply.data.map((t) => row(t, () => this.load())),
    );
    this.summary.textContent = searched
      ? `${reply.data.length} matching on this page (of ${String(reply.total)} tasks)`
      : reply.msg;
    this.prev.disabled = this.cursors.length <= 1;
    this.next.disabled = nextCursor === null;
    this.next.onclick = () => {
      if (nextCursor === null) return;
      this.cursors.push(nextCursor);
      void this.load();
    };
  }
}

export function showTasks(main: HTMLElement): () => void {
  const pages = new TaskPages();
  fill(
    main,
    h(
      'div',
      { class: 'title' },
      h('h1', null, 'Tasks'),
      h('a', { href: '#/tasks/new', class: 'button primary' }, 'Add task'),
    ),
    h('div', { class: 'field inline' }, h('label', { for: pages.search.id }, 'Search'), pages.search),
    pages.summary,
    table(['Task', 'Schedule', 'Next run', 'Last result', 'State', 'Actions'], pages.body),
    h('div', { class: 'pager' }, pages.prev, pages.next),
  );
  void pages.load();
  return () => pages.stop();
}

function row(t: TaskRow, reload: () => Promise<void>): HTMLElement {
  const last = t.last_result
    ? h(
        'span',
        { class: `result ${t.last_result}` },
        t.last_result,
        ' ',
        endOf({ exit_code: t.last_exit, http_status: t.last_http }),
      )
    : h('span', { class: 'muted' }, 'never ran');
  return h(
    'tr',
    { 'data-kid': t.kid },
    h(
      'td',
      null,
      h('a', { href: `#/task/${encodeURIComponent(t.kid)}` }, labelOf(t)),
      t.name !== null ? h('small', { class: 'muted' }, ` ${shortKid(t.kid)}`) : null,
      h('div', { class: 'command' }, t.command),
    ),
    h('td', null, t.schedule),
    h('td', null, t.paused !== undefined ? '' : timeOfSec(t.run_nexttime)),
    h('td', null, last, h('br'), h('small', null, timeOfSec(t.last_started))),
    h('td', null, t.paused !== undefined ? h('span', { class: 'paused' }, 'paused') : 'active'),
    h(
      'td',
      null,
      taskActions(t, () => void reload()),
    ),
  );
}
