// Task names for imported crontab lines, from their commands (lower case): the program that does the work,
// past `cd DIR &&`, `test -x FILE ||`, `nice`, `timeout 60` and the like, and for an interpreter
// or a runner its script (`php-artisan`, `run-parts-cron.daily`, `curl-hc-ping.com`). Unique:
// a name taken already gets the first argument, then -2, -3 ...
import { isTaskName, MAX_NAME_CHARS } from '../tasks/task-name.js';

/** Segments that only guard or prepare the one that does the work. */
const PREPARES = new Set([
  'cd',
  'test',
  '[',
  '[[',
  'true',
  ':',
  'export',
  'set',
  'umask',
  'source',
  '.',
  'sleep',
  'read',
  'fi',
  'done',
  'esac',
]);
/** Programs that feed the one that does the work (`echo hi | mail root` is mail's). */
const FEEDERS = new Set(['echo', 'printf', 'cat']);
/** Shell words before a command: `if [ -x F ]; then F; fi` is F's. */
const KEYWORDS = ['if', 'then', 'else', 'elif', 'while', 'until', 'do'];
/** Programs that run the next word as the command (their options and numbers skipped). */
const WRAPPERS = new Set([
  ...KEYWORDS,
  'exec',
  'nice',
  'ionice',
  'nohup',
  'sudo',
  'env',
  'time',
  'timeout',
  'chronic',
  'flock',
  'setlock',
  'cronic',
  'run-one',
  'su',
  'runuser',
]);
/** Programs whose first argument says what runs. */
const RUNNERS = new Set([
  'sh',
  'bash',
  'zsh',
  'python',
  'python2',
  'python3',
  'perl',
  'ruby',
  'node',
  'php',
  'java',
  'run-parts',
  'make',
  'npm',
  'docker',
  'systemctl',
  'curl',
  'wget',
  'psql',
  'mysql',
  'pg_dump',
  'mysqldump',
  'find',
]);

/** The words of the segment that does the work: its program first. */
export function commandWords(command: string): string[] {
  const segments = command
    .split(/&&|\|\||[;|&\n]/)
    .map((segment) => skipWrappers(words(segment)))
    .filter((rest) => rest[0] !== undefined && !PREPARES.has(base(rest[0])));
  return segments.find((rest) => !FEEDERS.has(base(rest[0] ?? ''))) ?? segments[0] ?? [];
}

/** A name for a command: its program, and for a runner the first argument too. */
export function nameFor(command: string): { name: string; more: string | null } {
  const [program, ...args] = commandWords(command);
  if (program === undefined) return { name: 'job', more: null };
  const arg = args.find(isUrl) ?? args.find((a) => !a.startsWith('-') && argName(a) !== null);
  const more = arg === undefined ? null : argName(arg);
  const name = base(program);
  return RUNNERS.has(name) && more !== null ? { name: `${name}-${more}`, more: null } : { name, more };
}

/** Names handed out, so each is unique. */
export class NameBook {
  private readonly taken = new Set<string>();

  name(command: string): string {
    const { name, more } = nameFor(command);
    const first = clean(name);
    if (!this.taken.has(first)) return this.take(first);
    const longer = more === null ? first : clean(`${name}-${more}`);
    if (!this.taken.has(longer)) return this.take(longer);
    for (let n = 2; ; n++) {
      const numbered = `${longer.slice(0, MAX_NAME_CHARS - 1 - String(n).length)}-${n}`;
      if (!this.taken.has(numbered)) return this.take(numbered);
    }
  }

  private take(name: string): string {
    this.taken.add(name);
    return name;
  }
}

/** Letters, digits, `. _ -` only, starting with a letter, short enough to read. */
export function clean(raw: string): string {
  const name = raw
    .toLowerCase()
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^A-Za-z]+/, '')
    .slice(0, 40)
    .replace(/[-._]+$/, '');
  return isTaskName(name) ? name : `job-${name}`.slice(0, 40).replace(/[-._]+$/, '');
}

/** A segment's words: quotes dropped, redirections and their targets left out. */
function words(segment: string): string[] {
  const out: string[] = [];
  const tokens = segment.replace(/["']/g, '').trim().split(/\s+/).filter(Boolean);
  for (let i = 0; i < tokens.length; i++) {
    const token = (tokens[i] as string).replace(/^[({!]+|[)}]+$/g, '');
    if (/^\d*[<>]/.test(token)) {
      // `> file` takes the next word; `>file`, `2>&1` are whole.
      if (/^\d*[<>]+&?$/.test(token)) i++;
      continue;
    }
    if (token !== '') out.push(token);
  }
  return out;
}

/** The words after env assignments and wrappers (with their options, numbers and lock files). */
function skipWrappers(segment: string[]): string[] {
  let i = 0;
  while (i < segment.length) {
    const word = segment[i] as string;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) i++;
    else if (WRAPPERS.has(base(word))) {
      i++;
      while (i < segment.length && /^(-|\d+[smhd]?$)/.test(segment[i] as string)) i++;
      if (['flock', 'setlock'].includes(base(word)) && i < segment.length - 1) i++;
    } else break;
  }
  return segment.slice(i);
}

const base = (path: string): string => path.replace(/\/+$/, '').split('/').pop() ?? path;

/** What an argument says: a URL's host, a path's last part. */
function argName(arg: string): string | null {
  if (isUrl(arg)) {
    try {
      return new URL(arg).hostname;
    } catch {
      return null;
    }
  }
  const name = base(arg);
  return /[A-Za-z]/.test(name) ? name : null;
}

const isUrl = (arg: string): boolean => /^https?:\/\//i.test(arg);
