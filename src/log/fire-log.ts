// What the daemon writes about fires (docs/logs-and-history.md): one runed.log `fire` entry per fire run (at
// error level when it failed, and then in error.log too), and the claim's other outcomes:
// expired, corrupt, lost, missed, skipped.
import type { RunnerResult } from '../runner/runner-result.js';
import { latenessMs } from '../runs/record.js';
import { secOfMs } from '../runs/units.js';
import type { ClaimEntry, Fire, RunRecord } from '../store/open-store.js';
import type { Missed } from '../tasks/schedule.js';
import type { DaemonLogs } from './daemon-logs.js';
import { entryWithEnvMasked, maskEnvValues, rawTaskWithEnvMasked } from './env-mask.js';

type FireLogs = Pick<DaemonLogs, 'runed' | 'error'>;

/** What a claim reports besides its fires (refills go to the cron refiller, not to a log). */
export type ClaimNote = Exclude<ClaimEntry, { kind: 'fire' } | { kind: 'refill' }>;

export function logClaimEntry(logs: FireLogs, entry: ClaimNote): void {
  if (entry.kind === 'missed') {
    const { kid, kind: _, ...missed } = entry;
    logMissed(logs, kid, missed);
  } else if (entry.kind === 'expired') {
    logs.runed.warn(
      { event: 'expired', kid: entry.kid, task: rawTaskWithEnvMasked(entry.raw) },
      'timer overdue beyond task_expire_limit: dropped, not run',
    );
  } else if (entry.kind === 'corrupt') {
    logs.error.error(
      { event: 'corrupt', kid: entry.kid, raw: rawTaskWithEnvMasked(entry.raw.slice(0, 2000)) },
      `task ${entry.kid} holds corrupt data: removed`,
    );
  } else if (entry.kind === 'skipped') {
    const r = entry.record;
    logs.runed.warn(
      { event: 'skipped', kid: r.kid, fire_id: r.fire_id, due: r.due, error: r.error },
      'a run came due while the one before it was under way: skipped (overlap); on record',
    );
  } else {
    const r = entry.record;
    const fields = { event: 'lost', kid: r.kid, fire_id: r.fire_id, host: r.host, pid: r.pid, due: r.due };
    const then =
      r.retry_at === undefined
        ? 'not run again'
        : `attempt ${r.attempt + 1} is due at ${isoOfSec(r.retry_at)}`;
    const msg = `a run was begun by a daemon that stopped before it ended: recorded lost; ${then}`;
    logs.runed.error(fields, msg);
    logs.error.error(fields, msg);
    if (r.retry_at !== undefined) logRetry(logs, r);
  }
}

const isoOfSec = (sec: number): string => new Date(sec * 1000).toISOString();

/** A failed or lost attempt whose retry finish.lua or the claim handed out (include/retry.lua). */
export function logRetry(logs: Pick<FireLogs, 'runed'>, record: RunRecord): void {
  logs.runed.info(
    {
      event: 'retry',
      kid: record.kid,
      fire_id: record.fire_id,
      attempt: record.attempt + 1,
      at: record.retry_at,
    },
    `run ${record.result}: attempt ${record.attempt + 1} is due at ${isoOfSec(record.retry_at ?? 0)}`,
  );
}

/** Runs of a ticker or cron task that its misfire policy did not fire (downtime). */
export function logMissed(logs: FireLogs, kid: string, m: Missed): void {
  const what =
    m.policy === 'skip'
      ? 'skipped'
      : m.policy === 'once'
        ? 'folded into the one fired'
        : 'beyond the 100 fired';
  logs.runed.warn(
    {
      event: 'missed',
      kid,
      misfire: m.policy,
      missed: m.count,
      first_due: m.firstDueMs / 1000,
      next_due: m.nextDueMs / 1000,
    },
    `runs missed while no daemon could fire them: ${what} (misfire=${m.policy})`,
  );
}

/** A fire that ran: `startedMs` is when its process or request really started (Redis clock). */
export function logFire(
  logs: FireLogs,
  fire: Fire,
  startedMs: number,
  result: RunnerResult,
  host: string,
): void {
  // Its -env values are masked wherever they appear: its output, its error, its command.
  const entry = entryWithEnvMasked(fireEntry(fire, startedMs, result, host), fire.env);
  if (result.ok) {
    logs.runed.info(entry, 'task fired');
    return;
  }
  // At error level in runed.log too: `pino-pretty -L error` shows the failures.
  const msg = `task ${fire.kid} failed: ${maskEnvValues(describeFailure(result), fire.env)}`;
  logs.runed.error(entry, msg);
  logs.error.error(entry, msg);
}

function fireEntry(
  fire: Fire,
  startedMs: number,
  result: RunnerResult,
  host: string,
): Record<string, unknown> {
  return {
    event: 'fire',
    kid: fire.kid,
    fire_id: fire.id,
    type: fire.type,
    kind: fire.kind,
    command: fire.command,
    run_num: fire.run_num,
    limit: fire.limit,
    due: secOfMs(fire.dueMs),
    started: secOfMs(startedMs),
    lateness_ms: latenessMs(startedMs, fire.dueMs),
    duration_ms: Math.round(result.durationMs),
    ok: result.ok,
    exit_code: result.exitCode,
    signal: result.signal,
    http_status: result.httpStatus,
    timed_out: result.timedOut,
    output: result.output,
    error: result.error,
    host,
    ...(fire.retaken_from ? { retaken_from: fire.retaken_from } : {}),
    ...(fire.trigger ? { trigger: fire.trigger } : {}),
    ...(fire.attempt ? { attempt: fire.attempt } : {}),
  };
}

function describeFailure(r: RunnerResult): string {
  if (r.timedOut) return `timed out after ${Math.round(r.durationMs)} ms`;
  if (r.error) return r.error;
  if (r.httpStatus !== null) return `HTTP ${r.httpStatus}`;
  if (r.signal) return `killed by ${r.signal}`;
  return `exit code ${r.exitCode}`;
}
