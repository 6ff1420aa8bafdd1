// Live: each run as it is put on record anywhere in the fleet (server-sent events), newest on
// top, and the chart of firing lateness per daemon, started from the latest runs on record.
import { call } from './api.js';
import { fill, h } from './dom.js';
import { endOf, ms, timeOfSec } from './format.js';
import { LatenessChart } from './lateness-chart.js';
import { watchRuns } from './live-source.js';
import { attempt } from './notice.js';
import { taskLink } from './runs-view.js';
import type { RunSummary } from './types.js';

/** Lines the feed keeps. */
const FEED_LINES = 100;

export function showLive(main: HTMLElement): () => void {
  const state = h('p', { class: 'muted' }, 'connecting...');
  const feed = h('ol', { class: 'feed', 'aria-live': 'polite', 'aria-label': 'Runs as they happen' });
  const chart = new LatenessChart();
  fill(
    main,
    h('h1', null, 'Live'),
    h('section', null, h('h2', null, 'Firing lateness'), chart.element),
    h('section', null, h('h2', null, 'Runs as they happen'), state, feed),
  );
  void attempt(() => call<RunSummary[]>('runs', { n: '300' })).then((reply) => {
    if (reply) chart.add(reply.data);
  });
  return watchRuns(
    (run) => {
      feed.prepend(line(run));
      while (feed.children.length > FEED_LINES) feed.lastElementChild?.remove();
      chart.add([run]);
    },
    (connected) => {
      state.textContent = connected ? 'connected: new runs appear at the top' : 'reconnecting...';
    },
  );
}

function line(r: RunSummary): HTMLElement {
  return h(
    'li',
    { 'data-kid': r.kid },
    h('time', null, timeOfSec(r.started)),
    ' ',
    taskLink(r.kid),
    ' ',
    h('span', { class: `result ${r.result}` }, r.result),
    ` ${endOf(r)}, ${ms(r.lateness_ms)} late, took ${ms(r.duration_ms)}, on ${r.host}`,
    r.trigger ? ` (${r.trigger})` : '',
  );
}
