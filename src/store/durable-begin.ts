// Beginning fires so that the begin survives a failover. A claim only the old master had is
// undone by a Sentinel failover, and the new master hands the task out again; so with replicas
// (redis.wait_replicas > 0) a batch runs once the replicas have its begin (WAIT). Failing that,
// it waits a moment (a failover is noticed in about a second), asks the master it now talks to
// which of these fires are still ours (begin is idempotent for its owner), and waits for the
// replicas again. After three rounds it runs what it holds: a replica is down or re-syncing, and
// the master did not change. While Redis is away the begin is retried with backoff: a fire this
// daemon holds is begun by nobody else.
import { backoffMs } from '../backoff.js';
import { type Clock, pause } from '../clock.js';
import type { Fire } from './fire-record.js';
import type { BeginRequest } from './fire-scripts.js';

const WAIT_REPLICAS_MS = 500;
const FAILOVER_SETTLE_MS = 1500;
const CONFIRM_ROUNDS = 3;
const RETRY_MAX_MS = 2000;
/** Begins again at most this many times for a late reply: a process starved for good goes on. */
const LATE_BEGINS = 3;

export interface DurableBeginOptions {
  owner: string;
  /** How long a begun record is kept if this daemon never reports it started. */
  keepMs: number;
  /** The Redis clock: "now" of each begin, and the waits. */
  clock: Clock;
  /** True once the daemon stops: a begin still failing then is given up (nothing runs). */
  shouldGiveUp(): boolean;
  /** The first failed attempt of a batch (later ones are retried quietly). */
  onRetry(err: unknown): void;
}

export interface DurableBegin {
  /** One per fire: run it. */
  allowed: boolean[];
  /** Fires whose claim a failover undid: the new master hands them out again. */
  undone: Fire[];
  /** Fires run although the replicas did not confirm them (0 without wait_replicas). */
  unconfirmed: number;
  /** redis.wait_replicas: how many replicas were asked to confirm. */
  replicas: number;
  /**
   * Until when the begun fires' leases hold (the first begin's "now" + keepMs, on the Redis clock):
   * past it, unrenewed, another daemon's claim may record them lost (daemon/lease-fence.ts).
   */
  leaseUntilMs: number;
}

interface Beginner {
  begin(req: BeginRequest): Promise<boolean[]>;
  replicasConfirming(count: number, timeoutMs: number): Promise<number>;
}

export async function beginDurably(
  store: Beginner,
  fires: readonly Fire[],
  options: DurableBeginOptions & { waitReplicas: number },
): Promise<DurableBegin> {
  const first = await beginRetrying(store, fires, options);
  const { allowed } = first;
  // begin.lua's deadline: its whole ms of "now", plus keepMs. A begin again (below) moves it on
  // for every fire still allowed, and the fence must know: confirming through a failover can take
  // longer than a lease, and a run started on the first deadline would be stopped at once.
  let leaseUntilMs = Math.floor(first.nowMs) + options.keepMs;
  const n = options.waitReplicas;
  const undone: Fire[] = [];
  for (let round = 0; n > 0 && allowed.some(Boolean) && round < CONFIRM_ROUNDS; round++) {
    if (await confirmed(store, n)) return { allowed, undone, unconfirmed: 0, replicas: n, leaseUntilMs };
    await pause(options.clock, FAILOVER_SETTLE_MS);
    const held = fires.filter((_, i) => allowed[i]);
    const retried = await beginRetrying(store, held, options);
    const again = retried.allowed;
    if (again.some(Boolean)) leaseUntilMs = Math.floor(retried.nowMs) + options.keepMs;
    held.forEach((fire, j) => {
      if (again[j]) return;
      allowed[fires.indexOf(fire)] = false;
      undone.push(fire);
    });
  }
  return {
    allowed,
    undone,
    unconfirmed: n > 0 ? allowed.filter(Boolean).length : 0,
    replicas: n,
    leaseUntilMs,
  };
}

async function confirmed(store: Beginner, n: number): Promise<boolean> {
  try {
    return (await store.replicasConfirming(n, WAIT_REPLICAS_MS)) >= n;
  } catch {
    return false; // no answer: ask the master again
  }
}

/**
 * Begins `fires`, retrying while Redis is away: which are begun, and the "now" of that begin. A
 * begin whose reply came late (queued through a reconnect, a starved process) stored a deadline
 * from a stale "now", one the lease fence may find past at once: it is begun again (by its
 * holder, that only moves the deadline on) until a reply comes within a quarter of the lease, at
 * most LATE_BEGINS times.
 */
async function beginRetrying(
  store: Beginner,
  fires: readonly Fire[],
  options: DurableBeginOptions,
  lateBegins = 0,
): Promise<{ allowed: boolean[]; nowMs: number }> {
  const begun = await beginOnce(store, fires, options);
  const { clock, keepMs } = options;
  const late = clock.nowMs() - begun.nowMs > keepMs / 4;
  if (!late || lateBegins >= LATE_BEGINS || options.shouldGiveUp() || !begun.allowed.some(Boolean))
    return begun;
  const heldAt = fires.flatMap((_, i) => (begun.allowed[i] ? [i] : []));
  const again = await beginRetrying(
    store,
    heldAt.map((i) => fires[i] as Fire),
    options,
    lateBegins + 1,
  );
  // Each fire's place among those begun again (not an indexOf per fire: a batch is hundreds).
  const allowed = fires.map(() => false);
  heldAt.forEach((i, j) => (allowed[i] = again.allowed[j] === true));
  return { allowed, nowMs: again.nowMs };
}

async function beginOnce(
  store: Beginner,
  fires: readonly Fire[],
  options: DurableBeginOptions,
): Promise<{ allowed: boolean[]; nowMs: number }> {
  for (let attempt = 0; ; attempt++) {
    const { owner, keepMs, clock } = options;
    const nowMs = clock.nowMs();
    try {
      return { allowed: await store.begin({ nowMs, owner, keepMs, fires }), nowMs };
    } catch (err) {
      if (options.shouldGiveUp()) return { allowed: fires.map(() => false), nowMs };
      if (attempt === 0) options.onRetry(err);
      await pause(options.clock, backoffMs(attempt, RETRY_MAX_MS));
    }
  }
}
