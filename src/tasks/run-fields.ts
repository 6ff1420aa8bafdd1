// Issue 24's task fields, as pure rules: where a task runs (`on`), and how (`cwd`, `env`, `user`,
// `output_max`, `notify`). One parser each, for every front end: a command line gives strings,
// an apply file gives data (a list, a map), so each takes either. Stored only when given, and
// `notify` only when off. Whether a user exists is a question for the machine, asked by the caller.
import { usageError } from '../errors.js';
import { oneLine } from '../text.js';

export interface RunFields {
  /** Labels a daemon must hold, all of them, to fire the task: sorted, each once. */
  on?: string[];
  /** The directory the command starts in (absolute). */
  cwd?: string;
  /** Variables set over the default environment. */
  env?: Record<string, string>;
  /** Run as this user (and their groups), by a daemon running as root. */
  user?: string;
  /** Bytes of stdout, and of stderr, kept of each run. */
  output_max?: number;
  /** Failure and recovery alerts: stored only when `off`. */
  notify?: 'off';
}

export const RUN_FIELDS = ['on', 'cwd', 'env', 'user', 'output_max', 'notify'] as const;
export type RunField = (typeof RUN_FIELDS)[number];

export const MAX_LABELS = 16;
export const MAX_LABEL_CHARS = 64;
/** `host:<name>` is every daemon's own label, so a label may hold a colon. */
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
export const LABEL_RULE = `a letter or digit, then letters, digits, . _ : or - (at most ${MAX_LABEL_CHARS} characters)`;

export const MAX_ENV_VARS = 100;
export const MAX_ENV_VALUE_CHARS = 4096;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const MAX_PATH_CHARS = 4096;
/** A POSIX user name as useradd takes it (a trailing `$` for machine accounts). */
const USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/;

const KIB = 1024;
const MIB = 1024 * 1024;
export const MAX_OUTPUT_BYTES = 16 * MIB;
const SIZE = /^(\d{1,9})([kKmM]?)$/;

/** `-on=db,eu` or a file's `on: [db, eu]`: the labels, sorted and each once. */
export function parseLabels(value: string | readonly string[]): string[] {
  const words = typeof value === 'string' ? value.split(',') : value;
  const labels = [...new Set(words.map((w) => w.trim()))].sort();
  if (labels.length === 0 || labels.includes(''))
    throw usageError(`on "${clip(String(value))}" has an empty label; expected labels such as db,eu`);
  if (labels.length > MAX_LABELS)
    throw usageError(`on has ${labels.length} labels; at most ${MAX_LABELS} are allowed`);
  for (const label of labels)
    if (label.length > MAX_LABEL_CHARS || !LABEL.test(label))
      throw usageError(`label "${clip(label)}" is invalid; expected ${LABEL_RULE}`);
  return labels;
}

/** `-cwd=DIR`: an absolute path (a daemon's own working directory is no place to count from). */
export function parseCwd(value: string): string {
  if (!value.startsWith('/'))
    throw usageError(`cwd "${clip(value)}" is not an absolute path; give one that starts with /`);
  checkText('cwd', value, MAX_PATH_CHARS);
  return value;
}

/** `-env=NAME=VALUE`, one of them. */
export function parseEnvAssignment(text: string): [string, string] {
  const at = text.indexOf('=');
  if (at < 1) throw usageError(`env "${clip(text)}" is invalid; expected NAME=VALUE`);
  return [checkEnvName(text.slice(0, at)), checkEnvValue(text.slice(0, at), text.slice(at + 1))];
}

/** A file's `env:` map, or the `-env` assignments gathered: checked, keys sorted. */
export function parseEnv(entries: Iterable<readonly [string, string]>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of entries) {
    checkEnvName(name);
    if (Object.hasOwn(env, name)) throw usageError(`env ${name} is given twice`);
    env[name] = checkEnvValue(name, value);
  }
  const names = Object.keys(env).sort();
  if (names.length > MAX_ENV_VARS)
    throw usageError(`env has ${names.length} variables; at most ${MAX_ENV_VARS} are allowed`);
  return Object.fromEntries(names.map((n) => [n, env[n] as string]));
}

function checkEnvName(name: string): string {
  if (!ENV_NAME.test(name))
    throw usageError(
      `env name "${clip(name)}" is invalid; expected a letter or _, then letters, digits or _`,
    );
  return name;
}

function checkEnvValue(name: string, value: string): string {
  checkText(`env ${name}`, value, MAX_ENV_VALUE_CHARS);
  return value;
}

/** `-user=NAME`: its syntax; whether the user exists is for the caller to ask the machine. */
export function parseUser(value: string): string {
  if (!USER.test(value))
    throw usageError(
      `user "${clip(value)}" is invalid; expected a user name such as backup (letters, digits, _ . -)`,
    );
  return value;
}

/** `-output_max`: bytes, or `8k` / `1M` (KiB, MiB), up to MAX_OUTPUT_BYTES. */
export function parseOutputMax(value: string): number {
  const m = SIZE.exec(value.trim());
  const unit = m?.[2]?.toLowerCase();
  const bytes = m ? Number(m[1]) * (unit === 'k' ? KIB : unit === 'm' ? MIB : 1) : Number.NaN;
  if (!(bytes <= MAX_OUTPUT_BYTES))
    throw usageError(
      `output_max "${clip(value)}" is invalid; expected bytes, or a size such as 8k or 1M, at most 16M`,
    );
  return bytes;
}

/** Bytes as an output_max is best written: `8k`, `1M`, or the bytes. */
export function formatOutputMax(bytes: number): string | number {
  if (bytes > 0 && bytes % MIB === 0) return `${bytes / MIB}M`;
  if (bytes > 0 && bytes % KIB === 0) return `${bytes / KIB}k`;
  return bytes;
}

/** `-notify=on|off`: whether the task's failures and recoveries are alerted. */
export function parseNotify(value: string): 'on' | 'off' {
  const word = value.trim().toLowerCase();
  if (word === 'on' || word === 'true') return 'on';
  if (word === 'off' || word === 'false') return 'off';
  throw usageError(`notify "${clip(value)}" is invalid; expected on or off`);
}

function checkText(what: string, value: string, max: number): void {
  if (value.includes('\0')) throw usageError(`${what} contains a NUL byte`);
  if (value.length > max)
    throw usageError(`${what} is ${value.length} characters long; at most ${max} are allowed`);
}

const clip = (value: string): string => oneLine(value, 43);

/**
 * The run fields of a stored task, read into `into`: the name of the first malformed one, or
 * null. Shapes only: what was stored passed the parsers above.
 */
export function readRunFields(v: Record<string, unknown>, into: RunFields): RunField | null {
  const { on, cwd, env, user, output_max: outputMax, notify } = v;
  if (on !== undefined) {
    if (!Array.isArray(on) || !on.every((l) => typeof l === 'string')) return 'on';
    into.on = on;
  }
  if (cwd !== undefined) {
    if (typeof cwd !== 'string') return 'cwd';
    into.cwd = cwd;
  }
  if (env !== undefined) {
    if (!isStringMap(env)) return 'env';
    into.env = env;
  }
  if (user !== undefined) {
    if (typeof user !== 'string') return 'user';
    into.user = user;
  }
  if (outputMax !== undefined) {
    if (!Number.isSafeInteger(outputMax) || (outputMax as number) < 0) return 'output_max';
    into.output_max = outputMax as number;
  }
  if (notify !== undefined) {
    if (notify !== 'off') return 'notify';
    into.notify = notify;
  }
  return null;
}

function isStringMap(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((x) => typeof x === 'string')
  );
}
