// [task] env_file: a file of NAME=VALUE lines whose variables every shell task gets
// (docs/running-tasks.md "The environment"). The format, close to systemd's EnvironmentFile= (and
// a file a shell can source); nothing is expanded ($HOME stays $HOME):
//   NAME=VALUE          the value as written, less the spaces around it
//   NAME="a \"b\"\n"    double quotes: \" \\ \n \t \$ are escapes, the rest is as written
//   NAME='a b'          single quotes: exactly as written
//   export NAME=VALUE   `export ` is allowed (a file a shell can source too)
//   # comment           on a line of its own; blank lines are skipped
// A later line for a name replaces an earlier one. Anything else is an error naming the file and
// line: nothing of a bad file is used.
import { readFileSync } from 'node:fs';
import { KtimerError } from '../errors.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', $: '$' };

/** A double-quoted value from just after its opening quote: the value and what follows its end. */
function doubleQuoted(text: string, where: string): { value: string; rest: string } {
  let value = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === '"') return { value, rest: text.slice(i + 1) };
    if (c !== '\\') {
      value += c;
      continue;
    }
    const next = text[++i] ?? '';
    const escaped = ESCAPES[next];
    if (escaped === undefined)
      throw new KtimerError('config', `${where}: unknown escape \\${next} in a double-quoted value`);
    value += escaped;
  }
  throw new KtimerError('config', `${where}: the double quote is not closed on this line`);
}

/** The value after `NAME=`: unquoted, or in quotes (then only spaces may follow). */
function valueOf(raw: string, where: string): string {
  const text = raw.trim();
  const quote = text[0];
  if (quote !== '"' && quote !== "'") return text;
  let parsed: { value: string; rest: string };
  if (quote === '"') parsed = doubleQuoted(text.slice(1), where);
  else {
    const end = text.indexOf("'", 1);
    if (end < 0) throw new KtimerError('config', `${where}: the single quote is not closed on this line`);
    parsed = { value: text.slice(1, end), rest: text.slice(end + 1) };
  }
  if (parsed.rest.trim() !== '')
    throw new KtimerError('config', `${where}: text after the closing quote; quote the whole value`);
  return parsed.value;
}

/** The variables of an env file's text; `file` names it in errors. */
export function parseEnvFile(text: string, file: string): Record<string, string> {
  const vars: Record<string, string> = {};
  text.split('\n').forEach((rawLine, i) => {
    const where = `${file}:${i + 1}`;
    const line = rawLine.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const assignment = line.replace(/^export\s+/, '');
    const eq = assignment.indexOf('=');
    if (eq < 0) throw new KtimerError('config', `${where}: expected NAME=VALUE, got "${line.slice(0, 40)}"`);
    const name = assignment.slice(0, eq).trim();
    if (!NAME.test(name))
      throw new KtimerError(
        'config',
        `${where}: "${name}" is not a variable name (letters, digits, _; not first a digit)`,
      );
    const value = valueOf(assignment.slice(eq + 1), where);
    if (value.includes('\0')) throw new KtimerError('config', `${where}: ${name}'s value holds a NUL byte`);
    vars[name] = value;
  });
  return vars;
}

/** Reads and parses an env file; an unreadable one is a config error saying what to do. */
export function readEnvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new KtimerError(
      'config',
      `cannot read env_file ${file} (${code}); fix the path in [task] env_file, or check its permissions`,
      { cause: err },
    );
  }
  return parseEnvFile(text, file);
}
