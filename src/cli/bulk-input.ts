// `ktimer add --file FILE` (or `-` for stdin): one JSON task per line, each checked by the same
// rules as `add`; every bad line is reported with its line number and nothing is stored. A name
// given on two lines is a bad line: names are unique.
import { readFileSync } from 'node:fs';
import { KtimerError, messageOf } from '../errors.js';
import type { TaskSpec } from '../tasks/task.js';
import { INPUT_FIELDS, parseTaskSpec, type TaskInput, type TaskRules } from '../tasks/task-rules.js';

const FIELDS: ReadonlySet<string> = new Set(INPUT_FIELDS);
const MAX_REPORTED = 20;

export function readBulkFile(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    throw new KtimerError(
      'usage',
      `cannot read ${path === '-' ? 'stdin' : path}: ${(err as NodeJS.ErrnoException).code ?? messageOf(err)}`,
    );
  }
}

/**
 * The task specs of a JSON-lines text, and the lines that gave no command (they run the default
 * of conf.ini); throws one usage error listing the bad lines.
 */
export function parseBulk(
  text: string,
  name: string,
  rules: TaskRules,
): { specs: TaskSpec[]; noCommand: number[] } {
  const specs: TaskSpec[] = [];
  const noCommand: number[] = [];
  const bad: string[] = [];
  /** Line number of each name. */
  const named = new Map<string, number>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    try {
      const input = lineInput(line);
      const spec = parseTaskSpec(input, rules);
      if (input.command === undefined) noCommand.push(index + 1);
      if (spec.name !== undefined) {
        const first = named.get(spec.name);
        if (first !== undefined) throw new Error(`name "${spec.name}" is on line ${first} already`);
        named.set(spec.name, index + 1);
      }
      specs.push(spec);
    } catch (err) {
      bad.push(`${name}:${index + 1}: ${messageOf(err)}`);
    }
  });
  if (bad.length > 0) {
    const shown = bad.slice(0, MAX_REPORTED);
    const more = bad.length > shown.length ? `; and ${bad.length - shown.length} more` : '';
    throw new KtimerError('usage', `${bad.length} bad line(s), nothing added: ${shown.join('; ')}${more}`);
  }
  if (specs.length === 0) throw new KtimerError('usage', `${name} holds no tasks (one JSON object per line)`);
  return { specs, noCommand };
}

function lineInput(line: string): TaskInput {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error('not a JSON object, such as {"type":"timer","time":10,"command":"date"}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('not a JSON object, such as {"type":"timer","time":10,"command":"date"}');
  }
  const input: Record<string, string | string[]> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (!FIELDS.has(key))
      throw new Error(`unknown field "${key.slice(0, 40)}"; expected ${INPUT_FIELDS.join(', ')}`);
    if (key === 'env') input.env = envAssignments(v);
    else if (key === 'on' && Array.isArray(v) && v.every((l) => typeof l === 'string')) input.on = v;
    else if (typeof v === 'string' || typeof v === 'number') input[key] = String(v);
    else throw new Error(`field ${key} must be a string or a number`);
  }
  return input;
}

/** `"env": {"NAME": "value"}` (or a list of NAME=VALUE) as the assignments `-env` takes. */
function envAssignments(v: unknown): string[] {
  if (Array.isArray(v) && v.every((a) => typeof a === 'string')) return v;
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.every(([, x]) => typeof x === 'string')) return entries.map(([k, x]) => `${k}=${String(x)}`);
  }
  throw new Error('field env must map names to string values, such as {"LANG":"C.UTF-8"}');
}
