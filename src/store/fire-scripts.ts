// Definitions of the daemon's scripts (lua/claim.lua, begin.lua, finish.lua): keys, arguments
// and checked replies. "Now" always comes in as an argument (unix ms on the Redis clock).
import { CRON_LOW_WATER } from '../tasks/schedule.js';
import { isMisfire, type Misfire } from '../tasks/task.js';
import { decodeFire, type Fire } from './fire-record.js';
import { DUE_LEFT, type DueLeft, POLLER_MS } from '../runs/fire.js';
import type { RunEnding } from '../runs/record.js';
import { decodeRunRecord, encodeRunRow, type RunRecord } from './run-record.js';
import { NONE, type Script, unexpectedReply } from './script.js';

export type ClaimEntry =
  | { kind: 'fire'; fire: Fire }
  | { kind: 'expired'; kid: string; raw: string }
  | { kind: 'corrupt'; kid: string; raw: string }
  /**
   * Begun by a daemon that vanished before it finished: recorded lost (the record, whose retry_at
   * says when its retry is due, if it has one; streak: failures in a row now).
   */
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
  /** Each run's output is this + fire id (include/run-record.lua keeps it apart from its record). */
  outputPrefix: string;
  /** Bytes of output kept across the fleet, the oldest dropped first past it (0: none kept). */
  maxOutputBytes: number;
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
  /** A deleted task's mark is this + kid (del.lua): its run under way, or lost, is not retried. */
  noRetryPrefix: string;
}

export interface ClaimRequest {
  nowMs: number;
  /**
   * The claim also takes tasks due up to this many ms after nowMs (CLAIM_AHEAD_MS, runs/fire.ts):
   * their fires are handed out before their due time, to be started at it. Default 0.
   */
  aheadMs?: number;
  owner: string;
  /** The labels the daemon holds: it claims only tasks and runs that need none but these. */
  labels?: readonly string[];
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
  /** How long the poller role lasts unless claimed again; default POLLER_MS (runs/fire.ts). */
  pollerMs?: number;
  /**
   * This daemon was its label set's poller at its last claim (ClaimReply.poller): the claim keeps
   * the role in one SET ... GET; otherwise it looks with a GET and writes only to take a free role.
   * A hint for fewer commands: either way the role ends up the same.
   */
  polling?: boolean;
  /**
   * > 0: the claim begins the fires it hands out (state started), their lease held this long,
   * and no begin.lua follows; 0 or absent: leased for leaseMs, to be begun (durable-begin.ts).
   */
  beginKeepMs?: number;
  /**
   * This claim's number and the last one whose reply its daemon read (FireStore counts them):
   * fires begun by a claim whose reply was not read are handed out again.
   */
  seq?: { claim: number; acked: number };
  /**
   * Claim as the shard's holder (schedule shards, docs/shards.md): refused (ClaimReply.fenced)
   * unless `owner` holds the shard's lease. Absent with one shard: the claim reads no lease.
   */
  fenced?: boolean;
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
  /**
   * This daemon is its label set's poller: it claims again at the next due time. Otherwise
   * another daemon does (this one claims every NON_POLLER_CLAIM_MS), or this one waits for room
   * (it claims again when a slot frees, or at the next whole second).
   */
  poller: boolean;
  entries: ClaimEntry[];
  /** Refused by the shard's fence (ClaimRequest.fenced): the caller no longer holds the shard. */
  fenced?: true;
}

/** Passing over as many due tasks as there are free slots, plus 100. */
export const fullSkip = (req: Pick<ClaimRequest, 'maxShell' | 'maxUrl'>): number =>
  req.maxShell + req.maxUrl + 100;

export const HISTORY_ARGV = {
  history_prefix: 'string',
  per_task: 'number',
  max_age_ms: 'number',
  max_runs: 'number',
  streak_prefix: 'string',
  ended_name_prefix: 'string',
  output_prefix: 'string',
  max_output: 'number',
} as const;

