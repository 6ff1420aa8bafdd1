// What an alert says (docs/steering.md "Alerts"): the run's record, and beside it what a person
// needs to act without looking anything up: the task's name and command (credentials masked), the
// daemon that ran it, its result, the tails of its stderr and stdout; as JSON (the POST's body, a
// notify command's stdin) and as KTIMER_* variables (a notify command's environment).
import type { RunRecord } from '../store/open-store.js';

export type AlertEvent = 'failure' | 'recovery';

/** Bytes of the end of stdout, and of stderr, an alert carries. */
export const ALERT_TAIL_BYTES = 2048;

/** A run put on record, as the notifier is told of it. */
export interface RecordedRun {
  record: RunRecord;
  /** Its task, as its fire carried it (a run recorded lost: as the task is now, if it still is). */
  task: { name?: string; command?: string; notify?: 'off'; env?: Readonly<Record<string, string>> };
  /** What it printed, when this daemon ran it (a lost run: nothing). */
  stdout?: string;
  stderr?: string;
}

/** What a receiver gets: the run's record, why it is sent, and the task's words. */
export type AlertBody = Omit<RunRecord, 'output' | 'stdout' | 'stderr'> & {
  event: AlertEvent;
  /** failure: the task's failures in a row, this one included; recovery: how many there were. */
  failures_in_a_row: number;
  /** The daemon that sent it. */
  sent_by: string;
  /** The task's name, or null. */
  name: string | null;
  /** Its command or URL, user:password@ and its -env values masked; null when unknown (lost, gone). */
  command: string | null;
  /** The daemon that ran it (its host, as history's HOST shows it). */
  daemon: string;
  /** The last ALERT_TAIL_BYTES of what it printed on stderr, and on stdout. */
  stderr_tail: string;
  stdout_tail: string;
  /** One line for a mail's subject: `ktimer: backup failed on web1 (exit 1)`. */
  subject: string;
};

/** Masks the secrets in a text the alert shows: URL credentials, the task's -env values. */
export type Masker = (text: string, env: Readonly<Record<string, string>> | undefined) => string;

export function alertBody(
  run: RecordedRun,
  event: AlertEvent,
  failures: number,
  sentBy: string,
  mask: Masker,
): AlertBody {
  const { output: _o, stdout: _s, stderr: _e, ...record } = run.record;
  const env = run.task.env;
  const body: Omit<AlertBody, 'subject'> = {
    ...record,
    event,
    failures_in_a_row: failures,
    sent_by: sentBy,
    name: run.task.name ?? null,
    command: run.task.command === undefined ? null : mask(run.task.command, env),
    daemon: record.host,
    stderr_tail: mask(tail(run.stderr ?? ''), env),
    stdout_tail: mask(tail(run.stdout ?? ''), env),
  };
  return { ...body, subject: subjectOf(body) };
}

function subjectOf(b: Omit<AlertBody, 'subject'>): string {
  const what = b.name ?? b.kid;
  if (b.event === 'recovery')
    return `ktimer: ${what} recovered on ${b.daemon} after ${b.failures_in_a_row} failure(s)`;
  const how =
    b.result === 'lost'
      ? 'lost'
      : b.timed_out === true
        ? 'timed out'
        : b.http_status !== undefined
          ? `http ${b.http_status}`
          : b.exit_code !== undefined
            ? `exit ${b.exit_code}`
            : (b.signal ?? 'failed');
  return `ktimer: ${what} failed on ${b.daemon} (${how})`;
}

/** The last ALERT_TAIL_BYTES of `text`; a character cut at its start shows as U+FFFD. */
export function tail(text: string): string {
  if (text.length * 3 <= ALERT_TAIL_BYTES) return text;
  const bytes = Buffer.from(text);
  return bytes.length <= ALERT_TAIL_BYTES ? text : bytes.subarray(bytes.length - ALERT_TAIL_BYTES).toString();
}

/** The alert as a notify command's KTIMER_* variables. */
export function alertVariables(b: AlertBody): Record<string, string> {
  const vars: Record<string, string | number | undefined | null> = {
    KTIMER_EVENT: b.event,
    KTIMER_SUBJECT: b.subject,
    KTIMER_KID: b.kid,
    KTIMER_NAME: b.name ?? '',
    KTIMER_FIRE_ID: b.fire_id,
    KTIMER_RESULT: b.result,
    KTIMER_EXIT_CODE: b.exit_code,
    KTIMER_HTTP_STATUS: b.http_status,
    KTIMER_ERROR: b.error,
    KTIMER_COMMAND: b.command ?? '',
    KTIMER_DAEMON: b.daemon,
    KTIMER_FAILURES: b.failures_in_a_row,
  };
  return Object.fromEntries(
    Object.entries(vars).map(([k, v]) => [k, v === undefined || v === null ? '' : String(v)]),
  );
}
