// The task and fire stores over a test's own client and key names: what openStore() builds from
// conf.ini, for integration tests that give each test its own keys on one redis-server.
import type { Cluster, Redis } from 'ioredis';
import { KtimerError, messageOf } from '../../src/errors.js';
import type { HistoryRules } from '../../src/store/fire-scripts.js';
import { FireStore, type FireStoreApi } from '../../src/store/fire-store.js';
import type { RunEnding } from '../../src/runs/record.js';
import type { EndedRun, Fire } from '../../src/store/open-store.js';
import { type StoreKeys, storeKeys } from '../../src/store/keys.js';
import { RedisAccess } from '../../src/store/redis-access.js';
import { TaskStore } from '../../src/store/task-store.js';

/** Key names under `prefix` (prefix:all, prefix:second, prefix:lock...). */
export const testKeys = (prefix: string): StoreKeys =>
  storeKeys({ pool: `${prefix}:all`, trun: `${prefix}:second`, lock: `${prefix}:lock` });

/** conf.ini's default history rules, over `keys`. */
export const historyRules = (keys: StoreKeys, over: Partial<HistoryRules> = {}): HistoryRules => ({
  perTask: 100,
  maxAgeMs: 7 * 86_400_000,
  maxRuns: 100_000,
  listPrefix: keys.history,
  outputPrefix: keys.output,
  maxOutputBytes: 256 * 1024 * 1024,
  lostAfterMs: 60_000,
  streakPrefix: keys.streak,
  endedNamePrefix: keys.endedName,
  noRetryPrefix: keys.noRetry,
  ...over,
});

export function storesOn(
  client: Redis | Cluster,
  keys: StoreKeys,
  waitReplicas = 0,
  history: HistoryRules = historyRules(keys),
): { tasks: TaskStore; fires: FireStore } {
  const access = new RedisAccess(client, keys, (err) =>
    err instanceof KtimerError ? err : new KtimerError('redis', messageOf(err)),
  );
  return {
    tasks: new TaskStore(access, history),
    fires: new FireStore(access, waitReplicas, history),
  };
}

/**
 * One fire store per daemon (owner), as each daemon keeps its own; over the keys `keysNow()`
 * gives (a test file's current keys), on the client `clientNow()` gives. `reset()` forgets them.
 */
export function fireStoresByOwner(clientNow: () => Redis | Cluster, keysNow: () => StoreKeys) {
  const stores = new Map<string, FireStore>();
  return {
    of(owner: string): FireStore {
      let store = stores.get(owner);
      if (!store) {
        store = storesOn(clientNow(), keysNow()).fires;
        stores.set(owner, store);
      }
      return store;
    },
    reset: () => stores.clear(),
  };
}

/**
 * How a run of `fire` ended, as a daemon tells finish.lua: started at `startedMs` (lateness from
 * its due), ran 5 ms (or `durationMs`), ok with exit 0 or failed with exit 1 (or `exitCode`).
 */
export function endingOf(
  fire: Fire,
  o: {
    startedMs: number;
    ok?: boolean;
    durationMs?: number;
    exitCode?: number;
    stdout?: string;
    stderr?: string;
  },
): RunEnding {
  const ok = o.ok ?? true;
  const durationMs = o.durationMs ?? 5;
  return {
    startedMs: o.startedMs,
    finishedMs: o.startedMs + durationMs,
    latenessMs: o.startedMs - fire.dueMs,
    durationMs,
    result: ok ? 'ok' : 'failed',
    exitCode: o.exitCode ?? (ok ? 0 : 1),
    signal: null,
    httpStatus: null,
    timedOut: false,
    error: null,
    stdout: o.stdout ?? '',
    stderr: o.stderr ?? '',
  };
}

/**
 * A run that ended as `ending` says; `retryable`: its failure is one to retry (finish.lua then
 * retries it, after runs/retry.ts's wait, if its task has -retries left).
 */
export const endedRun = (fire: Fire, ending: RunEnding, retryable = false): EndedRun => ({
  fire,
  ending,
  retryable,
});

/**
 * A daemon's round for the fires due at `nowMs`, as the loop, dispatcher and recorder do it: claim
 * (room for 10 of a kind, unless `room` says more), begin, and finish each with the ending
 * `endingOf` makes (a failure worth a retry when `retryable`). Returns the fires and
 * whether each went on record.
 */
export async function claimBeginFinish(
  fires: FireStoreApi,
  o: {
    nowMs: number;
    owner?: string;
    room?: number;
    endingOf: (fire: Fire) => RunEnding;
    retryable?: boolean;
  },
): Promise<{ fired: Fire[]; recorded: boolean[] }> {
  const owner = o.owner ?? 'A';
  const room = o.room ?? 10;
  const reply = await fires.claim({
    nowMs: o.nowMs,
    owner,
    leaseMs: 5000,
    maxShell: room,
    maxUrl: room,
    expireLimitSec: 0,
  });
  const fired = reply.entries.flatMap((e) => (e.kind === 'fire' ? [e.fire] : []));
  await fires.begin({ nowMs: o.nowMs, owner, keepMs: 60_000, fires: fired });
  const done = await fires.finish({
    owner,
    nowMs: o.nowMs + 5,
    runs: fired.map((f) => endedRun(f, o.endingOf(f), o.retryable === true)),
  });
  return { fired, recorded: done.map((d) => d.recorded) };
}
