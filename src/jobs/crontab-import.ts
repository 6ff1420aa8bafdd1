// `ktimer import crontab`: crontab(5) text made into an apply declaration, and a report for
// every line that is not carried over as it was. Nothing is dropped silently.
//
// - Five fields become ktimer's six (seconds first: `0 m h dom mon dow`); cron's rule for a day
//   of the month and of the week both restricted (either matches) is croner's; where one of them
//   starts with `*` (`*/2`), cron wants both, which croner is told with `+` on the weekday.
// - @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually: their six fields;
//   @reboot is reported, with what to do instead.
// - `NAME=value` lines: the env of the tasks after them. SHELL is honoured (crontab-command.ts),
//   PATH is a variable like any other, CRON_TZ (cronie) is the tasks' zone, MAILTO their alert
//   (see `MailtoGroup`; `MAILTO=""` turns their alerts off), RANDOM_DELAY is reported.
// - `%`: crontab-command.ts. A system crontab (--system, /etc/crontab, /etc/cron.d/*, or a
//   file that says so) has a user field: the task's `user`.
import { messageOf } from '../errors.js';
import { checkCron, checkZone } from '../tasks/cron.js';
import { parseEnv, parseUser } from '../tasks/run-fields.js';
import { parseGroup } from '../tasks/task-group.js';
import { parseCommand } from '../tasks/task-rules.js';
import { oneLine } from '../text.js';
import { hasHereDocument, shellCommand, splitPercent } from './crontab-command.js';
import { readCrontabLine, type CrontabJob } from './crontab-lines.js';
import { NameBook } from './crontab-names.js';
import { applyFileText, type FileFormat } from './export.js';
import type { Declaration, JobSpec } from './job.js';
import { jobFields } from './job-fields.js';

export interface CrontabOptions {
  /** The group of the tasks made (default `crontab`). */
  group?: string;
  /** The file has a user field after the time fields, as /etc/crontab does. */
  system?: boolean;
  /** Where the text came from (a path, or `-`): /etc/crontab and /etc/cron.d/* are system crontabs. */
  source?: string;
}

/** A line not carried over as it was: what happened, and what to do about it. */
export interface CrontabReport {
  line: number;
  what: string;
  todo: string;
  /** Whether the line's task (or variable) is in the declaration all the same. */
  imported: boolean;
}

/**
 * A MAILTO and the tasks it applies to: cron mailed their output there. ktimer alerts on
 * failure through [notify] (issue 24's on_failure_command); these tasks carry MAILTO in their
 * env, so that command can send each alert where cron sent the mail.
 */
export interface MailtoGroup {
  address: string;
  line: number;
  tasks: { name: string; line: number }[];
}

export interface CrontabImport {
  declaration: Declaration;
  /** The crontab line each task came from, by task name. */
  sources: Map<string, string>;
  reports: CrontabReport[];
  mailto: MailtoGroup[];
  /** Read as a system crontab (a user field). */
  system: boolean;
}

const NICKNAMES: Record<string, string> = {
  hourly: '0 0 * * * *',
  daily: '0 0 0 * * *',
  midnight: '0 0 0 * * *',
  weekly: '0 0 0 * * 0',
  monthly: '0 0 0 1 * *',
  yearly: '0 0 0 1 1 *',
  annually: '0 0 0 1 1 *',
};

/** cron's own settings, not the command's: reported, kept in env (cron keeps them there too). */
const MAIL_SETTINGS = new Set(['MAILFROM', 'CONTENT_TYPE', 'CONTENT_TRANSFER_ENCODING']);
const BASH = /^(?:\/usr)?\/bin\/bash$/;
const SH = /^(?:\/usr)?\/bin\/sh$/;

/** What the lines read so far set for the jobs after them. */
interface Context {
  env: Map<string, string>;
  tz?: string;
  shell?: string;
  mailto?: MailtoGroup;
}

export function importCrontab(text: string, options: CrontabOptions = {}): CrontabImport {
  const group = parseGroup(options.group ?? 'crontab');
  const lines = text.split('\n');
  const result: CrontabImport = {
    declaration: { group, jobs: [] },
    sources: new Map(),
    reports: [],
    mailto: [],
    system: false,
  };
  const systemAt = options.system ? 0 : systemMark(lines, options.source);
  result.system = options.system === true || systemAt !== null;
  if (!options.system && systemAt !== null)
    result.reports.push({
      line: systemAt,
      what: 'read as a system crontab, each job with a user field after its time fields',
      todo: 'the user becomes the task\'s user; a user crontab says so with no "user" column in its header',
      imported: true,
    });
  const context: Context = { env: new Map() };
  const names = new NameBook();
  lines.forEach((raw, index) => {
    const line = index + 1;
    const read = readCrontabLine(raw);
    // Comments (jobs commented out too) are not carried over: cron does not run them either.
    if (read.kind === 'env') setVariable(result, context, read.name, read.value, line);
    else if (read.kind === 'bad') result.reports.push(badLine(raw, line, read.why));
    else if (read.kind === 'job') addJob(result, context, names, read, { line, raw });
  });
  return result;
}

