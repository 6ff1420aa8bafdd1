// Go-style options (`-type=timer`, as the original ktimer and its notes use) rewritten to the
// GNU form commander reads (`--type=timer`). Single-letter flags (-d, -h) are left alone.

/** Options that take a value: the word after `--name` is that value, never rewritten. */
export const VALUE_OPTIONS = new Set([
  'type',
  'time',
  'limit',
  'command',
  'kid',
  'key',
  'starttime',
  'endtime',
  'offset',
  'count',
  'config',
  'file',
  'unit-dir',
]);

const GO_STYLE = /^-([a-zA-Z][a-zA-Z0-9_-]+)(=[\s\S]*)?$/;
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
