// The runs of every task across the fleet, newest first; failures only at the tick of a box.
// A run's output is read when it is unfolded.
import { runOfFireId } from '../runs/ids.js';
import { call } from './api.js';
import { resultEl, taskLink, timeEl } from './cells.js';
import { fill, h, refreshButton, rowsOr, settled, table, titleBar } from './dom.js';
import { ms } from './format.js';
import { attempt, summarize } from './notice.js';
import type { RunRecord, RunSummary } from './types.js';

export function showRuns(main: HTMLElement): undefined {
  const failed = h('input', { type: 'checkbox', id: 'failed-only' });
  const body = h('tbody');
  const summary = h('p', { class: 'summary' });
  const load = async () => {
    const reply = await attempt(() =>
      call<RunSummary[]>('runs', { n: '100', failed: failed.checked ? '1' : undefined }),
    );
    if (!reply) return;
    summarize(summary, `${reply.data.length} ${failed.checked ? 'failed runs' : 'runs'}, newest first`);
    fill(body, rowsOr(reply.data, runRow, 'No runs.', 8));
  };
  failed.addEventListener('change', () => void load());
  fill(
    main,
    titleBar('Runs', refreshButton(load)),
    h('div', { class: 'field inline' }, failed, h('label', { for: failed.id }, 'Failures only')),
    summary,
    table(['Task', 'Fire', 'Result', 'Started', 'Lateness', 'Duration', 'Host', 'Output'], body, {
      class: 'cards',
    }),
  );
  void load();
}

function runRow(r: RunSummary): HTMLElement {
  const pre = h('pre');
  const details = h('details', null, h('summary', null, 'Output'), pre);
  details.addEventListener(
    'toggle',
    settled(async () => {
      if (!details.open || pre.dataset.loaded) return;
      pre.dataset.loaded = '1';
      const reply = await attempt(() => call<RunRecord>('output', { fire_id: r.fire_id }));
      pre.textContent = reply
        ? [reply.data.error ? `error: ${reply.data.error}\n` : '', reply.data.output ?? '(no output)'].join(
            '',
          )
        : '';
    }),
  );
  return h(
    'tr',
    null,
    h('td', { 'data-label': 'Task' }, taskLink(r.kid)),
    h(
      'td',
      { 'data-label': 'Fire' },
      runOfFireId(r.fire_id),
      r.trigger ? h('small', null, ` ${r.trigger}`) : null,
    ),
    h('td', { 'data-label': 'Result' }, resultEl(r)),
    h('td', { 'data-label': 'Started' }, timeEl(r.started === undefined ? undefined : r.started * 1000)),
    h('td', { 'data-label': 'Lateness' }, ms(r.lateness_ms)),
    h('td', { 'data-label': 'Duration' }, ms(r.duration_ms)),
    h('td', { 'data-label': 'Host' }, r.host),
    h('td', { 'data-label': 'Output' }, details),
  );
}