export const historyArgs = (h: HistoryRules) => ({
  history_prefix: h.listPrefix,
  per_task: h.perTask,
  max_age_ms: h.maxAgeMs,
  max_runs: h.maxRuns,
  streak_prefix: h.streakPrefix,
  ended_name_prefix: h.endedNamePrefix,
  output_prefix: h.outputPrefix,
  max_output: h.maxOutputBytes,
});

/** The keys of the output budget (include/run-record.lua), after each history script's own. */
export const OUTPUT_KEYS = ['outputBytes', 'outputSwept'] as const;

/** claim.lua's due_left codes (DUE_LEFT's index; the Lua writes them by name, generated). */
const dueLeftOf = (code: unknown): DueLeft | undefined =>
  typeof code === 'number' ? DUE_LEFT[code] : undefined;

const CLAIM_ARGV = {
  fixed: {
    now_ms: 'number',
    now_sec: 'score',
    due_by_ms: 'number',
    due_by_sec: 'score',
    owner: 'string',
    labels: 'string',
    lease_ms: 'number',
    max_shell: 'number',
    max_url: 'number',
    expire_limit_sec: 'number',
    max_skip: 'number',
    // Read by few claims (a cron task's refill, a lost run, a run put on record): as text.
    cron_low_water: 'setting',
    lost_after_ms: 'setting',
    ...HISTORY_ARGV,
    per_task: 'setting',
    max_age_ms: 'setting',
    max_runs: 'setting',
    max_output: 'setting',
    no_retry_prefix: 'string',
    poll_ms: 'number',
    polling: 'flag',
    begin_keep_ms: 'number',
    // Written into the unread note as it came (include/claim-lease.lua).
    claim_seq: 'setting',
    acked_seq: 'number',
    fenced: 'flag',
  },
  each: NONE,
} as const;

