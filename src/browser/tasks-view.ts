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

// eslint-disable-next-line max-lines-per-function -- to split (issue 22)
export function showTasks(main: HTMLElement): () => void {
  const search = h('input', {
    type: 'search',
    id: 'task-search',
    placeholder: 'kid, name or command',
    autocomplete: 'off',
  });
  const summary = h('p', { class: 'summary', 'aria-live': 'polite' });
  const body = h('tbody');
  const prev = h('button', { type: 'button', disabled: true }, 'Previous page');
  const next = h('button', { type: 'button', disabled: true }, 'Next page');
  // The cursors of the pages shown so far: Previous goes back one.
  let cursors: string[] = [''];
  let timer: number | undefined;

  const load = async () => {
    const cursor = cursors[cursors.length - 1] ?? '';
    const reply = await attempt(() =>
      call<TaskRow[]>('list', {
        count: String(PAGE),
        cursor: cursor === '' ? undefined : cursor,
        search: search.value.trim() === '' ? undefined : search.value,
      }),
    );
    if (!reply) return;
    learnNames(reply.data);
    const nextCursor = reply.next as string | null;
    fill(
      body,
      reply.data.length === 0
        ? h('tr', null, h('td', { colspan: 6 }, 'No tasks.'))
        : reply.data.map((t) => row(t, load)),
    );
    summary.textContent =
      search.value.trim() === ''
        ? reply.msg
        : `${reply.data.length} matching on this page (of ${String(reply.total)} tasks)`;
    prev.disabled = cursors.length <= 1;
    next.disabled = nextCursor === null;
    next.onclick = () => {
      if (nextCursor === null) return;
      cursors.push(nextCursor);
      void load();
    };
  };
  prev.onclick = () => {
    cursors.pop();
    void load();
  };
  search.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      cursors = [''];
      void load();
    }, 250);
  });

  fill(
    main,
    h(
      'div',
      { class: 'title' },
      h('h1', null, 'Tasks'),
      h('a', { href: '#/tasks/new', class: 'button primary' }, 'Add task'),
    ),
    h('div', { class: 'field inline' }, h('label', { for: search.id }, 'Search'), search),
    summary,
    table(['Task', 'Schedule', 'Next run', 'Last result', 'State', 'Actions'], body),
    h('div', { class: 'pager' }, prev, next),
  );
  void load();
  return () => window.clearTimeout(timer);
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
