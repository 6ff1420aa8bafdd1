// `ktimer export`: stored tasks as an apply file, YAML or JSON, that applies back to no change.
// Tasks by name, fields in one order (JOB_FIELDS), defaults left out: the same tasks always print
// the same text, so a file kept in git shows only real changes. The crontab import prints its
// file here too.
import { Document, isMap, isScalar, isSeq, type Pair } from 'yaml';
import { formatOutputMax } from '../tasks/run-fields.js';
import type { StoredJob } from './job.js';
import { jobFields, type JobFields } from './job-fields.js';

export type FileFormat = 'yaml' | 'json';

export interface FileTask {
  name: string;
  fields: JobFields;
  /** YAML only: a comment line above the task (the crontab line it came from). */
  comment?: string;
}

export interface Exported {
  text: string;
  /** Tasks given that a file cannot hold, each with the reason. */
  skipped: { kid: string; name?: string; reason: string }[];
}

/** The apply file of group `group` holding `tasks` (those of other groups are skipped). */
export function exportJobs(tasks: readonly StoredJob[], group: string, format: FileFormat): Exported {
  const skipped: Exported['skipped'] = [];
  const kept: FileTask[] = [];
  for (const task of tasks) {
    const reason = skipReason(task, group);
    if (reason === null && task.name !== undefined) kept.push({ name: task.name, fields: jobFields(task) });
    else skipped.push({ kid: task.kid, ...(task.name === undefined ? {} : { name: task.name }), reason: reason ?? '' });
  }
  return { text: applyFileText(group, kept, format), skipped };
}

function skipReason(task: StoredJob, group: string): string | null {
  if (task.type === 'timer') return 'a one-shot timer is not declared state (apply files hold tickers and cron tasks)';
  if (task.name === undefined)
    return `it has no name, which is its key in a file; give it one with \`ktimer update ${task.kid} -name=NAME\``;
  if (task.group !== group) return task.group === undefined ? 'it has no group' : `it is of group ${task.group}`;
  return null;
}

/** An apply file's text: `group`, then `tasks` by name; a header comment on top (YAML only). */
export function applyFileText(
  group: string,
  tasks: readonly FileTask[],
  format: FileFormat,
  header?: string,
): string {
  const sorted = [...tasks].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const body = { group, tasks: Object.fromEntries(sorted.map((t) => [t.name, written(t.fields)])) };
  if (format === 'json') return `${JSON.stringify(body, null, 2)}\n`;
  const doc = new Document(body);
  if (header !== undefined) doc.commentBefore = header;
  const map = doc.get('tasks', true);
  if (isMap(map))
    for (const [i, pair] of (map.items as Pair[]).entries()) {
      const comment = sorted[i]?.comment;
      if (comment !== undefined && isScalar(pair.key)) pair.key.commentBefore = comment;
      const on = isMap(pair.value) ? pair.value.get('on', true) : undefined;
      if (isSeq(on)) on.flow = true;
    }
  // No folding: a long command stays on one line, as it was given.
  return doc.toString({ lineWidth: 0 });
}

/** The fields as a file writes them: output_max as a size (`8k`). */
function written(fields: JobFields): JobFields {
  const out = { ...fields };
  if (typeof out.output_max === 'number') out.output_max = formatOutputMax(out.output_max);
  return out;
}
