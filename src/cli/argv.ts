// Go-style options (`-type=timer`, as the original ktimer and its notes use) rewritten to the
// GNU form commander reads (`--type=timer`). Single-letter flags (-d, -h) are left alone; one
// with a value (`-n=5`) becomes `-n 5`.
// Also what to do with stray words, the words no command takes.
import { existsSync } from 'node:fs';
import { usageError } from '../errors.js';
import { INPUT_FIELDS } from '../tasks/task-rules.js';

/**
 * Options that take a value: the word after `--name` is that value, never rewritten. The task
 * fields (INPUT_FIELDS) and every other option declared `<value>` in program.ts; the
 * argv test checks this set against the program.
 */
export const VALUE_OPTIONS: ReadonlySet<string> = new Set<string>([
  ...INPUT_FIELDS,
  'kid',
  'key',
  'starttime',
  'endtime',
  'offset',
  'count',
  'cursor',
  'config',
  'file',
  'unit-dir',
  'reason',
  'to',
  'from',
  'until',
  'since',
  'format',
  'run-as',
]);

const GO_STYLE = /^-([a-zA-Z][a-zA-Z0-9_-]+)(=[\s\S]*)?$/;
/** `-n=5`: a single letter with a value, which commander would read as "=5". */
const SHORT_VALUE = /^-([a-zA-Z])=([\s\S]*)$/;
const GNU_NAME = /^--([a-zA-Z][a-zA-Z0-9_-]*)$/;

export function normalizeArgv(args: readonly string[]): string[] {
  const out: string[] = [];
  let takesValue = false;
  let afterDoubleDash = false;
  for (const arg of args) {
    if (takesValue || afterDoubleDash) {
      out.push(arg);
      takesValue = false;
      continue;
    }
    if (arg === '--') {
      afterDoubleDash = true;
      out.push(arg);
      continue;
    }
    const short = SHORT_VALUE.exec(arg);
    if (short) {
      out.push(`-${short[1]}`, short[2] as string);
      continue;
    }
    const go = GO_STYLE.exec(arg);
    const rewritten = go ? `--${go[1]}${go[2] ?? ''}` : arg;
    const name = GNU_NAME.exec(rewritten)?.[1];
    takesValue = name !== undefined && VALUE_OPTIONS.has(name.toLowerCase());
    out.push(rewritten);
  }
  return out;
}

/** A word that is neither an option nor an expected argument: ignored, with a warning. */
export function warnStray(words: readonly string[]): void {
  for (const word of words) {
    process.stderr.write(`ktimer: warning: ignoring stray argument ${JSON.stringify(word)}\n`);
  }
}

/**
 * Stray words of any command: warned about, except right after a -command of one word, where
 * they are almost always the rest of an unquoted command (`-command=echo hi there`): storing
 * `echo` would be wrong, so that is a usage error showing the quoted form. After a command that
 * holds a space, it was quoted, and the words are stray as in the original notes
 * (`-command="date --rfc-3339=ns" abc="x*y=z" efg`). The same after a -cron whose field count is
 * wrong: the rest of an unquoted expression, its `*` turned into file names by the shell.
 */
export function checkStray(
  argv: readonly string[],
  stray: readonly string[],
  opts: { command?: unknown; cron?: unknown },
): void {
  if (stray.length === 0) return;
  const { command, cron } = opts;
  if (typeof command === 'string' && !/\s/.test(command)) {
    const rest = wordsAfter(argv, 'command');
    if (rest.length > 0 && rest[0] === stray[0]) {
      throw usageError(
        `stray words after -command (${rest.map((w) => JSON.stringify(w)).join(' ')}); ` +
          `quote the command: -command=${JSON.stringify([command, ...rest].join(' '))}`,
      );
    }
  }
  if (typeof cron === 'string' && !cronFieldsFit(cron)) {
    const rest = wordsAfter(argv, 'cron');
    if (rest.length > 0 && rest[0] === stray[0]) throw unquotedCron(cron, rest);
  }
  warnStray(stray);
}

/** 5 or 6 fields, or a nickname (@daily): what a quoted expression has. */
const cronFieldsFit = (cron: string): boolean => {
  const fields = cron.trim().split(/\s+/);
  return cron.trim().startsWith('@') || fields.length === 5 || fields.length === 6;
};

function unquotedCron(cron: string, rest: readonly string[]) {
  const files = rest.filter((w) => existsSync(w));
  const shown = files.slice(0, 3).map((w) => JSON.stringify(w));
  const expanded =
    files.length > 0
      ? `; the shell put file names in it (${shown.join(', ')}${files.length > 3 ? ', ...' : ''}): each * of an unquoted expression`
      : '';
  const n = cron.trim().split(/\s+/).length;
  return usageError(
    `-cron "${cron}" has ${n} field${n === 1 ? '' : 's'} and words follow it${expanded}; ` +
      'quote the expression: -cron="*/5 * * * *"',
  );
}

/** The words that follow the value of the last --NAME, up to the next option. */
function wordsAfter(argv: readonly string[], name: string): string[] {
  let next = -1;
  argv.forEach((arg, i) => {
    if (arg.startsWith(`--${name}=`)) next = i + 1;
    else if (arg === `--${name}`) next = i + 2;
  });
  if (next < 0) return [];
  const words: string[] = [];
  for (const arg of argv.slice(next)) {
    if (arg.startsWith('-')) break;
    words.push(arg);
  }
  return words;
}