/** Where the text says it is a system crontab: line 0 for its path, else the comment's line. */
function systemMark(lines: readonly string[], source: string | undefined): number | null {
  if (source !== undefined && /^\/etc\/(?:crontab$|cron\.d\/)/.test(source)) return 0;
  const at = lines.findIndex((l) => /^\s*#.*(?:\bdow\s+user\b|system-wide crontab)/i.test(l));
  return at === -1 ? null : at + 1;
}

function badLine(raw: string, line: number, why: string): CrontabReport {
  if (/^\s*[^\s=]+\s*=\s*$/.test(raw))
    return notImported(
      line,
      'a variable with no value, which cron does not read as one',
      'write NAME="" for an empty value',
    );
  return notImported(line, why, 'write it as a job or a variable');
}

const notImported = (line: number, what: string, todo: string): CrontabReport => ({
  line,
  what: `not imported: ${what}`,
  todo,
  imported: false,
});

/** The six-field expression of a job line, or null when cron would not read it. */
function schedule(job: CrontabJob): string | null {
  if (job.nickname !== undefined) return NICKNAMES[job.nickname] ?? null;
  const [minute, hour, dom, month, dow] = job.fields ?? [];
  if (dow === undefined || dom === undefined) return null;
  // cron: a day field starting with `*` makes both day fields count (AND); croner does so only
  // for a bare `*`, unless told by `+` on the weekday.
  const and = (dom.startsWith('*') || dow.startsWith('*')) && dom !== '*' && dow !== '*';
  const cron = `0 ${minute} ${hour} ${dom} ${month} ${and ? '+' : ''}${dow}`;
  try {
    return checkCron(cron, 'UTC');
  } catch {
    return null;
  }
}

function setVariable(
  result: CrontabImport,
  context: Context,
  name: string,
  value: string,
  line: number,
): void {
  if (name === 'CRON_TZ') {
    try {
      context.tz = checkZone(value);
    } catch (err) {
      result.reports.push(notImported(line, messageOf(err), 'the tasks after it keep the zone before it'));
    }
    return;
  }
  if (name === 'RANDOM_DELAY') {
    result.reports.push(
      notImported(
        line,
        `RANDOM_DELAY=${oneLine(value, 20)}: ktimer has no random delay`,
        'the tasks after it run at their times',
      ),
    );
    return;
  }
  try {
    parseEnv([[name, value]]);
  } catch (err) {
    result.reports.push(notImported(line, messageOf(err), 'the tasks after it do not get it'));
    return;
  }
  // cron takes a value as written ($HOME is those five characters), and so does a task's env.
  if (value.includes('$'))
    result.reports.push({
      line,
      what: `${name}'s value holds a $, which cron does not expand`,
      todo: 'neither does ktimer: the tasks get the value as written',
      imported: true,
    });
  context.env.set(name, value);
  if (name === 'SHELL') {
    context.shell = value;
    noteShell(result, value, line);
  }
  if (name === 'MAILTO') {
    context.mailto = { address: value, line, tasks: [] };
    result.mailto.push(context.mailto);
  }
  if (MAIL_SETTINGS.has(name))
    result.reports.push({
      line,
      what: `${name} sets cron's mail`,
      todo: 'kept in the env; the [notify] command decides how ktimer mails an alert',
      imported: true,
    });
}

/** bash is what ktimer runs; sh's commands bash runs alike; another shell is run by name. */
function noteShell(result: CrontabImport, shell: string, line: number): void {
  if (BASH.test(shell)) return;
  const todo = SH.test(shell)
    ? 'ktimer runs commands with /bin/bash -c, which runs sh commands the same way'
    : `the commands after it run as ${oneLine(shell, 60)} -c '...', as cron ran them`;
  result.reports.push({ line, what: `SHELL=${oneLine(shell, 60)}`, todo, imported: true });
}

/** A job line's task, with the notes its line needs; or the report of why it is not one. */
function addJob(
  result: CrontabImport,
  context: Context,
  names: NameBook,
  job: CrontabJob,
  { line, raw }: { line: number; raw: string },
): void {
  const parts = jobParts(result.system, context, job);
  if ('what' in parts) {
    result.reports.push(notImported(line, parts.what, parts.todo));
    return;
  }
  const name = names.name(splitPercent(parts.rest).command);
  const spec: JobSpec = { type: 'cron', time: 0, limit: 0, cron: parts.cron, command: parts.command, name };
  if (context.tz !== undefined) spec.tz = context.tz;
  if (context.env.size > 0) spec.env = Object.fromEntries(context.env);
  if (parts.user !== undefined) spec.user = parts.user;
  if (context.mailto?.address === '') spec.notify = 'off';
  context.mailto?.tasks.push({ name, line });
  result.declaration.jobs.push({ name, line, spec });
  result.sources.set(name, `line ${line}: ${oneLine(raw.trim(), 160)}`);
  const note = (what: string, todo: string) => result.reports.push({ line, what, todo, imported: true });
  if (job.quiet) note("'-' (no syslog line for its runs)", 'ktimer logs every run; the - is dropped');
  if (!result.system && /^root\s/.test(parts.rest))
    note(
      'the command starts with "root"',
      'if this is a system crontab, whose sixth field is a user, import it with --system',
    );
}

type Refused = { what: string; todo: string };

/** What ktimer needs of a job line: its schedule, command and user; or why it cannot be had. */
function jobParts(
  system: boolean,
  context: Context,
  job: CrontabJob,
): { cron: string; command: string; rest: string; user?: string } | Refused {
  if (job.nickname === 'reboot')
    return {
      what: '@reboot runs once at boot, and ktimer has no boot trigger',
      todo: 'run it from a systemd unit (Type=oneshot, WantedBy=multi-user.target) or your init system',
    };
  if (job.nickname !== undefined && !(job.nickname in NICKNAMES))
    return {
      what: `@${oneLine(job.nickname, 20)} is no cron nickname`,
      todo: 'give five time fields instead',
    };
  const cron = schedule(job);
  if (cron === null)
    return { what: cronProblem(job), todo: 'correct the time fields (cron refuses them too)' };
  const owned = system ? userOf(job.rest) : { rest: job.rest };
  if ('what' in owned) return owned;
  const { rest } = owned;
  if (rest.trim() === '')
    return { what: 'the job has no command', todo: 'add the command after the time fields' };
  if (rest.startsWith('*'))
    return { what: 'the command starts with * (a sixth time field?)', todo: 'cron refuses this line too' };
  if (splitPercent(rest).stdin !== null && hasHereDocument(rest))
    return {
      what: 'a here-document (<<) with % input',
      todo: 'give the input one way: the here-document or the %',
    };
  try {
    return { ...owned, cron, command: parseCommand(shellCommand(rest, context.shell).command) };
  } catch (err) {
    return { what: messageOf(err), todo: 'shorten the command, or move it into a script' };
  }
}

/** A system crontab's user field, and the command after it. */
function userOf(text: string): { user: string; rest: string } | Refused {
  const m = /^(\S+)\s+([^]*)$/.exec(text);
  if (!m) return { what: 'a system crontab job needs a user and a command', todo: 'add them' };
  try {
    return { user: parseUser(m[1] as string), rest: m[2] as string };
  } catch (err) {
    return { what: messageOf(err), todo: 'give the user the job runs as' };
  }
}

function cronProblem(job: CrontabJob): string {
  const fields = job.fields?.join(' ') ?? '';
  try {
    checkCron(`0 ${fields}`, 'UTC');
  } catch (err) {
    return messageOf(err).replace(/^cron "0 /, 'cron "');
  }
  return `cron "${fields}" is invalid`;
}

/** Each MAILTO, with the lines of the tasks it applies to (cron mailed their output there). */
export function mailtoReports(result: CrontabImport): CrontabReport[] {
  return result.mailto.map(({ address, line, tasks }) => {
    const numbers = tasks.map((t) => t.line).join(', ');
    const one = tasks.length === 1;
    const lines =
      tasks.length === 0 ? 'no task' : one ? `the task of line ${numbers}` : `the tasks of lines ${numbers}`;
    const todo =
      address === ''
        ? `${one ? 'it gets' : 'they get'} notify: off`
        : `ktimer sends no mail itself: ${one ? 'it carries' : 'they carry'} MAILTO in ${one ? 'its' : 'their'} env, for [notify] on_failure_command to mail each failure there`;
    const what =
      address === ''
        ? `MAILTO="" (no mail) applies to ${lines}`
        : `MAILTO=${oneLine(address, 80)} applies to ${lines}`;
    return { line, what, todo, imported: true };
  });
}

/** Every report, in line order, as `SOURCE:LINE: what; what to do`. */
export function crontabReportLines(result: CrontabImport, source: string): string[] {
  return [...result.reports, ...mailtoReports(result)]
    .sort((a, b) => a.line - b.line)
    .map((r) => `${source}:${r.line}: ${r.what}; ${r.todo}`);
}

/** The apply file of an import, each task under a comment with its crontab line (YAML). */
export function crontabFileText(result: CrontabImport, format: FileFormat, source: string): string {
  const tasks = result.declaration.jobs.map((job) => ({
    name: job.name,
    fields: jobFields(job.spec),
    comment: ` ${result.sources.get(job.name) ?? ''}`,
  }));
  const header = ` ktimer import crontab of ${oneLine(source, 100)}: ${tasks.length} ${tasks.length === 1 ? 'task' : 'tasks'}`;
  return applyFileText(result.declaration.group, tasks, format, { header, inOrder: true, shareEnv: true });
}
