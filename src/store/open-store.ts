// The one door into the store: everything the command line, the web API and the daemon need of
// Redis, built from conf.ini. Nothing outside store/ imports another file of it (ARCHITECTURE.md).
// Every failure comes out as a KtimerError('redis') naming the server and what to check.
import type { Config } from '../config/config.js';
import { KtimerError } from '../errors.js';
import { ChangeStore } from './change-store.js';
import { FireStore, type FireStoreApi } from './fire-store.js';
import { FleetStore } from './fleet-store.js';
import { HistoryStore, type HistoryStoreApi } from './history-store.js';
import { LiveOutputStore } from './live-output-store.js';
import { type StoreKeys, storeKeys } from './keys.js';
import { RedisAccess } from './redis-access.js';
import { onFunctionsNotice } from './redis-functions.js';
import { type Durability, durabilityOf } from './redis-durability.js';
export { type Durability, evictionWarning, noAofWarning } from './redis-durability.js';
import { RunFeed, type RunFeedApi, ShardedRunFeed } from './run-feed.js';
import {
  type ClientProfile,
  connectClient,
  createRedis,
  describeRedis,
  failureReason,
  redisError,
} from './redis-client.js';
import type { RedisClient } from './script.js';
import { Resharder } from './reshard.js';
import { ShardedFireStore, ShardedHistoryStore } from './sharded-fires.js';
import { ShardedTaskStore } from './sharded-tasks.js';
import { claimerOf, ShardLeases } from './shard-leases.js';
import { shardKeyNames } from './shards.js';
import { TaskStore, type TaskStoreApi } from './task-store.js';
import { UiSessionStore } from './ui-session-store.js';

export type { DurableBegin, DurableBeginOptions } from './durable-begin.js';
export type { Fire } from './fire-record.js';
export {
  type ClaimEntry,
  type ClaimReply,
  type ClaimRequest,
  type EndedRun,
  type Finished,
  fullSkip,
  type HistoryRules,
  type RunNow,
} from './fire-scripts.js';
export type { RunOutcome, RunRecord, RunSummary, RunTrigger } from './run-record.js';
export { nextAttemptId } from '../runs/ids.js';
export type { FireStoreApi as FireStore } from './fire-store.js';
export type { ShardLeases } from './shard-leases.js';
export type { Resharder, ReshardCount } from './reshard.js';
export {
  DAEMON_FORGET_MS,
  DAEMON_LIVE_MS,
  type DaemonRecord,
  type FleetStore,
  HEARTBEAT_MS,
  type LabelSetLoad,
  type SeenDaemon,
} from './fleet-store.js';
export type { HistoryStoreApi as HistoryStore, RunsQuery } from './history-store.js';
export type { LiveBatch, LiveChunk, LiveEntry, LiveOutputStore } from './live-output-store.js';
export { WATCH_MS } from './live-output-store.js';
export type { FedRun, RunFeedApi as RunFeed } from './run-feed.js';
export type { UiSessionStore } from './ui-session-store.js';
export type { ChangeEntry, ChangeStore } from './change-store.js';
export type { RunningFire } from './running-fires.js';
export type { ClientProfile } from './redis-client.js';
export type {
  AddResult,
  ApplyBatchRows,
  ApplyReply,
  ApplyRow,
  RowStatus,
  BatchNameTaken,
  BatchResult,
  Deleted,
  ListAfter,
  ListPage,
  ListWindow,
  NameTaken,
  NewTask,
  PauseStatus,
  Refill,
  Resume,
  ResumeStatus,
  StoredTask,
  TaskStoreApi as TaskStore,
  UpdateResult,
} from './task-store.js';

