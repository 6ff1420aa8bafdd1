// One task of an apply file: its fields, as yaml-tree.ts read them, checked into a JobSpec.
// The fields are `add --file`'s (TASK_FIELDS, checked by task-rules' parseTaskSpec, as `add`
// checks them) and issue 24's (run-fields.ts). A scalar counts as the text it was written as:
// `time: 010` is "010", `command: true` is "true", so YAML's idea of numbers and booleans
// changes nothing. Each bad field is one message with its own line.
import { messageOf, usageError } from '../errors.js';
import { checkCron, checkZone } from '../tasks/cron.js';
import {
  parseCwd,
  parseEnv,
  parseLabels,
  parseNotify,
  parseOutputMax,
  parseUser,
  RUN_FIELDS,
  type RunFields,
} from '../tasks/run-fields.js';
import {
  parseCommand,
  parseOverlap,
  parseTaskSpec,
  parseTimeout,
  parseType,
  TASK_FIELDS,
  type TaskInput,
  type TaskRules,
} from '../tasks/task-rules.js';
import type { JobSpec } from './job.js';
import type { YamlMap, YamlNode } from './yaml-tree.js';

/** A problem found, on a line of the file (1-based). */
export interface Problem {
  line: number;
  message: string;
}

/** The fields a task may have in an apply file: the name is the task's key, never a field. */
const INPUT_FIELDS = TASK_FIELDS.filter((f) => f !== 'name');
export const FILE_FIELDS: readonly string[] = [...INPUT_FIELDS, ...RUN_FIELDS];

/** Fields with a check of their own: when a task is refused, each bad one is told on its line. */
const ALONE: Partial<Record<keyof TaskInput, (text: string) => unknown>> = {
  type: parseType,
  tz: checkZone,
  cron: (text) => checkCron(text, 'UTC'),
  command: parseCommand,
  overlap: parseOverlap,
  timeout: (text) => parseTimeout(text, 1),
};

interface Field {
  key: string;
  value: YamlNode;
  line: number;
}

/** A task's fields checked: the spec, or the problems (each field's, else the task's own). */
export function readJob(
  name: string,
  { node, line }: { node: YamlNode; line: number },
  rules: TaskRules,
): { spec: JobSpec } | { problems: Problem[] } {
  if (node.kind !== 'map')
    return { problems: [{ line, message: 'expected its fields, such as type: cron' }] };
  const input: TaskInput = { name };
  const run: RunFields = {};
  const problems: Problem[] = [];
  const fields = fieldsOf(node, problems);
  for (const field of fields) {
    try {
      readField(field, input, run);
    } catch (err) {
      problems.push({ line: field.line, message: messageOf(err) });
    }
  }
  if (problems.length > 0) {
    const told = new Set(problems.map((p) => p.line));
    return { problems: [...problems, ...fieldProblems(fields, input).filter((p) => !told.has(p.line))] };
  }
  if (input.type === undefined)
    return { problems: [{ line, message: 'type is missing; give type: cron or type: ticker' }] };
  try {
    // A fresh object: adding issue 24's fields to the spec in place (Object.assign) left objects
    // that made the writing of a 10,000-task apply ~100 ms slower (bench/apply.ts).
    return { spec: { ...parseTaskSpec(input, rules), ...run, name } };
  } catch (err) {
    const alone = fieldProblems(fields, input);
    return { problems: alone.length > 0 ? alone : [{ line, message: messageOf(err) }] };
  }
}

/** The fields that are wrong on their own, each on its line (checked only once a task is refused). */
function fieldProblems(fields: readonly Field[], input: TaskInput): Problem[] {
  return fields.flatMap((field) => {
    const check = isInputField(field.key) ? ALONE[field.key] : undefined;
    const text = isInputField(field.key) ? input[field.key] : undefined;
    if (!check || text === undefined) return [];
    try {
      check(text);
      return [];
    } catch (err) {
      return [{ line: field.line, message: messageOf(err) }];
    }
  });
}

/**
 * The map's fields; a merge key (`<<: *defaults`) gives the fields not written out. A field
 * given twice, or a merge of something else than maps, is a problem on its line.
 */
function fieldsOf(map: YamlMap, problems: Problem[]): Field[] {
  const own: Field[] = [];
  const merged: Field[] = [];
  for (const { key, value } of map.pairs) {
    if (key.kind === 'scalar' && key.plain && key.text === '<<') {
      const sources = value.kind === 'seq' ? value.items : [value];
      for (const source of sources) {
        if (source.kind === 'map') merged.push(...fieldsOf(source, problems));
        else
          problems.push({ line: key.line, message: 'a merge key (<<) takes a map, such as <<: *defaults' });
      }
      continue;
    }
    try {
      const name = textOf(key, 'a field name');
      if (own.some((f) => f.key === name)) throw usageError(`field ${name.slice(0, 40)} is given twice`);
      own.push({ key: name, value, line: key.line });
    } catch (err) {
      problems.push({ line: key.line, message: messageOf(err) });
    }
  }
  if (merged.length === 0) return own;
  const written = new Set(own.map((f) => f.key));
  return [...own, ...merged.filter((f) => !written.has(f.key))];
}

function readField({ key, value }: Field, input: TaskInput, run: RunFields): void {
  if (isInputField(key)) {
    const text = textOf(value, key);
    if (key === 'type' && text === 'timer')
      throw usageError('type timer is not declared state; add a one-shot timer with `ktimer add`');
    input[key] = text;
    return;
  }
  if (key === 'name') throw usageError("name is the task's key under tasks:, not a field");
  if (key === 'on') run.on = parseLabels(listOf(value));
  else if (key === 'env') run.env = parseEnv(entriesOf(value));
  else if (key === 'cwd') run.cwd = parseCwd(textOf(value, key));
  else if (key === 'user') run.user = parseUser(textOf(value, key));
  else if (key === 'output_max') run.output_max = parseOutputMax(textOf(value, key));
  else if (key === 'notify') {
    if (parseNotify(textOf(value, key)) === 'off') run.notify = 'off';
  } else throw usageError(`unknown field "${key.slice(0, 40)}"; expected ${FILE_FIELDS.join(', ')}`);
}

const isInputField = (key: string): key is Exclude<(typeof TASK_FIELDS)[number], 'name'> =>
  (INPUT_FIELDS as readonly string[]).includes(key);

/** A scalar's text: what was written (`010` is "010", a JSON file's 300 is "300"). */
export function textOf(node: YamlNode, what: string): string {
  if (node.kind !== 'scalar') throw usageError(`${what} must be a single value`);
  if (node.text === null) throw usageError(`${what} has no value`);
  return node.text;
}

/** `on: [db, eu]` or `on: db,eu`. */
function listOf(node: YamlNode): string | string[] {
  if (node.kind === 'seq') return node.items.map((item) => textOf(item, 'a label'));
  return textOf(node, 'on');
}

/** `env:` is a map of names to values. */
function entriesOf(node: YamlNode): [string, string][] {
  if (node.kind !== 'map')
    throw usageError('env must be a map of names to values, such as env: {LANG: C.UTF-8}');
  return node.pairs.map(({ key, value }) => {
    const name = textOf(key, 'an env name');
    return [name, textOf(value, `env ${name}`)];
  });
}
