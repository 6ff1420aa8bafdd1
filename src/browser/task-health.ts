// A task's health from its runs on record: its last success, its success rate, its failure
// streak and a sparkline of its durations (SVG, newest on the right).
import { h, svg } from './dom.js';
import { ms, relativeOf, timeOfSec } from './format.js';
import type { RunRecord } from './types.js';

const W = 160;
const H = 32;

export function healthOf(runs: readonly RunRecord[]): HTMLElement {
  // Runs that ran: skipped ones say nothing of health.
  const ran = runs.filter((r) => r.result !== 'skipped');
  if (ran.length === 0) return h('p', { class: 'muted' }, 'No runs on record yet.');
  const ok = ran.filter((r) => r.result === 'ok');
  const lastOk = ok[0];
  let streak = 0;
  while (streak < ran.length && ran[streak]?.result !== 'ok') streak++;
  const rate = Math.round((ok.length / ran.length) * 1000) / 10;
  return h(
    'dl',
    { class: 'facts health' },
    h('dt', null, 'Last success'),
    h(
      'dd',
      null,
      lastOk?.started !== undefined
        ? [timeOfSec(lastOk.started), h('small', null, ` (${relativeOf(lastOk.started * 1000)})`)]
        : `none in the last ${ran.length} runs`,
    ),
    h('dt', null, 'Success rate'),
    h('dd', null, `${rate}% of the last ${ran.length} runs`),
    h('dt', null, 'Failure streak'),
    h(
      'dd',
      { class: streak > 0 ? 'bad' : null },
      streak === 0 ? 'none: the last run succeeded' : `${streak} failed in a row`,
    ),
    h('dt', null, 'Durations'),
    h('dd', null, sparkline(ran)),
  );
}

/** The durations of the runs, oldest on the left; failures marked red. */
function sparkline(runs: readonly RunRecord[]): Element | string {
  const points = runs
    .filter((r) => r.duration_ms !== undefined)
    .slice(0, 50)
    .reverse();
  if (points.length < 2) return points.length === 1 ? ms(points[0]?.duration_ms) : '';
  const max = Math.max(...points.map((r) => r.duration_ms ?? 0), 1);
  const x = (i: number) => (i / (points.length - 1)) * (W - 4) + 2;
  const y = (d: number) => H - 2 - (d / max) * (H - 4);
  const line = points.map((r, i) => `${x(i).toFixed(1)},${y(r.duration_ms ?? 0).toFixed(1)}`).join(' ');
  const durations = points.map((r) => r.duration_ms ?? 0).sort((a, b) => a - b);
  const median = durations[Math.floor(durations.length / 2)] ?? 0;
  return h(
    'span',
    { class: 'spark' },
    svg(
      'svg',
      {
        viewBox: `0 0 ${W} ${H}`,
        width: W,
        height: H,
        role: 'img',
        'aria-label': `Durations of the last ${points.length} runs: median ${ms(median)}, longest ${ms(max)}`,
      },
      svg('polyline', { points: line, class: 'spark-line' }),
      ...points.flatMap((r, i) =>
        r.result === 'ok'
          ? []
          : [
              svg('circle', {
                cx: x(i).toFixed(1),
                cy: y(r.duration_ms ?? 0).toFixed(1),
                r: 2.5,
                class: 'spark-bad',
              }),
            ],
      ),
    ),
    h('small', null, ` median ${ms(median)}, longest ${ms(max)}`),
  );
}
