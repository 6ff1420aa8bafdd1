// A run on record: what the history keeps of one fire (the task's history list, and a summary in
// the runs stream and as the task's last run). Written by the daemon when a fire ends
// (finish.lua), or by a claim when the daemon that began it vanished (result `lost`).
import type { CommandKind, TaskType } from '../tasks/task.js';
import { unexpectedReply } from './script.js';

export type RunOutcome = 'ok' | 'failed' | 'lost' | 'skipped';
/** What started the run: the schedule, a person (`ktimer run`), or the retry of a failed run. */
export type RunTrigger = 'schedule' | 'manual' | 'retry';

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
  /** Shell: the last 4 KiB of stdout and stderr; URL: the first 1 KiB of the body. */
  output?: string;
  /** The daemon that ran it. */
  host: string;
  pid?: number;
  trigger: RunTrigger;
  attempt: number;
  /** A failed run to be retried: when its retry is due, unix seconds. */
  retry_at?: number;
}

/**
 * The fire id of the attempt after `record`'s: the first attempt's id and the attempt,
 * `kid:run.attempt`, as finish.lua's `retry` names it.
 */
export function nextAttemptId(record: Pick<RunRecord, 'fire_id' | 'attempt'>): string {
  return `${record.fire_id.replace(/\.\d+$/, '')}.${record.attempt + 1}`;
}

/** What the runs stream and the task's last run keep of a record. */
export type RunSummary = Pick<
  RunRecord,
  | 'fire_id'
  | 'kid'
  | 'result'
  | 'ok'
  | 'started'
  | 'duration_ms'
  | 'lateness_ms'
  | 'exit_code'
  | 'signal'
  | 'http_status'
  | 'host'
> &
  /** Only when not the schedule's, and not a first attempt. */
  Partial<Pick<RunRecord, 'trigger' | 'attempt'>>;

/** JSON without the fields that say nothing (null, empty output): a few bytes per run add up. */
export function encodeRunRecord(record: RunRecord): string {
  return JSON.stringify(record, (_, v: unknown) => (v === null || v === '' ? undefined : v));
}

/**
 * A history list's record is a JSON array: these fields by position, null where none, the
 * trailing ones left off (include/record-run.lua `RECORD_FIELDS`, the same list: new fields go
 * at the end). kid and ok are not among them: decodeRunRecord reads them from the rest.
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
] as const satisfies readonly (keyof RunRecord)[];

// Every field of a record is stored, by position or read back from the others (kid, ok): a field
// added to RunRecord and not here fails to compile, rather than vanish from Redis.
type Unstored = Exclude<keyof RunRecord, (typeof RECORD_FIELDS)[number] | 'kid' | 'ok'>;
export const everyFieldStored: [Unstored] extends [never] ? true : Unstored = true;

/** The kid of a fire id (`kid:run`, `kid:run.attempt`). */
export const kidOfFireId = (fireId: string): string => fireId.slice(0, fireId.lastIndexOf(':'));

/** A stored row as the object it stands for: its fields by name. */
function fromRow(row: unknown[]): Record<string, unknown> {
  const v: Record<string, unknown> = {};
  RECORD_FIELDS.forEach((name, i) => {
    if (row[i] !== null && row[i] !== undefined) v[name] = row[i];
  });
  return v;
}

/**
 * A record or summary from Redis, its identity checked (`where` names the reply it came in): a
 * history row, or an object (a claim's reply, a task's last run, a record ktimer 2.0 stored).
 */
export function decodeRunRecord(where: string, json: unknown): RunRecord {
  let value: unknown;
  try {
    value = typeof json === 'string' ? JSON.parse(json) : null;
  } catch {
    value = null;
  }
  return checkedRecord(where, Array.isArray(value) ? fromRow(value) : value, json);
}

/** `value` as a record, its identity checked, with what Redis leaves out read back from the rest. */
function checkedRecord(where: string, value: unknown, reply: unknown): RunRecord {
  const v = value as Partial<RunRecord> | null;
  if (
    v === null ||
    typeof v !== 'object' ||
    typeof v.fire_id !== 'string' ||
    !v.fire_id.includes(':') ||
    (v.kid !== undefined && typeof v.kid !== 'string') ||
    (v.result !== 'ok' && v.result !== 'failed' && v.result !== 'lost' && v.result !== 'skipped')
  )
    throw unexpectedReply(where, reply);
  // What Redis keeps leaves out what the rest says (include/record-run.lua).
  v.kid ??= kidOfFireId(v.fire_id);
  v.ok ??= v.result === 'ok';
  v.trigger ??= 'schedule';
  v.attempt ??= 1;
  return v as RunRecord;
}

/** The runs stream's fields, in the order record-run.lua writes them (numbers: the rest). */
const STREAM_TEXT = new Set(['fire_id', 'result', 'signal', 'host', 'trigger']);

/**
 * A runs stream entry's fields as a summary: one field per summary field, empty where none
 * (started_ms in unix ms); an entry of ktimer 1.2 holds the summary as JSON in its field `s`.
 */
export function decodeRunsEntry(where: string, fields: readonly string[]): RunSummary {
  if (fields.length === 2 && fields[0] === 's') return decodeRunRecord(where, fields[1]);
  const v: Record<string, string | number> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [name, value] = [fields[i] as string, fields[i + 1] as string];
    if (value === '') continue;
    if (name === 'started_ms') v.started = Number(value) / 1000;
    else v[name] = STREAM_TEXT.has(name) ? value : Number(value);
  }
  return checkedRecord(where, v, fields);
}
