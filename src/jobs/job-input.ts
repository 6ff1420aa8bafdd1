// One task of an apply file: its fields, as the YAML library read them, checked into a JobSpec.
// The fields are `add --file`'s (TASK_FIELDS, checked by task-rules' parseTaskSpec, as `add`
// checks them) and issue 24's (run-fields.ts). A scalar counts as the text it was written as:
// `time: 010` is "010", `command: true` is "true", so YAML's idea of numbers and booleans
// changes nothing. Each bad field is one message with its own line.
import { isAlias, isMap, isScalar, isSeq, type Document, type YAMLMap } from 'yaml';
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

/** A problem found, on a line of the file (1-based). */
export interface Problem {
  line: number;
  message: string;
}

/** The fields a task may have in an apply file: the name is the task's key, never a field. */
const INPUT_FIELDS = TASK_FIELDS.filter((f) => f !== 'name');
export const FILE_FIELDS: readonly string[] = [...INPUT_FIELDS, ...RUN_FIELDS];

/** The fields checked on their own first, so a bad one is reported on its own line. */
const ALONE: Partial<Record<keyof TaskInput, (text: string) => unknown>> = {
  type: parseType,
  tz: checkZone,
  cron: (text) => checkCron(text, 'UTC'),
  command: parseCommand,
  overlap: parseOverlap,
  timeout: (text) => parseTimeout(text, 1),
};

/** Where a node starts, as a line number. */
export type LineOf = (node: unknown) => number;

interface Field {
  key: string;
  value: unknown;
  line: number;
}

/** A task's fields checked: the spec, or the problems (each field's, else the task's own). */
export function readJob(
  name: string,
  { node, line }: { node: unknown; line: number },
  doc: Document,
  lineOf: LineOf,
  rules: TaskRules,
): { spec: JobSpec } | { problems: Problem[] } {
  const map = resolve(node, doc);
  if (!isMap(map)) return { problems: [{ line, message: 'expected its fields, such as type: cron' }] };
  const input: TaskInput = { name };
  const run: RunFields = {};
  const problems: Problem[] = [];
  for (const field of fieldsOf(map, doc, lineOf, problems)) {
    try {
      readField(field, doc, input, run);
    } catch (err) {
      problems.push({ line: field.line, message: messageOf(err) });
    }
  }
  if (problems.length > 0) return { problems };
  if (input.type === undefined)
    return { problems: [{ line, message: 'type is missing; give type: cron or type: ticker' }] };
  try {
    return { spec: { ...parseTaskSpec(input, rules), ...run, name } };
  } catch (err) {
    return { problems: [{ line, message: messageOf(err) }] };
  }
}

/**
 * The map's fields; a merge key (`<<: *defaults`) gives the fields not written out. A field
 * given twice, or a merge of something else than maps, is a problem on its line.
 */
function fieldsOf(map: YAMLMap, doc: Document, lineOf: LineOf, problems: Problem[]): Field[] {
  const own: Field[] = [];
  const merged: Field[] = [];
  for (const pair of map.items) {
    const line = lineOf(pair.key);
    if (isScalar(pair.key) && typeof pair.key.value === 'symbol') {
      const value = resolve(pair.value, doc);
      const sources = isSeq(value) ? value.items.map((i) => resolve(i, doc)) : [value];
      for (const source of sources) {
        if (isMap(source)) merged.push(...fieldsOf(source, doc, lineOf, problems));
        else problems.push({ line, message: 'a merge key (<<) takes a map, such as <<: *defaults' });
      }
      continue;
    }
    try {
      const key = textOf(pair.key, 'a field name');
      if (own.some((f) => f.key === key)) throw usageError(`field ${key.slice(0, 40)} is given twice`);
      own.push({ key, value: pair.value, line });
    } catch (err) {
      problems.push({ line, message: messageOf(err) });
    }
  }
  const written = new Set(own.map((f) => f.key));
  return [...own, ...merged.filter((f) => !written.has(f.key))];
}

function readField(field: Field, doc: Document, input: TaskInput, run: RunFields): void {
  const { key, value } = field;
  if (isInputField(key)) {
    const text = textOf(resolve(value, doc), key);
    ALONE[key]?.(text);
    if (key === 'type' && text === 'timer')
      throw usageError('type timer is not declared state; add a one-shot timer with `ktimer add`');
    input[key] = text;
    return;
  }
  if (key === 'name') throw usageError("name is the task's key under tasks:, not a field");
  if (key === 'on') run.on = parseLabels(listOf(resolve(value, doc), doc));
  else if (key === 'env') run.env = parseEnv(entriesOf(resolve(value, doc), doc));
  else if (key === 'cwd') run.cwd = parseCwd(textOf(resolve(value, doc), key));
  else if (key === 'user') run.user = parseUser(textOf(resolve(value, doc), key));
  else if (key === 'output_max') run.output_max = parseOutputMax(textOf(resolve(value, doc), key));
  else if (key === 'notify') {
    if (parseNotify(textOf(resolve(value, doc), key)) === 'off') run.notify = 'off';
  } else throw usageError(`unknown field "${key.slice(0, 40)}"; expected ${FILE_FIELDS.join(', ')}`);
}

const isInputField = (key: string): key is Exclude<keyof TaskInput, 'name'> =>
  (INPUT_FIELDS as readonly string[]).includes(key);

/** An alias stands for the node it names. */
export function resolve(node: unknown, doc: Document): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

/**
 * A scalar as the text it was written as (a quoted one: its value). YAML's plain numbers and
 * booleans keep their spelling, so `010` stays "010" and a JSON file's 300 is "300".
 */
export function textOf(node: unknown, what: string): string {
  if (!isScalar(node) || node.value === null)
    throw usageError(`${what} ${node == null || isScalar(node) ? 'has no value' : 'must be a single value'}`);
  const { value } = node;
  if (typeof value === 'string') return value;
  if (node.type === 'PLAIN' && typeof node.source === 'string') return node.source;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw usageError(`${what} must be a single value`);
}

/** `on: [db, eu]` or `on: db,eu`. */
function listOf(node: unknown, doc: Document): string | string[] {
  if (isSeq(node)) return node.items.map((item) => textOf(resolve(item, doc), 'a label'));
  return textOf(node, 'on');
}

/** `env:` is a map of names to values. */
function entriesOf(node: unknown, doc: Document): [string, string][] {
  if (!isMap(node)) throw usageError('env must be a map of names to values, such as env: {LANG: C.UTF-8}');
  return node.items.map((pair) => {
    const name = textOf(pair.key, 'an env name');
    return [name, textOf(resolve(pair.value, doc), `env ${name}`)];
  });
}
