// The runs of every task across the fleet, newest first; failures only at the tick of a box.
// A run's output is read when it is unfolded.
import { call } from './api.js';
import { fill, h, settled, table } from './dom.js';
import { endOf, ms, shortKid, timeOfSec } from './format.js';
import { nameOf } from './names.js';
import { attempt } from './notice.js';
import type { RunRecord, RunSummary } from './types.js';

export function showRuns(main: HTMLElement): undefined {
  const failed = h('input', { type: 'checkbox', id: 'failed-only' });
  const body = h('tbody');
  const summary = h('p', { class: 'summary', 'aria-live': 'polite' });
  const load = async () => {
    const reply = await attempt(() =>
      call<RunSummary[]>('runs', { n: '100', failed: failed.checked ? '1' : undefined }),
    );
    if (!reply) return;
    summary.textContent = `${reply.data.length} ${failed.checked ? 'failed runs' : 'runs'}, newest first`;
    fill(
      body,
      reply.data.length === 0 ? h('tr', null, h('td', { colspan: 8 }, 'No runs.')) : reply.data.map(runRow),
    );
  };
  failed.addEventListener('change', () => void load());
  fill(
    main,
    h(
      'div',
      { class: 'title' },
      h('h1', null, 'Runs'),
      h('button', { type: 'button', onclick: () => void load() }, 'Refresh'),
    ),
    h('div', { class: 'field inline' }, failed, h('label', { for: failed.id }, 'Failures only')),
    summary,
    table(['Task', 'Fire', 'Result', 'Started', 'Lateness', 'Duration', 'Host', 'Output'], body),
  );
  void load();
}

/** A link to a run's task, named once its name is known. */
export function taskLink(kid: string): HTMLElement {
  const link = h('a', { href: `#/task/${encodeURIComponent(kid)}` }, shortKid(kid));
  void nameOf(kid).then((name) => {
    if (name !== null) link.textContent = name;
  });
  return link;
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
    h('td', null, taskLink(r.kid)),
    h(
      'td',
      null,
      r.fire_id.slice(r.fire_id.lastIndexOf(':') + 1),
      r.trigger ? h('small', null, ` ${r.trigger}`) : null,
    ),
    h('td', null, h('span', { class: `result ${r.result}` }, r.result), ' ', endOf(r)),
    h('td', null, timeOfSec(r.started)),
    h('td', null, ms(r.lateness_ms)),
    h('td', null, ms(r.duration_ms)),
    h('td', null, r.host),
    h('td', null, details),
  );
}
