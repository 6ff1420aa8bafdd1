// `ktimer export`: stored tasks as an apply file, YAML or JSON, that applies back to no change.
// Tasks by name, fields in one order (JOB_FIELDS), defaults left out: the same tasks always print
// the same text, so a file kept in git shows only real changes. The crontab import prints its
// file here too.
import { COLLECTION_STYLE, CORE_SCHEMA, jsToAst, present, type MappingNode, type Node } from 'js-yaml';
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
    else
      skipped.push({
        kid: task.kid,
        ...(task.name === undefined ? {} : { name: task.name }),
        reason: reason ?? '',
      });
  }
  return { text: applyFileText(group, kept, format), skipped };
}

function skipReason(task: StoredJob, group: string): string | null {
  if (task.type === 'timer')
    return 'a one-shot timer is not declared state (apply files hold tickers and cron tasks)';
  if (task.name === undefined)
    return `it has no name, which is its key in a file; give it one with \`ktimer update ${task.kid} -name=NAME\``;
  if (task.group !== group)
    return task.group === undefined ? 'it has no group' : `it is of group ${task.group}`;
  return null;
}

export interface TextOptions {
  /** A comment on top (YAML). */
  header?: string;
  /** Tasks in the order given, not by name (an import, beside its crontab). */
  inOrder?: boolean;
  /** One env written once and named (`&env1`), the tasks with the same one pointing to it (YAML). */
  shareEnv?: boolean;
}

/** An apply file's text: `group`, then `tasks` by name. */
export function applyFileText(
  group: string,
  tasks: readonly FileTask[],
  format: FileFormat,
  { header, inOrder = false, shareEnv = false }: TextOptions = {},
): string {
  const sorted = inOrder
    ? tasks
    : [...tasks].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const body = { group, tasks: Object.fromEntries(sorted.map((t) => [t.name, written(t.fields)])) };
  if (format === 'json') return `${JSON.stringify(body, null, 2)}\n`;
  const [doc] = jsToAst(body, CORE_SCHEMA, { noRefs: true });
  const taskNodes = doc?.contents?.kind === 'mapping' ? valueOf(doc.contents, 'tasks') : undefined;
  if (taskNodes?.kind === 'mapping') {
    for (const { value } of taskNodes.items) {
      const on = value.kind === 'mapping' ? valueOf(value, 'on') : undefined;
      if (on?.kind === 'sequence') on.style = COLLECTION_STYLE.FLOW;
    }
    if (shareEnv) shareEnvs(taskNodes);
  }
  // No folding: a long command stays on one line, as it was given.
  const yaml = present(doc ? [doc] : [], { schema: CORE_SCHEMA, lineWidth: -1, quoteStyle: 'double' });
  return withComments(yaml, sorted, header);
}

function valueOf(map: MappingNode, key: string): Node | undefined {
  return map.items.find((item) => item.key.kind === 'scalar' && item.key.value === key)?.value;
}

/** The second and later tasks with an env equal to an earlier one's point to it (`*env1`). */
function shareEnvs(tasks: MappingNode): void {
  const first = new Map<string, MappingNode>();
  let anchors = 0;
  for (const { value: task } of tasks.items) {
    if (task.kind !== 'mapping') continue;
    const item = task.items.find((i) => i.key.kind === 'scalar' && i.key.value === 'env');
    if (item?.value.kind !== 'mapping') continue;
    const key = JSON.stringify(item.value.items.map((i) => [i.key, i.value]));
    const seen = first.get(key);
    if (!seen) first.set(key, item.value);
    else {
      seen.anchor ??= `env${++anchors}`;
      item.value = { kind: 'alias', anchor: seen.anchor };
    }
  }
}

/**
 * The header and each task's comment, put in as lines: a task's key is the one line at two
 * spaces' indent under `tasks:` (its fields are deeper, a block scalar's text deeper still).
 */
function withComments(yaml: string, tasks: readonly FileTask[], header: string | undefined): string {
  const lines = yaml.split('\n');
  let next = 0;
  const out = header === undefined ? [] : [`#${header}`, ''];
  for (const line of lines) {
    if (/^ {2}[^ #]/.test(line)) {
      const comment = tasks[next++]?.comment;
      if (comment !== undefined) out.push(`  #${comment}`);
    }
    out.push(line);
  }
  return out.join('\n');
}

/** The fields as a file writes them: output_max as a size (`8k`). */
function written(fields: JobFields): JobFields {
  const out = { ...fields };
  if (typeof out.output_max === 'number') out.output_max = formatOutputMax(out.output_max);
  return out;
}
