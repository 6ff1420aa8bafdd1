// crontab(5) lines read as cron reads them (cronie's entry.c and env.c, from Vixie cron): a
// variable (`NAME = value`, either side optionally quoted), a job (`@nickname` or five time
// fields, then, in a system crontab, a user, then the command to the end of the line), a
// comment, or a blank. Only the reading: what the importer makes of them is crontab-import.ts's.

export type CrontabLine =
  | { kind: 'blank' }
  | { kind: 'comment'; body: string }
  | { kind: 'env'; name: string; value: string }
  | CrontabJob
  | { kind: 'bad'; why: string };

export interface CrontabJob {
  kind: 'job';
  /** `@daily` and the like, without the @. */
  nickname?: string;
  /** minute hour day-of-month month day-of-week. */
  fields?: [string, string, string, string, string];
  /** What follows the time fields: the user (system crontab) and the command. */
  rest: string;
  /** A leading `-` (cronie: no syslog line for its runs). */
  quiet: boolean;
}

export function readCrontabLine(raw: string): CrontabLine {
  const line = raw.replace(/\r$/, '');
  const text = line.trimStart();
  if (text === '') return { kind: 'blank' };
  if (text.startsWith('#')) return { kind: 'comment', body: text.slice(1).trim() };
  const env = envAssignment(text);
  if (env) return { kind: 'env', ...env };
  return jobLine(text);
}

/** A job line, or why cron refuses it. */
function jobLine(text: string): CrontabJob | { kind: 'bad'; why: string } {
  const quiet = text.startsWith('-');
  const body = quiet ? text.slice(1) : text;
  if (body.startsWith('@')) {
    const m = /^@(\S*)\s*([^]*)$/.exec(body);
    return { kind: 'job', nickname: m?.[1] ?? '', rest: m?.[2] ?? '', quiet };
  }
  const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+([^]*))?$/.exec(body);
  if (!m)
    return { kind: 'bad', why: 'neither a variable (NAME=value) nor a job (five time fields and a command)' };
  const fields = m.slice(1, 6) as [string, string, string, string, string];
  return { kind: 'job', fields, rest: m[6] ?? '', quiet };
}

type EnvState = 'name' | 'eq1' | 'eq2' | 'value' | 'fini' | 'error';

/**
 * `NAME=value` as cronie's load_env reads it: the name ends at a blank or `=` (or its closing
 * quote), the value runs to the end of the line (blanks at its end dropped) or to its closing
 * quote (nothing but blanks may follow). `NAME=` with nothing after it is no variable to cron.
 */
export function envAssignment(text: string): { name: string; value: string } | null {
  let state: EnvState = 'name';
  let quote = '';
  let name = '';
  let value = '';
  let i = 0;
  if (text[0] === '"' || text[0] === "'") quote = text[i++] as string;
  for (; i < text.length && state !== 'error'; i++) {
    const ch = text[i] as string;
    const blank = /\s/.test(ch);
    if (state === 'name') {
      if (quote ? ch === quote : blank) state = 'eq1';
      else if (ch === '=') {
        state = quote ? 'error' : 'eq2';
      } else name += ch;
    } else if (state === 'eq1') {
      if (ch === '=') state = 'eq2';
      else if (!blank) state = 'error';
    } else if (state === 'eq2') {
      if (blank) continue;
      state = 'value';
      quote = ch === '"' || ch === "'" ? ch : '';
      if (!quote) value += ch;
    } else if (state === 'value') {
      if (quote && ch === quote) state = 'fini';
      else value += ch;
    } else if (!blank) state = 'error';
  }
  if (state === 'fini') return { name, value };
  if (state === 'value' && !quote) return { name, value: value.trimEnd() };
  return null;
}
