// The tasks at a glance: state filters with their counts (All, Failing, Running, Paused), type and
// group filters, a search, sortable columns and numbered pages, all in the address. The list
// reads itself again as the live feed says runs happen (at most every few seconds), keeping focus
// and scroll; each row says what its last run did and, for a failure, why.
import { call, isViewer, type Reply } from './api.js';
import { resultEl, scheduleCell, timeEl } from './cells.js';
import { fill, h, keepingFocus, rowsOr, titleBar } from './dom.js';
import { relativeOf, shortKid, spanOf, timeOfMs } from './format.js';
import { whileInView } from './in-view.js';
import { watchRuns } from './live-source.js';
import { learnNames } from './names.js';
import { announce, attempt } from './notice.js';
import { actionsMenu, labelOf } from './task-actions.js';
import { parseQuery, queryHash, sameQuery, type TaskQuery, type TaskSort } from './task-query.js';
import type { BoardExtra, TaskRow } from './types.js';
import type { ViewHandle } from './main.js';

/** The list is read again at most this often while runs happen, and this often anyway (times move). */
const REFRESH_MIN_MS = 3000;
const REFRESH_IDLE_MS = 15_000;
/**
 * A search is sent once typing pauses this long: a request per word, not per key. Short, as the
 * board answers a search from its kept read of the tasks in a few ms (service/task-board.ts).
 */
const SEARCH_WAIT_MS = 150;

const STATE_NAMES: Record<TaskQuery['state'], string> = {
  all: 'All',
  failing: 'Failing',
  running: 'Running',
  paused: 'Paused',
};
const COLUMNS: [title: string, sort: TaskSort | null][] = [
  ['Task', 'name'],
  ['Schedule', null],
  ['Next run', 'next'],
  ['Last result', 'last'],
  ['State', null],
];

export function showTasks(main: HTMLElement, arg: string): ViewHandle {
  const list = new TaskList(parseQuery(arg));
  fill(main, list.element());
  void list.load();
  const seen = whileInView(() => list.soon());
  const stopFeed = watchRuns(seen.refresh);
  const idle = window.setInterval(seen.refresh, REFRESH_IDLE_MS);
  return {
    stop: () => {
      stopFeed();
      window.clearInterval(idle);
      seen.stop();
      list.stop();
    },
    update: (text) => {
      const q = parseQuery(text);
      if (!sameQuery(q, list.q)) {
        list.q = q;
        list.syncControls();
        void list.load();
      }
      return true;
    },
  };
}

/** Goes to the address of `q`: a new history entry (Back returns), or in place (search typing). */
function go(q: TaskQuery, replace = false): void {
  const hash = queryHash(q);
  if (replace) location.replace(hash);
  else location.hash = hash;
}

class TaskList {
  readonly states = h('nav', { class: 'states', 'aria-label': 'Task states' });
  readonly type = h(
    'select',
    { id: 'filter-type' },
    ...[
      ['', 'All types'],
      ['timer', 'timer'],
      ['ticker', 'ticker'],
      ['cron', 'cron'],
    ].map(([v, t]) => h('option', { value: v }, t)),
  );
  readonly group = h('select', { id: 'filter-group' }, h('option', { value: '' }, 'All groups'));
  readonly search = h('input', {
    type: 'search',
    id: 'task-search',
    placeholder: 'kid, name or command',
    autocomplete: 'off',
  });
  readonly summary = h('p', { class: 'summary', id: 'tasks-summary' });
  readonly head = h('tr');
  readonly body = h('tbody');
  readonly pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  readonly jump = h('input', {
    type: 'number',
    id: 'page-jump',
    min: 1,
    inputmode: 'numeric',
    class: 'page-input',
    'data-act': 'page',
  });
  private pages = 1;
  private searchTimer: number | undefined;
  private refreshTimer: number | undefined;
  private lastLoadMs = 0;
  private loading = false;
  /** A load was asked while one was under way. */
  private again = false;

  constructor(public q: TaskQuery) {
    this.type.addEventListener('change', () => go({ ...this.q, type: this.type.value, page: 1 }));
    this.group.addEventListener('change', () => go({ ...this.q, group: this.group.value, page: 1 }));
    this.search.addEventListener('input', () => {
      window.clearTimeout(this.searchTimer);
      this.searchTimer = window.setTimeout(
        () => go({ ...this.q, search: this.search.value.trim(), page: 1 }, true),
        SEARCH_WAIT_MS,
      );
    });
    this.syncControls();
  }

  element(): HTMLElement[] {
    return [
      titleBar(
        'Tasks',
        isViewer() ? null : h('a', { href: '#/tasks/new', class: 'button primary' }, 'Add task'),
      ),
      this.states,
      h(
        'div',
        { class: 'filters' },
        h('div', { class: 'field inline' }, h('label', { for: this.search.id }, 'Search'), this.search),
        h('div', { class: 'field inline' }, h('label', { for: this.type.id }, 'Type'), this.type),
        h('div', { class: 'field inline' }, h('label', { for: this.group.id }, 'Group'), this.group),
      ),
      this.summary,
      h(
        'table',
        { class: 'tasks cards', 'aria-describedby': this.summary.id },
        h('thead', null, this.head),
        this.body,
      ),
      this.pager,
    ];
  }