export interface Store {
  readonly tasks: TaskStoreApi;
  readonly fires: FireStoreApi;
  /** The run history: a task's runs, every task's, one run's record. */
  readonly history: HistoryStoreApi;
  /** The schedule shards ([redis] shards): their leases, and a claim on those a daemon holds. */
  readonly shards: ShardLeases;
  /** Moves the fleet's tasks and history to `to` shards (`ktimer reshard`; reshard.ts). */
  resharder(to: number): Resharder;
  /** Running runs' output as it is printed, for whoever follows them. */
  readonly live: LiveOutputStore;
  /** The dashboard's login sessions, shared by every daemon on this Redis. */
  readonly uiSessions: UiSessionStore;
  /** The fleet: its name, its daemons, the label sets its tasks wait in. */
  readonly fleet: FleetStore;
  /** Who changed what: every task change, fleet-wide, bounded as the history. */
  readonly changes: ChangeStore;
  /** A follower of the runs stream, on a connection of its own opened at its first read. */
  runFeed(): RunFeedApi;
  /** Where it is: `host:port db N`, `sentinel master NAME via ...` or `cluster ...`. */
  readonly address: string;
  /**
   * The first connection. One-shot: fails fast, bounded by redis.connect_timeout. Daemon: on
   * failure the client keeps reconnecting with backoff in the background.
   */
  connect(): Promise<void>;
  /** The server's clock, unix ms with microsecond precision: the clock every machine shares. */
  serverTimeMs(): Promise<number>;
  serverInfo(): Promise<{ version: string | null }>;
  /** The masters that may evict ktimer's keys, and those without AOF (redis-durability.ts). */
  durability(): Promise<Durability>;
  /**
   * Checks that this Redis holds the fleet of conf.ini's [redis] fleet (recording it there if it
   * holds none): a KtimerError('fleet') naming both fleets and the key when not. Every daemon and
   * command asks before it reads a task. `written`: this call recorded it.
   */
  checkFleet(): Promise<{ fleet: string; written: boolean }>;
  /** Resolves when the server answers a PING (health checks). */
  ping(): Promise<void>;
  /** Connection events, for the daemon's serve.log. */
  on(event: 'ready' | 'close', listener: () => void): void;
  /** Said once: Redis refuses Functions, so the scripts run by EVALSHA (redis-functions.ts). */
  onScriptsByEval(listener: (message: string) => void): void;
  close(): Promise<void>;
}

/** The store of `config`, not yet connected (the client is made; a bad Cluster config throws). */
export function openStore(config: Config, profile: ClientProfile): Store {
  const client = createRedis(config, profile);
  const failure = async (err: unknown) => redisError(config, await failureReason(client, err));
  const accesses = shardKeyNames(config.keys, config.redis.shards).map(
    (names) => new RedisAccess(client, storeKeys(names), failure),
  );
  const redis = accesses[0] as RedisAccess;
  const fleet = new FleetStore(redis, accesses);
  const h = config.history;
  const rulesOf = (keys: StoreKeys) => historyRulesOf(config, keys);
  const historyRules = rulesOf(redis.keys);
  const liveLabels = async (sinceMs: number): Promise<string[][]> =>
    (await fleet.daemons()).daemons.filter((d) => d.seen_ms >= sinceMs).map((d) => [...d.labels]);
  const { tasks, fires, history } = shardedStores(accesses, config.redis.waitReplicas, rulesOf, liveLabels);
  return {
    tasks,
    fires,
    history,
    shards: new ShardLeases(accesses, claimerOf(fires)),
    resharder: (to) =>
      new Resharder(
        accesses,
        shardKeyNames(config.keys, to).map((names) => new RedisAccess(client, storeKeys(names), failure)),
      ),
    live: new LiveOutputStore(redis),
    uiSessions: new UiSessionStore(redis),
    fleet,
    changes: new ChangeStore(redis, { maxEntries: h.maxRuns, maxAgeMs: historyRules.maxAgeMs }),
    address: describeRedis(config),
    runFeed: () =>
      accesses.length > 1 ? new ShardedRunFeed(accesses) : new RunFeed(redis, () => blockingClient(config)),
    connect: () => connectClient(client, config, profile),
    serverTimeMs: () =>
      redis.call(async (c) => {
        const [sec, usec] = await c.time();
        return Number(sec) * 1000 + Number(usec) / 1000;
      }),
    checkFleet: () => checkFleet(config, fleet),
    serverInfo: () =>
      redis.call(async (c) => ({ version: /redis_version:(\S+)/.exec(await c.info('server'))?.[1] ?? null })),
    durability: () => redis.call(durabilityOf),
    ping: () =>
      redis.call(async (c) => {
        await c.ping();
      }),
    on: (event, listener) => {
      client.on(event, listener);
    },
    onScriptsByEval: (listener) => {
      onFunctionsNotice(client, listener);
    },
    // The daemon's QUIT lets the server finish what was sent (a web request may be under way); a
    // one-shot command has its replies already and spares the round trip. A client that is not
    // connected must not try.
    close: async () => {
      if (profile === 'daemon' && client.status === 'ready')
        await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    },
  };
}

