// A run on record: what the history keeps of one fire that ran (or could not), and what the
// command line, the web API, the dashboard and alerts show of it. The record is built in
// include/run-record.lua when finish.lua or the claim puts it on record, except a run that is not
// retried: the daemon sends its row (store/run-record.ts encodeRunRow, the same bytes) with how it
// ended (RunEnding), and finish.lua files it as it is.
// Times in a record are unix seconds (ms precision), as people read them.
import type { RunTrigger } from './fire.js';
import type { CommandKind, TaskType } from './kinds.js';

/**
 * How a recorded run went: ran well, ran and failed, begun and its daemon vanished, not run
 * (overlap), or runs not fired at all (missed: one record per gap, its count and span: no daemon
 * claimed them in time, or -misfire=skip passed them over).
 */
export const RUN_OUTCOMES = ['ok', 'failed', 'lost', 'skipped', 'missed'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];
export const isRunOutcome = (value: unknown): value is RunOutcome =>
  RUN_OUTCOMES.includes(value as RunOutcome);

export interface RunRecord {
  fire_id: string;
  kid: string;
  type: TaskType;
  kind: CommandKind;
  /** Unix seconds (ms precision): when it was due, started, ended (lost: when found lost). */
  due: number;
  started?: number;
  finished: number;
  lateness_ms?: number;
  duration_ms?: number;
  result: RunOutcome;
  ok: boolean;
  exit_code?: number;
  signal?: string;
  http_status?: number;
  timed_out?: boolean;
  error?: string;
  /**
   * What it printed, stdout then stderr, as read back: whole (`output`, run --wait), or the last
   * 4 KiB of them together (`history`). A record of ktimer 3.0 holds it inline (shell: that tail;
   * URL: the first 1 KiB of the body); a newer one keeps it apart (output_bytes).
   */
  output?: string;
  /** Bytes of stdout and of stderr kept apart from the record, each within the task's output_max. */
  output_bytes?: [number, number];
  /** Its stdout and its stderr, read back with the record by `output` (FIRE_ID). */
  stdout?: string;
  stderr?: string;
  /** Its output was kept, and has been dropped since: history_max_output drops the oldest first. */
  output_dropped?: boolean;
  /** The daemon that ran it (lost: that began it; skipped: that claimed it), from its owner id. */
  host: string;
  pid?: number;
  trigger: RunTrigger;
  attempt: number;
  /** A failed run to be retried: when its retry is due, unix seconds. */
  retry_at?: number;
  /** Missed: how many runs of the gap were not fired (due: the first; last_due: the last, unix s). */
  missed?: number;
  last_due?: number;
}

/**
 * A history list's record is a JSON array: these fields by position, null where none, the
 * trailing ones left off (new fields go at the end). kid and ok are not among them: they are
 * read back from fire_id and result; nor are trigger `schedule` and attempt 1, the usual. type
 * and kind are numbers, their codes in ROW_CODES (a row of ktimer 4.0.0 holds their names).
 */
export const RECORD_FIELDS = [
  'fire_id',
  'type',
  'kind',
  'due',
  'started',
  'finished',
  'lateness_ms',
  'duration_ms',
  'result',
  'exit_code',
  'host',
  'pid',
  'output',
  'http_status',
  'error',
  'signal',
  'timed_out',
  'trigger',
  'attempt',
  'retry_at',
  'missed',
  'last_due',
] as const satisfies readonly (keyof RunRecord)[];

/**
 * A row as ktimer 4.0.0 and 3.0 stored it, still read (a history outlives an upgrade): type and kind
 * by name, and http_status and output, null in most runs, before host. fire_id and finished are
 * where RECORD_FIELDS has them: include/run-record.lua reads both in either form.
 */
export const RECORD_FIELDS_4_0 = [
  'fire_id',
  'type',
  'kind',
  'due',
  'started',
  'finished',
  'lateness_ms',
  'duration_ms',
  'result',
  'exit_code',
  'http_status',
  'output',
  'host',
  'pid',
  'error',
  'signal',
  'timed_out',
  'trigger',
  'attempt',
  'retry_at',
  'missed',
  'last_due',
] as const satisfies readonly (keyof RunRecord)[];

/**
 * A row's type and kind: their index here (the names cost 13 bytes in every row). Codes are kept
 * forever: a type or kind added goes at the end.
 */
export const ROW_CODES = {
  type: ['timer', 'ticker', 'cron'],
  kind: ['shell', 'url'],
} as const satisfies { type: readonly TaskType[]; kind: readonly CommandKind[] };

/**
 * What a missed record's summary holds besides the others': its span and count (in its row,
 * missed and last_due are the last of RECORD_FIELDS, which other rows leave off; in a runs stream
 * entry of ktimer 4.2 they followed the summary's fields).
 */
export const MISSED_FIELDS = ['due', 'missed', 'last_due'] as const satisfies readonly (keyof RunRecord)[];

/**
 * A record's fields that are not in its row: read back from the others (kid, ok), or with it from
 * where its output is kept (the row's `output` holds output_bytes).
 */
export const READ_BACK_FIELDS = ['kid', 'ok', 'output_bytes', 'stdout', 'stderr', 'output_dropped'] as const;

// Every field of a record is stored, by position or read back: a field added to RunRecord and not
// here fails to compile, rather than vanish from Redis.
type Unstored = Exclude<keyof RunRecord, (typeof RECORD_FIELDS)[number] | (typeof READ_BACK_FIELDS)[number]>;
export const everyFieldStored: [Unstored] extends [never] ? true : Unstored = true;

/**
 * What `ktimer runs`, the live feed and a task's last run show of a record, in this order; trigger
 * and attempt only when not the usual. The runs stream and the last-run hash keep the record's row
 * and read this from it (store/run-record.ts summaryOf); ktimer 4.2 kept these fields themselves
 * (the stream started in ms, as started_ms), still read.
 */
export const SUMMARY_FIELDS = [
  'fire_id',
  'result',
  'started',
  'duration_ms',
  'lateness_ms',
  'exit_code',
  'signal',
  'http_status',
  'host',
  'trigger',
  'attempt',
] as const satisfies readonly (keyof RunRecord)[];

export type RunSummary = Pick<RunRecord, 'fire_id' | 'kid' | 'result' | 'ok' | 'host'> &
  Partial<Pick<RunRecord, (typeof SUMMARY_FIELDS)[number] | (typeof MISSED_FIELDS)[number]>>;

/** How a run ended, as the daemon that ran it tells finish.lua (which makes the record of it). */
export interface RunEnding {
  /** When its process or request really started, and when it was seen to end: unix ms. */
  startedMs: number;
  finishedMs: number;
  latenessMs: number;
  durationMs: number;
  result: Extract<RunOutcome, 'ok' | 'failed'>;
  exitCode: number | null;
  signal: string | null;
  httpStatus: number | null;
  timedOut: boolean;
  error: string | null;
  /** What it printed on stdout (a URL's body) and on stderr, each within its output_max. */
  stdout: string;
  stderr: string;
}

/** How late a run started, ms (one decimal): its lateness on record, in runed.log and in metrics. */
export const latenessMs = (startedMs: number, dueMs: number): number =>
  Math.round((startedMs - dueMs) * 10) / 10;

/** Whether `value` (a summary as it came over the wire: the live feed) is one. */
export function isRunSummary(value: unknown): value is RunSummary {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Record<keyof RunSummary, unknown>>;
  return (
    typeof v.fire_id === 'string' &&
    typeof v.kid === 'string' &&
    isRunOutcome(v.result) &&
    typeof v.ok === 'boolean' &&
    typeof v.host === 'string'
  );
}
