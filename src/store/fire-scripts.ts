// Definitions of the daemon's scripts (lua/claim.lua, begin.lua, finish.lua): keys, arguments
// and checked replies. "Now" always comes in as an argument (unix ms on the Redis clock).
import { CRON_LOW_WATER } from '../tasks/schedule.js';
import { isMisfire, type Misfire } from '../tasks/task.js';
import { decodeFire, type Fire } from './fire-record.js';
import { decodeRunRecord, encodeRunRecord, type RunRecord } from './run-record.js';
import { countReply, type Script, unexpectedReply } from './script.js';

export type ClaimEntry =
  | { kind: 'fire'; fire: Fire }
  | { kind: 'expired'; kid: string; raw: string }
  | { kind: 'corrupt'; kid: string; raw: string }
  /** Begun by a daemon that vanished before it finished: recorded lost (the record; streak: failures in a row now). */
  | { kind: 'lost'; record: RunRecord; streak: number }
  /** Came due while the task's previous run was under way (overlap): recorded skipped. */
  | { kind: 'skipped'; record: RunRecord }
  /** Runs of a ticker or cron task that were not fired, from firstDueMs on, by its misfire policy. */
  | { kind: 'missed'; kid: string; policy: Misfire; count: number; firstDueMs: number; nextDueMs: number }
  /** A cron task that needs its next run times computed (as stored now: raw). */
  | { kind: 'refill'; kid: string; raw: string };

/** What the history keeps, as claim.lua and finish.lua need it. */
export interface HistoryRules {
  /** Records per task (0: none). */
  perTask: number;
  maxAgeMs: number;
  /** Runs kept in the stream across tasks (0: none). */
  maxRuns: number;
  /** Each task's history list is this + kid. */
  listPrefix: string;
  /**
   * task_lost_after, ms: the claim records a begun fire lost once its lease ran out, but not
   * within this long of a Redis restart (nobody could renew while it was down).
   */
  lostAfterMs: number;
  /** Each task's count of failures in a row is this + kid. */
  streakPrefix: string;
  /**
   * A task that leaves holding a name records it as this + name -> kid, kept maxAgeMs from its
   * last run on record (lua/include/ended-name.lua): history and output by name.
   */
  endedNamePrefix: string;
  /** A deleted task's mark is this + kid (del.lua): its run under way is not retried. */
  noRetryPrefix: string;
}

export interface ClaimRequest {
  nowMs: number;
  owner: string;
  leaseMs: number;
  maxShell: number;
  maxUrl: number;
  expireLimitSec: number;
  /**
   * How many due tasks of a kind without room the claim may pass over to reach the other kind
   * (each costs Redis a lookup); default: fullSkip().
   */
  maxSkip?: number;
  /** A cron task carrying fewer run times than this is reported for a refill; default CRON_LOW_WATER. */
  cronLowWater?: number;
  history: HistoryRules;
}

export interface ClaimReply {
  /** Earliest schedule score or lease deadline left, unix ms (with a fraction); null: none. */
  nextDueMs: number | null;
  /**
   * What is still due: null nothing; 'room' it waits for a free slot; 'more' the claim stopped at
   * its budget with room left (claim again at once).
   */
  dueLeft: 'room' | 'more' | null;
  entries: ClaimEntry[];
}

/** Passing over as many due tasks as there are free slots, plus 100. */
export const fullSkip = (req: Pick<ClaimRequest, 'maxShell' | 'maxUrl'>): number =>
  req.maxShell + req.maxUrl + 100;

export const CLAIM: Script<ClaimRequest, ClaimReply> = {
  name: 'claim',
  keys: ['pool', 'schedule', 'leases', 'fires', 'runs', 'last', 'names', 'running', 'queued', 'retrying'],
  encode: (req) => [
    // With its fraction: a score written with sub-ms precision is due exactly when it says.
    req.nowMs,
    req.owner,
    req.leaseMs,
    req.maxShell,
    req.maxUrl,
    req.expireLimitSec,
    req.maxSkip ?? fullSkip(req),
    req.cronLowWater ?? CRON_LOW_WATER,
    ...historyArgs(req.history),
    req.history.lostAfterMs,
    req.history.streakPrefix,
    req.history.endedNamePrefix,
  ],
  decode: (reply) => {
    if (!Array.isArray(reply)) throw unexpectedReply('claim', reply);
    const [score, leaseMs, left] = reply as unknown[];
    const scoreMs = typeof score === 'string' ? Number(score) * 1000 : null;
    if (
      (score !== null && !Number.isFinite(scoreMs)) ||
      typeof leaseMs !== 'number' ||
      ![0, 1, 2].includes(left as number)
    )
      throw unexpectedReply('claim', reply);
    const due = [scoreMs, leaseMs < 0 ? null : leaseMs].filter((v): v is number => v !== null);
    return {
      nextDueMs: due.length === 0 ? null : Math.min(...due),
      dueLeft: left === 2 ? 'more' : left === 1 ? 'room' : null,
      entries: (reply.slice(3) as unknown[]).map(claimEntry),
    };
  },
};