/** What the history keeps, with one shard's key names. */
function historyRulesOf(config: Config, keys: StoreKeys) {
  const h = config.history;
  return {
    perTask: h.perTask,
    maxAgeMs: h.maxAgeSec * 1000,
    maxRuns: h.maxRuns,
    listPrefix: keys.history,
    outputPrefix: keys.output,
    maxOutputBytes: h.maxOutputBytes,
    lostAfterMs: config.task.lostAfterSec * 1000,
    streakPrefix: keys.streak,
    endedNamePrefix: keys.endedName,
    noRetryPrefix: keys.noRetry,
  };
}

/** One shard: its stores as they are. More: a store per shard, behind the facades that route. */
function shardedStores(
  accesses: readonly RedisAccess[],
  waitReplicas: number,
  rulesOf: (keys: StoreKeys) => ReturnType<typeof historyRulesOf>,
  liveLabels: (sinceMs: number) => Promise<string[][]>,
): { tasks: TaskStoreApi; fires: FireStoreApi; history: HistoryStoreApi } {
  const per = accesses.map((a) => ({
    tasks: new TaskStore(a, rulesOf(a.keys)),
    fires: new FireStore(a, waitReplicas, rulesOf(a.keys)),
    history: new HistoryStore(a),
  }));
  const [one] = per;
  if (one && per.length === 1) return one;
  return {
    tasks: new ShardedTaskStore(
      per.map((p) => p.tasks),
      liveLabels,
    ),
    fires: new ShardedFireStore(per.map((p) => p.fires)),
    history: new ShardedHistoryStore(per.map((p) => p.history)),
  };
}

/** A connection of its own for the runs stream's follower (XREAD BLOCK holds it). */
async function blockingClient(config: Config): Promise<RedisClient> {
  const blocking = createRedis(config, 'daemon');
  try {
    await connectClient(blocking, config, 'daemon');
  } catch (err) {
    blocking.disconnect();
    throw err;
  }
  return blocking;
}

/** Store.checkFleet: a daemon or command pointed at another fleet's Redis, refused in one line. */
async function checkFleet(config: Config, fleet: FleetStore): Promise<{ fleet: string; written: boolean }> {
  const mine = config.redis.fleet;
  const { held, written, shards } = await fleet.nameHeld(mine, config.redis.shards);
  if (held !== mine)
    throw new KtimerError(
      'fleet',
      `Redis at ${describeRedis(config)} holds fleet ${held}, but ${config.file} says [redis] fleet = ${mine}: no task was read. Point [redis] at fleet ${mine}'s Redis, or set fleet = ${held} to join that fleet`,
    );
  if (shards !== config.redis.shards)
    throw new KtimerError(
      'fleet',
      `fleet ${mine} at ${describeRedis(config)} has ${shards} shard${shards === 1 ? '' : 's'}, but ${config.file} says [redis] shards = ${config.redis.shards}: no task was read. Set shards = ${shards} there (\`ktimer reshard\` changes the fleet's count)`,
    );
  return { fleet: mine, written };
}
