// Live: each run as it is put on record anywhere in the fleet (server-sent events), newest on
// top, and the chart of firing lateness per daemon, started from the latest runs on record. The
// feed itself is not read aloud (it may move several lines a second): a summary of the last
// minute is, at most every SUMMARY_MS.
import { call } from './api.js';
import { resultEl, taskLink, timeEl } from './cells.js';
import { fill, h } from './dom.js';
import { counted, ms } from './format.js';
import { LatenessChart } from './lateness-chart.js';
import { watchRuns } from './live-source.js';
import type { ViewHandle } from './main.js';
import { attempt, summarize } from './notice.js';
import type { RunSummary } from './types.js';

/** Lines the feed keeps. */
const FEED_LINES = 100;
const SUMMARY_MS = 10_000;

export function showLive(main: HTMLElement): ViewHandle {
  const state = h('p', { class: 'muted' }, 'connecting...');
  const feed = h('ol', { class: 'feed', 'aria-label': 'Runs as they happen' });
  const minute = h('p', { class: 'summary' }, 'No runs seen yet.');
  const chart = new LatenessChart();
  const seen: { atMs: number; ok: boolean }[] = [];
  fill(
    main,
    h('h1', null, 'Live'),
    h(
      'section',
      { 'aria-labelledby': 'chart-title' },
      h('h2', { id: 'chart-title' }, 'Firing lateness'),
      chart.element,
    ),
    h(
      'section',
      { 'aria-labelledby': 'feed-title' },
      h('h2', { id: 'feed-title' }, 'Runs as they happen'),
      state,
      minute,
      feed,
    ),
  );
  void attempt(() => call<RunSummary[]>('runs', { n: '300' })).then((reply) => {
    if (reply) chart.add(reply.data);
  });
  const summarizeMinute = () => {
    const now = Date.now();
    while (seen.length > 0 && (seen[0]?.atMs ?? now) < now - 60_000) seen.shift();
    const failed = seen.filter((s) => !s.ok).length;
    if (seen.length === 0) return;
    summarize(minute, `${counted(seen.length, 'run')} in the last minute, ${failed} failed.`);
  };
  const timer = window.setInterval(summarizeMinute, SUMMARY_MS);
  const stop = watchRuns(
    (run) => {
      feed.prepend(line(run));
      while (feed.children.length > FEED_LINES) feed.lastElementChild?.remove();
      chart.add([run]);
      seen.push({ atMs: Date.now(), ok: run.result === 'ok' || run.result === 'skipped' });
      if (seen.length === 1) summarizeMinute();
    },
    (connected) => {
      state.textContent = connected ? 'connected: new runs appear at the top' : 'reconnecting...';
    },
  );
  return {
    stop: () => {
      stop();
      window.clearInterval(timer);
    },
  };
}

function line(r: RunSummary): HTMLElement {
  return h(
    'li',
    { 'data-kid': r.kid },
    timeEl(r.started === undefined ? undefined : r.started * 1000),
    ' ',
    taskLink(r.kid),
    ' ',
    resultEl(r),
    `, ${ms(r.lateness_ms)} late, took ${ms(r.duration_ms)}, on ${r.host}`,
    r.trigger ? ` (${r.trigger})` : '',
  );
}
