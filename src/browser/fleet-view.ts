// The fleet: its daemons with name, host, pid, labels, version, uptime, the age of their last
// claim, their runs under way, their lateness p99 and the settings where they differ from the
// others; a daemon gone quiet says so (fleet-data.ts: where the list comes from).
import { h, fill, rowsOr, table } from './dom.js';
import { counted, ms, spanOf } from './format.js';
import { type FleetMember, loadFleet, QUIET_MS } from './fleet-data.js';
import { whileInView } from './in-view.js';
import type { ViewHandle } from './main.js';
import { attempt, summarize } from './notice.js';

const REFRESH_MS = 5000;

export function showFleet(main: HTMLElement): ViewHandle {
  const body = h('tbody');
  const summary = h('p', { class: 'summary' });
  const load = async () => {
    const members = await attempt(loadFleet);
    if (!members) return;
    const quiet = members.filter((m) => m.quiet).length;
    summarize(summary, `${counted(members.length, 'daemon')}${quiet > 0 ? `, ${quiet} quiet` : ''}`);
    fill(body, rowsOr(members, memberRow, 'No daemon seen.', 9));
  };
  fill(
    main,
    h('h1', null, 'Fleet'),
    summary,
    table(
      [
        'Daemon',
        'Host',
        'Pid',
        'Labels',
        'Version',
        'Up',
        'Last claim',
        'Running',
        'Lateness p99',
        'Differs',
      ],
      body,
      {
        class: 'cards',
        'aria-label': 'Daemons',
      },
    ),
  );
  void load();
  const seen = whileInView(() => void load());
  const timer = window.setInterval(seen.refresh, REFRESH_MS);
  return {
    stop: () => {
      window.clearInterval(timer);
      seen.stop();
    },
  };
}

/** Its last claim's age. */
function lastClaim(m: FleetMember): string {
  const age = m.row.last_claim_age_ms;
  if (age === null) return 'never';
  return `${spanOf(age)} ago${age > QUIET_MS ? ' (quiet)' : ''}`;
}

function differs(m: FleetMember): string {
  if (!m.row.settings_differ) return 'same as the others';
  return `[${m.row.settings_differ_in.join('], [')}] differ${m.row.settings_differ_in.length === 1 ? 's' : ''}`;
}

function memberRow(m: FleetMember): HTMLElement {
  const { row } = m;
  return h(
    'tr',
    { class: m.quiet ? 'quiet' : null },
    h(
      'td',
      { 'data-label': 'Daemon' },
      row.name,
      m.quiet ? h('span', { class: 'badge bad' }, row.state === 'gone' ? ' gone' : ' quiet') : null,
    ),
    h('td', { 'data-label': 'Host' }, row.host),
    h('td', { 'data-label': 'Pid' }, String(row.pid)),
    h('td', { 'data-label': 'Labels' }, row.labels.join(', ') || 'none'),
    h('td', { 'data-label': 'Version' }, row.version),
    h('td', { 'data-label': 'Up' }, spanOf(Date.now() - row.started * 1000)),
    h('td', { 'data-label': 'Last claim' }, lastClaim(m)),
    h('td', { 'data-label': 'Running' }, String(row.running)),
    h(
      'td',
      { 'data-label': 'Lateness p99' },
      m.p99Ms === null ? 'no runs' : `${ms(m.p99Ms)} (${m.runsSeen} runs)`,
    ),
    h('td', { 'data-label': 'Differs' }, differs(m)),
  );
}