  /** The filter controls as the query says (after Back, or a link). */
  syncControls(): void {
    this.drawHead();
    this.type.value = this.q.type;
    if (document.activeElement !== this.search) this.search.value = this.q.search;
  }

  stop(): void {
    window.clearTimeout(this.searchTimer);
    window.clearTimeout(this.refreshTimer);
  }

  /** Reads the list again soon: at most every REFRESH_MIN_MS, never while a menu is open. */
  soon(): void {
    if (this.refreshTimer !== undefined) return;
    const wait = Math.max(0, this.lastLoadMs + REFRESH_MIN_MS - Date.now());
    this.refreshTimer = window.setTimeout(() => {
      this.refreshTimer = undefined;
      if (document.querySelector('details.menu[open]')) this.soon();
      else void this.load();
    }, wait);
  }

  async load(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return;
    }
    this.loading = true;
    this.lastLoadMs = Date.now();
    const q = this.q;
    try {
      const reply = await attempt(() =>
        call<TaskRow[]>('board', {
          state: q.state,
          type: q.type || undefined,
          group: q.group || undefined,
          search: q.search || undefined,
          sort: q.sort,
          order: q.order,
          page: String(q.page),
          size: '20',
        }),
      );
      if (!reply || !sameQuery(q, this.q)) return;
      learnNames(reply.data);
      this.draw(reply.data, extraOf(reply));
    } finally {
      this.loading = false;
      // A new filter, sort or page at once; a refresh asked meanwhile at the feed's pace.
      if (!sameQuery(q, this.q)) void this.load();
      else if (this.again) this.soon();
      this.again = false;
    }
  }

  private draw(tasks: TaskRow[], extra: BoardExtra): void {
    const scrollY = window.scrollY;
    keepingFocus(() => this.drawAll(tasks, extra));
    window.scrollTo({ top: scrollY });
  }

  private drawAll(tasks: TaskRow[], extra: BoardExtra): void {
    this.drawStates(extra);
    this.drawGroups(extra.groups);
    this.drawHead();
    fill(
      this.body,
      rowsOr(tasks, (t) => row(t, () => void this.load()), this.noneText(), COLUMNS.length + 1),
    );
    this.drawPager(extra);
    const c = extra.counts;
    this.summary.textContent =
      `${extra.total} ${this.q.state === 'all' ? '' : `${this.q.state} `}task${extra.total === 1 ? '' : 's'}` +
      (extra.total > 0 ? `, page ${extra.page} of ${extra.pages}` : '') +
      (extra.complete ? '' : ` (the first ${c.all} tasks read; narrow with a search)`);
    announce(`${c.all} tasks: ${c.failing} failing, ${c.running} running, ${c.paused} paused`);
  }

  private noneText(): string {
    const filtered =
      this.q.state !== 'all' || this.q.type !== '' || this.q.group !== '' || this.q.search !== '';
    if (this.q.page > 1) return 'No more matches.';
    return filtered ? 'No tasks match.' : 'No tasks yet.';
  }

  private drawStates(extra: BoardExtra): void {
    fill(
      this.states,
      (Object.keys(STATE_NAMES) as TaskQuery['state'][]).map((s) =>
        h(
          'a',
          {
            href: queryHash({ ...this.q, state: s, page: 1 }),
            class: `state ${s}`,
            'aria-current': s === this.q.state ? 'page' : null,
          },
          STATE_NAMES[s],
          ' ',
          h('span', { class: 'count' }, String(extra.counts[s])),
        ),
      ),
    );
  }

  private drawGroups(groups: string[]): void {
    const wanted = ['', ...groups];
    if (this.q.group !== '' && !groups.includes(this.q.group)) wanted.push(this.q.group);
    const have = [...this.group.options].map((o) => o.value);
    if (have.join('\n') !== wanted.join('\n'))
      fill(
        this.group,
        wanted.map((g) => h('option', { value: g }, g === '' ? 'All groups' : g)),
      );
    this.group.value = this.q.group;
    this.group.disabled = wanted.length === 1;
  }

  private drawHead(): void {
    fill(
      this.head,
      COLUMNS.map(([title, sort]) => {
        if (sort === null) return h('th', { scope: 'col' }, title);
        const on = this.q.sort === sort;
        return h(
          'th',
          { scope: 'col', 'aria-sort': on ? (this.q.order === 'asc' ? 'ascending' : 'descending') : null },
          h(
            'button',
            {
              type: 'button',
              class: 'sort',
              'data-act': `sort-${sort}`,
              // The query at the click, not at the drawing (a click may come before the redraw).
              onclick: () => go({ ...this.q, sort, order: sortOrder(this.q, sort), page: 1 }),
            },
            title,
            h('span', { 'aria-hidden': 'true' }, on ? (this.q.order === 'asc' ? ' ▲' : ' ▼') : ''),
          ),
        );
      }),
      isViewer() ? null : h('th', { scope: 'col' }, 'Actions'),
    );
  }

  private drawPager(extra: BoardExtra): void {
    // The same field across refreshes: a page number being typed is not lost to the live feed.
    const jump = this.jump;
    jump.max = String(extra.pages);
    if (document.activeElement !== jump) jump.value = String(extra.page);
    this.pages = extra.pages;
    const last = extra.page >= extra.pages;
    fill(
      this.pager,
      h(
        'button',
        {
          type: 'button',
          'data-act': 'prev',
          disabled: extra.page <= 1,
          onclick: () => go({ ...this.q, page: extra.page - 1 }),
        },
        'Previous page',
      ),
      h(
        'form',
        {
          class: 'jump',
          onsubmit: (e: Event) => {
            e.preventDefault();
            const page = Math.min(Math.max(1, Math.round(Number(jump.value) || 1)), this.pages);
            go({ ...this.q, page });
          },
        },
        h('label', { for: jump.id }, 'Page'),
        jump,
        h('span', null, ` of ${extra.pages}`),
        h('button', { type: 'submit', 'data-act': 'jump' }, 'Go'),
      ),
      last
        ? h('span', { class: 'muted end' }, 'No more matches')
        : h(
            'button',
            { type: 'button', 'data-act': 'next', onclick: () => go({ ...this.q, page: extra.page + 1 }) },
            'Next page',
          ),
    );
  }
}

