// ktimer changes [-n 50] [--since 1h]: who changed what, fleet-wide, newest first (docs/logs-and-history.md "Who
// changed what"): each add, update, del, clear, pause, resume and run, by whom and why.
import type { ChangeRow } from '../../service/change-log.js';
import { localIso } from '../../tasks/iso-time.js';
import { oneLine } from '../../text.js';
import type { CliContext } from '../context.js';
import { table } from '../format.js';

export async function run(
  ctx: CliContext,
  _words: string[],
  opts: { since?: string; n?: string },
): Promise<void> {
  const changes = await (await ctx.changes()).latest({ count: opts.n, since: opts.since });
  const none = `no changes on record${opts.since ? ' in that time' : ''}.`;
  ctx.print(changes.length === 0 ? none : changesTable(changes), { changes });
}

function changesTable(rows: readonly ChangeRow[]): string {
  return table(
    ['WHEN', 'WHAT', 'TASK', 'WHO', 'WHY'],
    rows.map((r) => [
      localIso(r.at_ms),
      `${r.op}: ${r.detail}`,
      taskOf(r),
      r.who,
      oneLine(r.reason ?? '', 60),
    ]),
  );
}

function taskOf(r: ChangeRow): string {
  if (r.kids === 'all') return 'all';
  const first = r.name ?? r.kids[0] ?? '';
  const more = r.kids.length - 1 + (r.more_kids ?? 0);
  return more > 0 ? `${first} and ${more} more` : first;
}
