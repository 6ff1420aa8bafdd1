// Reading a run on record back from Redis (src/runs/record.ts says what a record is): a history
// list's row, a claim's or finish's reply, a runs stream entry and a task's last run (the same
// row: the summary read from it), and what ktimer 4.2, 2.0 and 1.2 stored. Written by
// include/run-record.lua.
import { hostPidOf, kidOfFireId } from '../runs/ids.js';
import { secOfMs } from '../runs/units.js';
import {
  isRunOutcome,
  MISSED_FIELDS,
  RECORD_FIELDS,
  RECORD_FIELDS_4_0,
  ROW_CODES,
  type RunEnding,
  type RunRecord,
  type RunSummary,
  SUMMARY_FIELDS,
} from '../runs/record.js';
import { unexpectedReply } from './script.js';

export type { RunOutcome, RunRecord, RunSummary } from '../runs/record.js';
export type { RunTrigger } from '../runs/fire.js';

/** A stored row as the object it stands for: its fields by name. */
function fromRow(row: unknown[]): Record<string, unknown> | null {
  const v: Record<string, unknown> = {};
  // A row of this version has its type and kind as codes; one of 4.0.0 and before, as names.
  const coded = typeof row[1] === 'number' || typeof row[2] === 'number';
  const fields = coded ? RECORD_FIELDS : RECORD_FIELDS_4_0;
  fields.forEach((name, i) => {
    if (row[i] !== null && row[i] !== undefined) v[name] = row[i];
  });
  // type and kind: their codes, or their names (ktimer 4.0.0 and before). An unknown code: no record.
  for (const f of ['type', 'kind'] as const) {
    if (typeof v[f] !== 'number') continue;
    const name = (ROW_CODES[f] as readonly string[])[v[f]];
    if (name === undefined) return null;
    v[f] = name;
  }
  // `output`: the output inline (ktimer 3.0), or the bytes of stdout and stderr kept apart.
  if (Array.isArray(v.output)) {
    const [out, err] = v.output as unknown[];
    delete v.output;
    if (isBytes(out) && isBytes(err)) v.output_bytes = [out, err];
  }
  return v;
}

const isBytes = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

/**
 * A record or summary from Redis, its identity checked (`where` names the reply it came in): a
 * history row, or an object (a claim's reply, a task's last run, a record ktimer 2.0 stored).
 */
export function decodeRunRecord(where: string, json: unknown, kid?: string): RunRecord {
  let value: unknown;
  try {
    value = typeof json === 'string' ? JSON.parse(json) : null;
  } catch {
    value = null;
  }
  // A row in task kid's history list holds its fire id less the kid (`:run`: the list's key names it).
  if (kid !== undefined && Array.isArray(value) && typeof value[0] === 'string' && value[0].startsWith(':'))
    value[0] = `${kid}${value[0]}`;
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
    !isRunOutcome(v.result)
  )
    throw unexpectedReply(where, reply);
  // What Redis keeps leaves out what the rest says (include/run-record.lua).
  v.kid ??= kidOfFireId(v.fire_id);
  v.ok ??= v.result === 'ok';
  v.trigger ??= 'schedule';
  v.attempt ??= 1;
  return v as RunRecord;
}

/**
 * What a summary keeps of a record: SUMMARY_FIELDS in their order (trigger and attempt when not the
 * usual), a missed run's MISSED_FIELDS, then kid and ok, as an entry of ktimer 4.2 reads. A runs
 * stream entry and a task's last run hold the record's row, read as this summary.
 */
export function summaryOf(where: string, record: RunRecord): RunSummary {
  const v: Partial<RunRecord> = {};
  for (const f of record.result === 'missed' ? [...SUMMARY_FIELDS, ...MISSED_FIELDS] : SUMMARY_FIELDS)
    if (!(f === 'trigger' && record.trigger === 'schedule') && !(f === 'attempt' && record.attempt === 1))
      copyField(v, record, f);
  return checkedRecord(where, v, record);
}

function copyField<K extends keyof RunRecord>(
  to: Partial<Pick<RunRecord, K>>,
  from: Pick<RunRecord, K>,
  field: K,
): void {
  if (from[field] !== undefined) to[field] = from[field];
}

/** A task's last run: its record's row, or a summary as JSON (ktimer 4.2 and before). */
export const decodeLastRun = (where: string, json: unknown): RunSummary =>
  summaryOf(where, decodeRunRecord(where, json));