/** A column's button: ascending, or the other way round when the list is sorted by it already. */
const sortOrder = (q: TaskQuery, sort: TaskSort): TaskQuery['order'] =>
  q.sort === sort && q.order === 'asc' ? 'desc' : 'asc';

/** The board's counts and pages, beside its rows in the reply. */
function extraOf(r: Reply<unknown>): BoardExtra {
  return {
    counts: r.counts as BoardExtra['counts'],
    groups: r.groups as string[],
    total: r.total as number,
    page: r.page as number,
    pages: r.pages as number,
    size: r.size as number,
    complete: r.complete as boolean,
    corrupt: r.corrupt as number,
  };
}

function row(t: TaskRow, reload: () => void): HTMLElement {
  const menu = actionsMenu(t, () => reload());
  return h(
    'tr',
    { 'data-kid': t.kid },
    h(
      'td',
      { 'data-label': 'Task' },
      h('a', { href: `#/task/${encodeURIComponent(t.kid)}`, 'data-act': 'open' }, labelOf(t)),
      t.name !== null ? h('small', { class: 'muted' }, ` ${shortKid(t.kid)}`) : null,
      t.group ? h('small', { class: 'tag' }, ` ${t.group}`) : null,
      h('div', { class: 'command' }, t.command),
    ),
    h('td', { 'data-label': 'Schedule' }, scheduleCell(t)),
    h(
      'td',
      { 'data-label': 'Next run' },
      t.paused !== undefined
        ? h('span', { class: 'muted' }, 'none while paused')
        : timeEl(t.run_nexttime * 1000, true),
    ),
    h('td', { 'data-label': 'Last result' }, lastCell(t)),
    h('td', { 'data-label': 'State' }, stateCell(t)),
    menu ? h('td', { 'data-label': 'Actions', class: 'actions-cell' }, menu) : null,
  );
}

function lastCell(t: TaskRow): HTMLElement {
  if (t.last_result === undefined) return h('span', { class: 'muted' }, 'never ran');
  return h(
    'span',
    null,
    resultEl({
      result: t.last_result,
      exit_code: t.last_exit,
      http_status: t.last_http,
      signal: t.last_signal,
      error: t.last_error,
      timed_out: t.last_timed_out,
    }),
    t.last_started !== undefined ? h('br') : null,
    t.last_started !== undefined ? h('small', null, relativeOf(t.last_started * 1000)) : null,
  );
}

/** Running (where, since when, for how long), paused, or active. */
function stateCell(t: TaskRow): HTMLElement {
  const running = (t.running ?? []).filter((f) => f.state === 'started' || f.state === 'leased');
  if (running.length > 0)
    return h(
      'span',
      { class: 'running-list' },
      t.paused !== undefined ? [h('span', { class: 'badge paused' }, 'paused'), h('br')] : null,
      ...running.map((f) =>
        h(
          'span',
          { class: 'running' },
          h('span', { class: 'badge running' }, f.state === 'started' ? 'running' : 'starting'),
          ` on ${f.host ?? '?'}${f.pid !== undefined ? ` (pid ${f.pid})` : ''}`,
          f.started_ms !== undefined
            ? h(
                'small',
                null,
                h('br'),
                'since ',
                h('time', { datetime: new Date(f.started_ms).toISOString() }, timeOfMs(f.started_ms)),
                `, for ${spanOf(Date.now() - f.started_ms)}`,
              )
            : null,
        ),
      ),
    );
  if (t.paused !== undefined) return h('span', { class: 'badge paused' }, 'paused');
  return h('span', { class: 'muted' }, 'active');
}
