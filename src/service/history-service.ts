// The run history, for the command line and the web API alike: a task's runs, the runs of every
// task (failures only, since a time), one run's record, a run's output as it is printed (the live
// tail). Input is checked before any round trip.
import { KtimerError, usageError } from '../errors.js';
import {
  type HistoryStore,
  nextAttemptId,
  type RunningFire,
  type RunRecord,
  type RunSummary,
} from '../store/open-store.js';
import { parseHumanTime } from '../tasks/human-time.js';
import { parseWhole } from '../tasks/task-rules.js';
import { isKid } from '../tasks/kid.js';
import { kidOfFireId } from '../runs/ids.js';
import { isTaskName } from '../tasks/task-name.js';
import { type LiveOutputDeps, type LiveOutputPage, liveOutputPage } from './live-output.js';

const isTaskRef = (value: string): boolean => isKid(value) || isTaskName(value);

export interface HistoryServiceDeps extends LiveOutputDeps {
  history: () => Promise<HistoryStore>;
  /**
   * A KID argument to the kid whose history it stands for: a kid, or a task's name, also one whose
   * task has left while its history is kept (TaskService.resolveHistoryKid).
   */
  resolveKid: (ref: string) => Promise<string>;
  /** [task] timezone, for a --since date without an offset. */
  timezone: string;
}

export interface RunsQuery {
  failed?: boolean | undefined;
  /** `1h`, `30m`, `2d` ago, a date (ISO 8601), or a unix timestamp. */
  since?: string | undefined;
  count?: string | undefined;
}

export const HISTORY_DEFAULT = 20;
export const RUNS_DEFAULT = 50;
export const RUNS_MAX = 1000;

