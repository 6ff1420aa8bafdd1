// Who changed what, fleet-wide, newest first (the changes action: docs/logs-and-history.md):
// when, what, which task, who (user@host for the command line, "dashboard admin ADDRESS" for the
// web) and why.
import { call } from './api.js';
import { taskLink, timeEl } from './cells.js';
import { fill, h, refreshButton, rowsOr, table, titleBar } from './dom.js';
import { counted } from './format.js';
import type { ViewHandle } from './main.js';
import { attempt, summarize } from './notice.js';
import type { ChangeRow } from './types.js';

export function showChanges(main: HTMLElement): ViewHandle {
  const body = h('tbody');
  const summary = h('p', { class: 'summary' });
  const load = async () => {
    const reply = await attempt(() => call<ChangeRow[]>('changes', { n: '200' }));
    if (!reply) return;
    summarize(summary, `${counted(reply.data.length, 'change')}, newest first`);
    fill(body, rowsOr(reply.data, changeRow, 'No changes on record.', 5));
  };
  fill(
    main,
    titleBar('Changes', refreshButton(load)),
    h(
      'p',
      { class: 'muted' },
      'Every add, update, delete, pause, resume and run by hand, from the command line, the dashboard or the API.',
    ),
    summary,
    table(['When', 'What', 'Task', 'Who', 'Why'], body, { class: 'cards', 'aria-label': 'Changes' }),
  );
  void load();
  return {};
}

function changeRow(c: ChangeRow): HTMLElement {
  const kids = c.kids === 'all' ? null : c.kids;
  const more = (kids ? kids.length - 1 : 0) + (c.more_kids ?? 0);
  return h(
    'tr',
    null,
    h('td', { 'data-label': 'When' }, timeEl(c.at_ms, true)),
    h('td', { 'data-label': 'What' }, h('strong', null, c.op), ` ${c.detail}`),
    h(
      'td',
      { 'data-label': 'Task' },
      kids === null ? 'all tasks' : kids[0] !== undefined ? taskLink(kids[0]) : '',
      c.name !== undefined ? h('small', { class: 'muted' }, ` (${c.name})`) : null,
      more > 0 ? ` and ${more} more` : '',
    ),
    h('td', { 'data-label': 'Who' }, c.who),
    h('td', { 'data-label': 'Why' }, c.reason ?? ''),
  );
}