/** The runs stream's text fields in an entry of ktimer 4.2 (SUMMARY_FIELDS; the others are numbers). */
const STREAM_TEXT = new Set(['fire_id', 'result', 'signal', 'host', 'trigger']);

/**
 * A runs stream entry as a summary: its one field `row`, the record's row; an entry of ktimer 4.2
 * and before has one field per summary field, empty where none (started_ms in unix ms); one of
 * ktimer 1.2, the summary as JSON in its field `s`.
 */
export function decodeRunsEntry(where: string, fields: readonly string[]): RunSummary {
  if (fields.length === 2 && fields[0] === 'row') return decodeLastRun(where, fields[1]);
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

/** A run that ended, as the daemon knows it: what its row is made of (include/run-record.lua run_record). */
export interface RowOfRun {
  fire: Pick<RunRecord, 'fire_id' | 'type' | 'kind' | 'trigger' | 'attempt'> & { dueMs: number };
  ending: RunEnding;
  /** The finishing daemon's id: the row's host and pid. */
  owner: string;
  /** Whether outputs are kept (include/run-record.lua keeps_output): the row says their bytes. */
  keepsOutput: boolean;
}

/**
 * The row finish.lua's record_row would write for a run that ended and is not retried, byte for
 * byte (cjson's number format and escaping): the daemon makes it, so that finish.lua need not
 * decode the fire nor encode the row (issue 28). null: a value cjson would write otherwise than
 * JSON.stringify does here (a number past 14 digits): finish.lua makes that row itself.
 */
export function encodeRunRow({ fire, ending: e, owner, keepsOutput }: RowOfRun): string | null {
  const { host, pid } = hostPidOf(owner);
  const outBytes = [Buffer.byteLength(e.stdout), Buffer.byteLength(e.stderr)] as const;
  const byField: Partial<Record<(typeof RECORD_FIELDS)[number], RowValue>> = {
    fire_id: fire.fire_id,
    type: ROW_CODES.type.indexOf(fire.type),
    kind: ROW_CODES.kind.indexOf(fire.kind),
    due: secOfMs(fire.dueMs),
    started: secOfMs(e.startedMs),
    finished: secOfMs(e.finishedMs),
    lateness_ms: e.latenessMs,
    duration_ms: e.durationMs,
    result: e.result,
    exit_code: e.exitCode,
    host,
    pid,
    output: keepsOutput && outBytes[0] + outBytes[1] > 0 ? outBytes : null,
    http_status: e.httpStatus,
    error: e.error,
    signal: e.signal,
    timed_out: e.timedOut || null,
    trigger: fire.trigger === 'schedule' ? null : fire.trigger,
    attempt: fire.attempt === 1 ? null : fire.attempt,
  };
  const row = RECORD_FIELDS.map((f) => cjsonOf(byField[f] ?? null));
  while (row.length > 0 && row[row.length - 1] === 'null') row.pop();
  return row.includes(undefined) ? null : `[${row.join(',')}]`;
}

type RowValue = string | number | boolean | null | undefined | readonly number[];

/** A value as cjson.encode writes it; '' is left out as record_row leaves it (null); undefined: cannot. */
function cjsonOf(v: RowValue): string | undefined {
  if (v === null || v === undefined || v === '') return 'null';
  if (typeof v === 'string') return `"${v.replace(CJSON_ESCAPED, cjsonEscape)}"`;
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return cjsonNumber(v);
  const items = v.map(cjsonNumber);
  return items.includes(undefined) ? undefined : `[${items.join(',')}]`;
}

/**
 * cjson writes numbers as printf's %.14g: the same text as JSON.stringify for a number of at
 * most 14 significant digits written without an exponent; any other: undefined.
 */
function cjsonNumber(n: number): string | undefined {
  const abs = Math.abs(n);
  if (!Number.isFinite(n) || abs >= 1e14 || (abs < 1e-4 && n !== 0)) return undefined;
  return Number(n.toPrecision(14)) === n ? String(n) : undefined;
}

// cjson escapes control characters, DEL, '"', '\' and '/' (lua_cjson.c char2escape); other bytes as they are.
const CJSON_ESCAPED = /[\u0000-\u001f"/\\\u007f]/g;
const NAMED_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '/': '\\/',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\f': '\\f',
  '\r': '\\r',
};
const cjsonEscape = (c: string): string =>
  NAMED_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