const AGO = /^(\d{1,9})([smhd])$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export class HistoryService {
  constructor(private readonly deps: HistoryServiceDeps) {}

  /** A task's last `count` runs on record, latest start first: also a timer's that has fired and is gone. */
  async ofTask(ref: string, countInput?: string): Promise<{ kid: string; runs: RunRecord[] }> {
    const count = countOf(countInput, HISTORY_DEFAULT);
    const kid = await this.deps.resolveKid(ref);
    return { kid, runs: latestStartFirst(await (await this.deps.history()).ofTask(kid, count)) };
  }

  /**
   * The runs under way across the fleet, and those about to start (the fires hash), oldest first;
   * given a task (kid or name), its own only: what its page polls.
   */
  async running(ref?: string): Promise<RunningFire[]> {
    const kid = ref === undefined ? undefined : await this.deps.resolveKid(ref);
    return (await this.deps.history()).running(kid);
  }

  /** The last `count` runs on record of every task, latest start first. */
  async runs(q: RunsQuery): Promise<RunSummary[]> {
    const count = countOf(q.count, RUNS_DEFAULT);
    const sinceMs = q.since === undefined ? null : await this.sinceMs(q.since);
    return latestStartFirst(
      await (await this.deps.history()).runs({ sinceMs, count, failedOnly: q.failed === true }),
    );
  }

  /**
   * Waits for the run `fireId` (of a run by hand) to end, through its retries: resolves with the
   * record of its last attempt. `onSlow` is told once when nothing is on record after `slowMs`
   * (no daemon may be running). After `timeoutMs`, a KtimerError('timeout'): it goes on unwatched.
   */
  async waitFor(
    fireId: string,
    opts: { pollMs?: number; slowMs?: number; onSlow?: () => void; timeoutMs?: number } = {},
  ): Promise<RunRecord> {
    const { pollMs = 200, slowMs = 10_000, timeoutMs = Number.POSITIVE_INFINITY } = opts;
    const started = Date.now();
    let slowTold = false;
    let id = fireId;
    for (;;) {
      const store = await this.deps.history();
      let record = await store.byFireId(id);
      // Neither on record nor handed out: cancelled (its task paused or deleted while the run or
      // its retry waited), unless it was put on record between the two reads.
      if (!record && !(await store.handedOut(id))) {
        record = await store.byFireId(id);
        if (!record)
          throw new KtimerError(
            'not_found',
            `run ${id} was cancelled before it started (its task was paused or deleted), or is not on record (history_per_task = 0)`,
          );
      }
      if (record && record.retry_at === undefined) return record;
      // Failed, to be retried: wait for the next attempt (kid:run.attempt).
      if (record) id = nextAttemptId(record);
      if (!record && !slowTold && Date.now() - started > slowMs) {
        slowTold = true;
        opts.onSlow?.();
      }
      if (Date.now() - started >= timeoutMs) throw stillUnderWay(id, timeoutMs);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** One run's record (its output with it), by the fire id `history` and `runs` print, or NAME:RUN. */
  async byFireId(fireId: string): Promise<RunRecord> {
    const id = await this.fireIdOf(fireId);
    const record = await (await this.deps.history()).byFireId(id);
    if (!record)
      throw new KtimerError(
        'not_found',
        `run ${id} is not on record (history_per_task and history_max_age bound it)`,
      );
    return record;
  }

  /**
   * A run's output as it is printed (the live tail), after `after` (the `next` of the page
   * before; '' from the start): service/live-output.ts.
   */
  async liveOutput(fireId: string, after = ''): Promise<LiveOutputPage> {
    const id = await this.fireIdOf(fireId);
    return liveOutputPage(this.deps, id, after);
  }

  /** The fire id `input` names: KID:RUN[.ATTEMPT], or NAME:RUN, as stored (kid:run). */
  private async fireIdOf(input: string): Promise<string> {
    const m = /^([^:]+):(\d{1,15}(?:\.\d{1,3})?)$/.exec(input.trim());
    const kid = m && isTaskRef(m[1] as string) ? await this.deps.resolveKid(m[1] as string) : null;
    if (!m || !kid)
      throw usageError(
        `fire id "${input.trim().slice(0, 50)}" is invalid; expected KID:RUN (KID:RUN.ATTEMPT for a retry) as printed by \`ktimer history\` (or NAME:RUN)`,
      );
    return `${kid}:${(m[2] as string).split('.').map(Number).join('.')}`;
  }

  private sinceMs(value: string): Promise<number> {
    return sinceMs('since', value, this.deps);
  }
}

/** A --since value as unix ms: a time ago (`1h`, `30m`, `2d`), a date, or a unix timestamp. */
export async function sinceMs(
  name: string,
  value: string,
  deps: { nowMs: () => Promise<number>; timezone: string },
): Promise<number> {
  const ago = AGO.exec(value.trim());
  if (ago) return (await deps.nowMs()) - Number(ago[1]) * UNIT_MS[ago[2] as keyof typeof UNIT_MS];
  const human = parseHumanTime(name, value, deps.timezone);
  if (human && 'atMs' in human) return human.atMs;
  if (human) throw usageError(`${name} "${value}" is invalid; a time ago is written without +: 1h, 30m, 2d`);
  return parseWhole(name, value, 0, 'a time ago (1h, 30m, 2d), a date, or a unix timestamp') * 1000;
}

/**
 * Runs come off the store in the order they were recorded, newest first: by when they ended, so a
 * long run that started first shows above the short ones that started after it. Shown latest
 * start first instead. A run that never started (skipped) goes by its due time, or, where the
 * record has none (a summary), stays beside the run recorded just after it.
 */
export function latestStartFirst<T extends { started?: number; due?: number }>(rows: readonly T[]): T[] {
  let above = Number.POSITIVE_INFINITY;
  const keyed = rows.map((row, index) => {
    above = row.started ?? row.due ?? above;
    return { row, index, key: above };
  });
  keyed.sort((a, b) => b.key - a.key || a.index - b.index);
  return keyed.map((k) => k.row);
}

function countOf(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = parseWhole('n', value, 1, `a whole number from 1 to ${RUNS_MAX}`);
  if (n > RUNS_MAX) throw usageError(`n ${n} is invalid; expected a whole number from 1 to ${RUNS_MAX}`);
  return n;
}

/** run --wait --timeout gave up: the run goes on, and how to follow it. */
function stillUnderWay(id: string, timeoutMs: number): KtimerError {
  return new KtimerError(
    'timeout',
    `run ${id} has not ended within ${timeoutMs / 1000} s and goes on (or waits for a daemon); follow it with \`ktimer history ${kidOfFireId(id)}\`, and \`ktimer output ${id}\` once it ended`,
  );
}