function claimEntry(item: unknown): ClaimEntry {
  if (!Array.isArray(item)) throw unexpectedReply('claim', item);
  const [kind, a, b] = item as unknown[];
  if (kind === 'fire') return { kind, fire: decodeFire('claim', a) };
  if (kind === 'lost' && isWhole(b))
    return { kind, record: decodeRunRecord('claim', a), streak: b as number };
  if (kind === 'skipped') return { kind, record: decodeRunRecord('claim', a) };
  if ((kind === 'expired' || kind === 'corrupt') && typeof a === 'string')
    return { kind, kid: a, raw: typeof b === 'string' ? b : '' };
  if (kind === 'refill' && typeof a === 'string' && typeof b === 'string') return { kind, kid: a, raw: b };
  const [, , , count, firstDueMs, nextDueMs] = item as unknown[];
  if (
    kind === 'missed' &&
    typeof a === 'string' &&
    isMisfire(b) &&
    [count, firstDueMs, nextDueMs].every(isWhole)
  )
    return {
      kind,
      kid: a,
      policy: b,
      count: count as number,
      firstDueMs: firstDueMs as number,
      nextDueMs: nextDueMs as number,
    };
  throw unexpectedReply('claim', item);
}

const isWhole = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v);

const historyArgs = (h: HistoryRules): (string | number)[] => [
  h.listPrefix,
  h.perTask,
  h.maxAgeMs,
  h.maxRuns,
];

export interface BeginRequest {
  nowMs: number;
  owner: string;
  /** How long a begun record is kept if its daemon never reports it started. */
  keepMs: number;
  fires: readonly Pick<Fire, 'id' | 'token'>[];
}

/** One boolean per fire: true when this owner's lease (id and token) holds and it is begun. */
export const BEGIN: Script<BeginRequest, boolean[]> = {
  name: 'begin',
  keys: ['leases', 'fires'],
  encode: (req) => [
    Math.floor(req.nowMs),
    req.owner,
    req.keepMs,
    ...req.fires.flatMap((f) => [f.id, f.token]),
  ],
  decode: (reply) => flags('begin', reply),
};

export interface FinishRequest {
  owner: string;
  nowMs: number;
  history: HistoryRules;
  /** retryAtMs: when a failed run is retried (unix ms), null: it is not (record.retry_at says the same). */
  runs: readonly { fire: Pick<Fire, 'id' | 'token'>; record: RunRecord; retryAtMs?: number | null }[];
}

/**
 * Per run: recorded (this owner held its lease) or not; and the task's failures in a row: after
 * a failure no retry follows, how many now (>= 1); after a success, minus how many there were.
 */
export interface Finished {
  recorded: boolean;
  streak: number;
  /** Its retry was handed out (one was asked for, and the task may be retried). */
  retried: boolean;
}

export const FINISH: Script<FinishRequest, Finished[]> = {
  name: 'finish',
  keys: ['leases', 'fires', 'runs', 'last', 'running', 'queued', 'retrying', 'pool', 'paused'],
  encode: (req) => [
    req.owner,
    Math.floor(req.nowMs),
    ...historyArgs(req.history),
    req.history.streakPrefix,
    req.history.endedNamePrefix,
    req.history.noRetryPrefix,
    ...req.runs.flatMap(({ fire, record, retryAtMs }) => [
      fire.id,
      fire.token,
      encodeRunRecord(record),
      retryAtMs == null ? 0 : Math.round(retryAtMs),
    ]),
  ],
  decode: (reply) => {
    if (!Array.isArray(reply)) throw unexpectedReply('finish', reply);
    const flag = (v: unknown) => v === 0 || v === 1;
    return reply.map((triple: unknown) => {
      if (!Array.isArray(triple) || !flag(triple[0]) || !isWhole(triple[1]) || !flag(triple[2]))
        throw unexpectedReply('finish', reply);
      return { recorded: triple[0] === 1, streak: triple[1] as number, retried: triple[2] === 1 };
    });
  },
};

/** How a run by hand went: handed out, waiting for the run under way, or not run (overlap=skip). */
export type RunNow = { how: 'fire' | 'queued' | 'busy'; fireId: string } | 'missing' | 'corrupt';

export const RUN: Script<{ kid: string; nowMs: number }, RunNow> = {
  name: 'run',
  keys: ['pool', 'leases', 'fires', 'running', 'queued'],
  encode: ({ kid, nowMs }) => [kid, Math.floor(nowMs)],
  decode: (reply) => {
    if (reply === 0) return 'missing';
    if (!Array.isArray(reply) || typeof reply[1] !== 'string') throw unexpectedReply('run', reply);
    const [how, fireId] = reply as [unknown, string];
    if (how === 'corrupt') return 'corrupt';
    if (how !== 'fire' && how !== 'queued' && how !== 'busy') throw unexpectedReply('run', reply);
    return { how, fireId };
  },
};

export interface RenewRequest {
  owner: string;
  deadlineMs: number;
  fires: readonly Pick<Fire, 'id' | 'token'>[];
}

/** Renews the leases of a daemon's fires still running: no claim records them lost meanwhile. */
export const RENEW: Script<RenewRequest, number> = {
  name: 'renew',
  keys: ['leases', 'fires'],
  encode: ({ owner, deadlineMs, fires }) => [
    owner,
    Math.floor(deadlineMs),
    ...fires.flatMap((f) => [f.id, f.token]),
  ],
  decode: (reply) => countReply('renew', reply),
};

function flags(script: string, reply: unknown): boolean[] {
  if (!Array.isArray(reply) || !reply.every((v) => v === 0 || v === 1)) throw unexpectedReply(script, reply);
  return reply.map((v) => v === 1);
}
