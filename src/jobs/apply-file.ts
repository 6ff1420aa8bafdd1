// `ktimer apply FILE`: the file, YAML or JSON (JSON is YAML), read into a checked Declaration.
//
//   group: nightly          # required: the tasks this file owns, what --prune may remove
//   tasks:
//     db-backup: {type: cron, cron: "0 30 3 * * *", command: /usr/local/bin/backup-db}
//
// Every problem is found, not just the first: each is one line naming the file, its line, the
// task and the reason. Top-level keys starting with `x-` are left alone (a place for anchors
// such as `x-defaults: &defaults`, as Compose files have).
import { KtimerError, messageOf } from '../errors.js';
import { parseGroup } from '../tasks/task-group.js';
import { parseName } from '../tasks/task-name.js';
import type { TaskRules } from '../tasks/task-rules.js';
import { oneLine } from '../text.js';
import type { Declaration, DeclaredJob } from './job.js';
import { readJob, textOf, type Problem } from './job-input.js';
import { readYaml, YamlSyntaxError, type YamlNode } from './yaml-tree.js';

/** Problems shown at most; the count says how many more. */
const MAX_SHOWN = 50;

type Pair = { key: YamlNode; value: YamlNode };

/** The declaration of an apply file's text; `source` names it in messages (a path, or stdin). */
export function parseApplyFile(text: string, source: string, rules: TaskRules): Declaration {
  let root: YamlNode | null;
  try {
    root = readYaml(text);
  } catch (err) {
    if (err instanceof YamlSyntaxError) refuseIf(source, [{ line: err.line, message: err.message }]);
    throw err;
  }
  const found = topLevel(root);
  const problems = [...found.problems];
  const jobs: DeclaredJob[] = [];
  const seen = new Map<string, number>();
  for (const { key, value } of found.tasks) {
    const line = key.line;
    let name: string;
    try {
      name = parseName(textOf(key, 'a task name'));
    } catch (err) {
      problems.push({ line, message: messageOf(err) });
      continue;
    }
    const first = seen.get(name);
    seen.set(name, first ?? line);
    if (first !== undefined) {
      problems.push({ line, message: `task ${name} is declared twice (first on line ${first})` });
      continue;
    }
    const job = readJob(name, { node: value, line }, rules);
    if ('spec' in job) jobs.push({ name, line, spec: job.spec });
    else problems.push(...job.problems.map(at(name)));
  }
  refuseIf(source, problems);
  return { group: found.group ?? '', jobs };
}

/** The group and the task pairs; a missing group, a bad one or a stray key is a problem. */
function topLevel(root: YamlNode | null): { group?: string; tasks: Pair[]; problems: Problem[] } {
  const problems: Problem[] = [];
  if (root?.kind !== 'map') {
    const message = 'expected a map with group: NAME and tasks: (this is no apply file)';
    return { tasks: [], problems: [{ line: root?.line ?? 1, message }] };
  }
  let group: string | undefined;
  let tasks: Pair[] = [];
  const seen = new Set<string>();
  for (const { key, value } of root.pairs) {
    const name = key.kind === 'scalar' ? (key.text ?? '') : '';
    try {
      if (seen.has(name)) throw new Error(`${oneLine(name, 40)} is given twice`);
      seen.add(name);
      if (name === 'group') group = parseGroup(textOf(value, 'group'));
      else if (name === 'tasks') tasks = taskPairs(value);
      else if (!name.startsWith('x-'))
        throw new Error(
          `unknown key "${oneLine(name, 40)}"; an apply file has group and tasks (and x-... keys)`,
        );
    } catch (err) {
      problems.push({ line: key.line, message: messageOf(err) });
    }
  }
  if (group === undefined && !problems.some((p) => p.message.startsWith('group')))
    problems.push({
      line: 1,
      message: 'group is missing; an apply file names the group it owns, such as group: nightly',
    });
  return { group, tasks, problems };
}

/** `tasks:` is a map of names to fields; empty (`tasks:` or `tasks: {}`) declares none. */
function taskPairs(node: YamlNode): Pair[] {
  if (node.kind === 'map') return node.pairs;
  if (node.kind === 'scalar' && node.text === null) return [];
  throw new Error('tasks must be a map of task names to their fields');
}

const at =
  (task: string) =>
  (p: Problem): Problem => ({ line: p.line, message: `task ${task}: ${p.message}` });

/** Nothing is applied from a file with a problem: one usage error lists them, a line each. */
function refuseIf(source: string, problems: readonly Problem[]): void {
  if (problems.length === 0) return;
  const sorted = [...problems].sort((a, b) => a.line - b.line);
  const lines = sorted.map((p) => `${source}:${p.line}: ${p.message}`);
  const shown = lines.slice(0, MAX_SHOWN);
  if (lines.length > shown.length) shown.push(`${source}: and ${lines.length - shown.length} more problems`);
  throw new KtimerError('usage', shown.join('\n'), { details: { problems: lines } });
}
