// A plan as people read it, one line per task or changed field:
//
//   + heartbeat
//   ~ db-backup: cron "0 30 3 * * *" -> "0 0 4 * * *"
//   - old-report
//   3 to add, 1 to change, 1 to remove, 12 unchanged
//
// env values are shown as *** (issue 24: they are masked wherever they are logged); `mask` is
// given the chance to hide more (a URL's credentials) in each line.
import { oneLine } from '../text.js';
import type { FieldValue } from './job-fields.js';
import type { FieldChange, Plan } from './plan.js';

/** A value's characters shown at most; a long one is shown around where the two differ. */
const SHOWN = 60;

export interface PlanTextOptions {
  /** `--dry-run`: the summary says nothing was changed. */
  dryRun?: boolean;
  /** Hides what a line must not show (a URL's credentials). */
  mask?: (line: string) => string;
}

export function planLines(
  plan: Plan,
  { dryRun = false, mask = (line) => line }: PlanTextOptions = {},
): string[] {
  const lines: string[] = [];
  for (const r of plan.refused) lines.push(`! ${r.name}: ${r.reason}`);
  for (const job of plan.add) lines.push(`+ ${job.name}`);
  for (const change of plan.change)
    for (const c of change.changes) lines.push(`~ ${change.name}: ${c.field} ${changeText(c)}`);
  for (const task of plan.remove) lines.push(`- ${task.name ?? task.kid}`);
  if (plan.kept > 0)
    lines.push(
      `(${plan.kept} ${plan.kept === 1 ? 'task' : 'tasks'} of group ${plan.group} not in the file kept; --prune removes them)`,
    );
  lines.push(`${planSummary(plan)}${dryRun ? ' (dry run: nothing changed)' : ''}`);
  return lines.map(mask);
}

/** The last line: `N to add, N to change, N to remove, N unchanged` (and the refusals). */
export function planSummary(plan: Plan): string {
  const refused = plan.refused.length > 0 ? `, ${plan.refused.length} refused` : '';
  return `${plan.add.length} to add, ${plan.change.length} to change, ${plan.remove.length} to remove, ${plan.unchanged.length} unchanged${refused}`;
}

function changeText({ field, from, to }: FieldChange): string {
  if (field.startsWith('env.'))
    return `${from === undefined ? '(none)' : '***'} -> ${to === undefined ? '(none)' : '***'}`;
  if (typeof from === 'string' && typeof to === 'string') {
    const [a, b] = around(from, to);
    return `${a} -> ${b}`;
  }
  return `${valueText(from)} -> ${valueText(to)}`;
}

function valueText(value: FieldValue | undefined): string {
  if (value === undefined) return '(none)';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return quoted(value.length > SHOWN ? `${value.slice(0, SHOWN)}...` : value);
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  return `{${Object.keys(value).join(', ')}}`;
}

/** Two strings, each cut to SHOWN characters around the first place they differ. */
function around(a: string, b: string): [string, string] {
  if (a.length <= SHOWN && b.length <= SHOWN) return [quoted(a), quoted(b)];
  let same = 0;
  while (same < a.length && same < b.length && a[same] === b[same]) same++;
  const start = Math.max(0, same - 10);
  const cut = (s: string) =>
    `${start > 0 ? '...' : ''}${s.slice(start, start + SHOWN)}${s.length > start + SHOWN ? '...' : ''}`;
  return [quoted(cut(a)), quoted(cut(b))];
}

/** JSON's quoting (escapes shown as such), then nothing a terminal would act on. */
const quoted = (s: string): string => oneLine(JSON.stringify(s), SHOWN * 2);

/** The plan as data (--json, the web API): names by what happens to them, each change's fields. */
export function planData(plan: Plan) {
  return {
    group: plan.group,
    add: plan.add.map((j) => j.name),
    change: plan.change.map((c) => ({
      name: c.name,
      kid: c.kid,
      fields: c.changes.map((f) => f.field),
      reschedule: c.reschedule,
    })),
    remove: plan.remove.map((r) => r.name ?? r.kid),
    unchanged: plan.unchanged.length,
    kept: plan.kept,
  };
}