export const CLAIM: Script<ClaimRequest, ClaimReply, typeof CLAIM_ARGV> = {
  name: 'claim',
  keys: [
    'pool',
    'schedule',
    'leases',
    'fires',
    'runs',
    'last',
    'names',
    'running',
    'queued',
    'retrying',
    'paused',
    ...OUTPUT_KEYS,
    'placement',
    'poller',
    'unread',
    'shardLease',
  ],
  argv: CLAIM_ARGV,
  encode: (req) => ({
    fixed: {
      // With its fraction: a score written with sub-ms precision is due exactly when it says.
      now_ms: req.nowMs,
      // The same double as the script's now_ms / 1000, as text: Redis reads it back exactly (the
      // shortest form that does), where a Lua number would be formatted at each call.
      now_sec: String(req.nowMs / 1000),
      // How far ahead due tasks are claimed, likewise: due_by_ms / 1000 as text.
      due_by_ms: req.nowMs + (req.aheadMs ?? 0),
      due_by_sec: String((req.nowMs + (req.aheadMs ?? 0)) / 1000),
      owner: req.owner,
      labels: (req.labels ?? []).join(','),
      lease_ms: req.leaseMs,
      max_shell: req.maxShell,
      max_url: req.maxUrl,
      expire_limit_sec: req.expireLimitSec,
      max_skip: req.maxSkip ?? fullSkip(req),
      cron_low_water: req.cronLowWater ?? CRON_LOW_WATER,
      lost_after_ms: req.history.lostAfterMs,
      ...historyArgs(req.history),
      no_retry_prefix: req.history.noRetryPrefix,
      poll_ms: req.pollerMs ?? POLLER_MS,
      polling: req.polling ?? false,
      begin_keep_ms: req.beginKeepMs ?? 0,
      claim_seq: req.seq?.claim ?? 1,
      acked_seq: req.seq?.acked ?? 0,
      fenced: req.fenced ?? false,
    },
  }),
  decode: (reply) => {
    if (!Array.isArray(reply)) throw unexpectedReply('claim', reply);
    const [score, leaseMs, code, poller] = reply as unknown[];
    const scoreMs = typeof score === 'string' ? Number(score) * 1000 : null;
    const left = dueLeftOf(code);
    if (left === 'fenced' && score === null && poller === 0 && reply.length === 4)
      return { nextDueMs: null, dueLeft: null, poller: false, entries: [], fenced: true };
    if (
      (score !== null && !Number.isFinite(scoreMs)) ||
      typeof leaseMs !== 'number' ||
      left === undefined ||
      left === 'fenced' ||
      (poller !== 0 && poller !== 1)
    )
      throw unexpectedReply('claim', reply);
    const due = [scoreMs, leaseMs < 0 ? null : leaseMs].filter((v): v is number => v !== null);
    return {
      nextDueMs: due.length === 0 ? null : Math.min(...due),
      dueLeft: left === 'none' ? null : left,
      poller: poller === 1,
      entries: (reply.slice(4) as unknown[]).map(claimEntry),
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

export interface BeginRequest {
  nowMs: number;
  owner: string;
  /** How long a begun record is kept if its daemon never reports it started. */
  keepMs: number;
  fires: readonly Pick<Fire, 'id' | 'token'>[];
}

/** A fire as the lease's holder names it. */
const LEASE_ARGV = { fire_id: 'string', token: 'string' } as const;
const leaseOf = (f: Pick<Fire, 'id' | 'token'>) => ({ fire_id: f.id, token: f.token });

const BEGIN_ARGV = {
  fixed: { now_ms: 'number', owner: 'string', keep_ms: 'number' },
  each: LEASE_ARGV,
} as const;

/** One boolean per fire: true when this owner's lease (id and token) holds and it is begun. */
export const BEGIN: Script<BeginRequest, boolean[], typeof BEGIN_ARGV> = {
  name: 'begin',
  keys: ['leases', 'fires'],
  argv: BEGIN_ARGV,
  encode: (req) => ({
    fixed: { now_ms: Math.floor(req.nowMs), owner: req.owner, keep_ms: req.keepMs },
    each: req.fires.map(leaseOf),
  }),
  decode: (reply) => flags('begin', reply),
};

/** A run that ended, as its daemon tells finish.lua. */
export interface EndedRun {
  /** Its fire, as the claim handed it out: what its record's row says of it. */
  fire: Pick<Fire, 'id' | 'token' | 'kid' | 'type' | 'kind' | 'dueMs' | 'trigger' | 'attempt' | 'name'>;
  ending: RunEnding;
  /**
   * The retry rule's verdict on a failed run (runner/retry-rule.ts): its failure is one to retry.
   * finish.lua decides the rest as the claim does for a lost run (include/retry.lua): whether the
   * retry happens (-retries left, the task not paused or deleted meanwhile) and when.
   */
  retryable: boolean;
}

export interface FinishRequest {
  owner: string;
  nowMs: number;
  history: HistoryRules;
  runs: readonly EndedRun[];
}

/**
 * Per run: recorded (this owner held its lease) or not; the task's failures in a row (after a
 * failure no retry follows, how many now, >= 1; after a success, minus how many there were); and
 * the record as finish.lua made and kept it (null when not recorded).
 */
export interface Finished {
  recorded: boolean;
  streak: number;
  /** Its retry was handed out: record.retry_at says when. */
  retried: boolean;
  record: RunRecord | null;
}

const FINISH_ARGV = {
  fixed: { owner: 'string', now_ms: 'number', no_retry_prefix: 'string', ...HISTORY_ARGV },
  each: {
    ...LEASE_ARGV,
    // How it ended: none of these but result for a run whose row is sent (the row says it).
    started_ms: 'number?',
    finished_ms: 'number?',
    lateness_ms: 'number?',
    duration_ms: 'number?',
    result: 'string',
    exit_code: 'number?',
    signal: 'string?',
    http_status: 'number?',
    timed_out: 'flag',
    error: 'string?',
    stdout: 'string?',
    stderr: 'string?',
    retryable: 'flag',
    kid: 'string',
    name: 'string?',
    row: 'string?',
  },
} as const;

/**
 * The row of each run that is not retried, made by the daemon (encodeRunRow): finish.lua files it
 * as it is (its fast path); null: finish.lua makes the record (a failure to retry: its retry_at).
 */
export function rowsOf(req: FinishRequest): (string | null)[] {
  const { history: h } = req;
  const keepsOutput = h.maxOutputBytes > 0 && h.perTask > 0 && h.maxRuns > 0;
  return req.runs.map(({ fire, ending, retryable }) =>
    ending.result === 'failed' && retryable
      ? null
      : encodeRunRow({
          fire: {
            ...fire,
            fire_id: fire.id,
            trigger: fire.trigger ?? 'schedule',
            attempt: fire.attempt ?? 1,
          },
          ending,
          owner: req.owner,
          keepsOutput,
        }),
  );
}

/**
 * A run's arguments. With its row, only what finish.lua files besides it (the row says the rest:
 * sent twice it would cost every finish its parsing); without, how it ended, to make the record.
 */
const endedArgs = ({ fire, ending: e, retryable }: EndedRun, row: string | null) => ({
  ...leaseOf(fire),
  ...(row === null
    ? {
        started_ms: e.startedMs,
        finished_ms: e.finishedMs,
        lateness_ms: e.latenessMs,
        duration_ms: e.durationMs,
        exit_code: e.exitCode,
        signal: e.signal,
        http_status: e.httpStatus,
        timed_out: e.timedOut,
        error: e.error,
      }
    : {
        started_ms: null,
        finished_ms: null,
        lateness_ms: null,
        duration_ms: null,
        exit_code: null,
        signal: null,
        http_status: null,
        timed_out: false,
        error: null,
      }),
  result: e.result,
  stdout: e.stdout,
  stderr: e.stderr,
  retryable,
  kid: fire.kid,
  name: fire.name ?? null,
  row,
});

/**
 * finish.lua's reply per run: recorded or not, the streak, and the row it kept; row null when
 * recorded: the row the daemon sent (finishedOf reads it back).
 */
export interface FinishReply {
  recorded: boolean;
  streak: number;
  row: string | null;
}

/** The replies as Finished, each recorded run's row the one finish.lua sent back or was sent. */
export function finishedOf(replies: readonly FinishReply[], rows: readonly (string | null)[]): Finished[] {
  return replies.map(({ recorded, streak, row }, i) => {
    if (!recorded) return { recorded: false, streak: 0, retried: false, record: null };
    const record = decodeRunRecord('finish', row ?? rows[i]);
    return { recorded: true, streak, retried: record.retry_at !== undefined, record };
  });
}

export const FINISH: Script<
  FinishRequest & { rows: readonly (string | null)[] },
  FinishReply[],
  typeof FINISH_ARGV
> = {
  name: 'finish',
  keys: [
    'leases',
    'fires',
    'runs',
    'last',
    'running',
    'queued',
    'retrying',
    'pool',
    'paused',
    ...OUTPUT_KEYS,
    'placement',
  ],
  argv: FINISH_ARGV,
  encode: (req) => ({
    fixed: {
      owner: req.owner,
      now_ms: Math.floor(req.nowMs),
      no_retry_prefix: req.history.noRetryPrefix,
      ...historyArgs(req.history),
    },
    each: req.runs.map((run, i) => endedArgs(run, req.rows[i] ?? null)),
  }),
  decode: (reply) => {
    if (!Array.isArray(reply)) throw unexpectedReply('finish', reply);
    return reply.map((triple: unknown): FinishReply => {
      if (!Array.isArray(triple)) throw unexpectedReply('finish', reply);
      const [recorded, streak, row] = triple as unknown[];
      if (recorded === 0 && streak === 0 && row === null) return { recorded: false, streak: 0, row: null };
      // 1: recorded with the row the daemon sent (not sent back: it knows it).
      if (recorded !== 1 || !isWhole(streak) || (typeof row !== 'string' && row !== 1))
        throw unexpectedReply('finish', reply);
      return { recorded: true, streak: streak as number, row: typeof row === 'string' ? row : null };
    });
  },
};

/**
 * How a run by hand went: handed out, waiting for the run under way, not run (overlap=skip), or
 * refused: no live daemon may run it (`labels`: what the task needs, empty for none). done: it was
 * the task's last run (a timer's one run, or the one that made up its -limit), so the task is done
 * and gone from the task list.
 */
export type RunNow =
  | { how: 'fire' | 'queued' | 'busy'; fireId: string; done: boolean }
  | { how: 'no_daemon'; labels: string[] }
  | 'missing'
  | 'corrupt';

/** Where a task that is done leaves its name, for history by name (lua/include/ended-name.lua). */
export interface EndedNames {
  namePrefix: string;
  keepMs: number;
}

export interface RunRequest {
  kid: string;
  nowMs: number;
  /** A daemon seen since this (unix ms) is live; null: hand the run out whether one is or not. */
  liveAfterMs: number | null;
  ended: EndedNames;
}

const RUN_ARGV = {
  fixed: {
    kid: 'string',
    now_ms: 'number',
    live_after: 'number?',
    ended_name_prefix: 'string',
    keep_ms: 'number',
  },
  each: NONE,
} as const;

export const RUN: Script<RunRequest, RunNow, typeof RUN_ARGV> = {
  name: 'run',
  keys: [
    'pool',
    'leases',
    'fires',
    'running',
    'queued',
    'schedule',
    'paused',
    'names',
    'placement',
    'daemons',
    'daemonsSeen',
  ],
  argv: RUN_ARGV,
  encode: ({ kid, nowMs, liveAfterMs, ended }) => ({
    fixed: {
      kid,
      now_ms: Math.floor(nowMs),
      live_after: liveAfterMs === null ? null : Math.floor(liveAfterMs),
      ended_name_prefix: ended.namePrefix,
      keep_ms: ended.keepMs,
    },
  }),
  decode: (reply) => {
    if (reply === 0) return 'missing';
    if (!Array.isArray(reply) || typeof reply[1] !== 'string') throw unexpectedReply('run', reply);
    const [how, fireId, done] = reply as [unknown, string, unknown];
    if (how === 'corrupt') return 'corrupt';
    if (how === 'no_daemon') return { how, labels: fireId === '' ? [] : fireId.split(',') };
    if (how === 'busy') return { how, fireId, done: false };
    if ((how !== 'fire' && how !== 'queued') || (done !== 0 && done !== 1))
      throw unexpectedReply('run', reply);
    return { how, fireId, done: done === 1 };
  },
};

export interface RenewRequest {
  owner: string;
  deadlineMs: number;
  fires: readonly Pick<Fire, 'id' | 'token'>[];
}

const RENEW_ARGV = { fixed: { owner: 'string', deadline_ms: 'number' }, each: LEASE_ARGV } as const;

/**
 * Renews the leases of a daemon's fires still running: no claim records them lost meanwhile. One
 * flag per fire: false when it is no longer this daemon's.
 */
export const RENEW: Script<RenewRequest, boolean[], typeof RENEW_ARGV> = {
  name: 'renew',
  keys: ['leases', 'fires'],
  argv: RENEW_ARGV,
  encode: ({ owner, deadlineMs, fires }) => ({
    fixed: { owner, deadline_ms: Math.floor(deadlineMs) },
    each: fires.map(leaseOf),
  }),
  decode: (reply) => flags('renew', reply),
};

function flags(script: string, reply: unknown): boolean[] {
  if (!Array.isArray(reply) || !reply.every((v) => v === 0 || v === 1)) throw unexpectedReply(script, reply);
  return reply.map((v) => v === 1);
}
