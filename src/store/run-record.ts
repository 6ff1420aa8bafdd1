// Reading a run on record back from Redis (src/runs/record.ts says what a record is): a history
// list's row, a claim's or finish's reply, a runs stream entry and a task's last run (the same
// row: the summary read from it), and what ktimer 4.2, 2.0 and 1.2 stored. Written by
// include/run-record.lua.
import { kidOfFireId } from '../runs/ids.js';
import {
  isRunOutcome,
  MISSED_FIELDS,
  RECORD_FIELDS,
  RECORD_FIELDS_4_0,
  ROW_CODES,
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
