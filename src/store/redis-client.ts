// Builds the ioredis client from [redis]: a single server, Sentinel or Cluster. Two profiles:
// a one-shot command fails fast and never retries; the daemon reconnects with backoff. Used
// only inside store/ (open-store.ts is the door).
import calculateSlot from 'cluster-key-slot';
import { shardKeyNames } from './shards.js';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config/config.js';
import { backoffMs } from '../backoff.js';
import { KtimerError, messageOf } from '../errors.js';
import { type StoreKeys, storeKeys } from './keys.js';
import type { RedisClient } from './script.js';

export type ClientProfile = 'oneshot' | 'daemon';

/** Backoff between reconnect attempts of the daemon: 100 ms doubling up to 5 s. */
const reconnectDelayMs = (attempt: number): number => backoffMs(attempt, 5000);

export function describeRedis(cfg: Config): string {
  const r = cfg.redis;
  if (r.cluster.length > 0) return `cluster ${r.cluster.map((n) => `${n.host}:${n.port}`).join(',')}`;
  if (r.sentinels.length > 0) {
    return `sentinel master ${r.sentinelName} via ${r.sentinels.map((n) => `${n.host}:${n.port}`).join(',')}`;
  }
  return `${r.host}:${r.port} db ${r.db}`;
}

export function createRedis(cfg: Config, profile: ClientProfile): RedisClient {
  const r = cfg.redis;
  const oneshot = profile === 'oneshot';
  const base: RedisOptions = {
    username: r.user || undefined,
    password: r.passwd || undefined,
    db: r.db,
    connectTimeout: r.connectTimeoutMs,
    lazyConnect: true,
    // A one-shot command fails at once when Redis is away; the daemon's loop retries itself.
    enableOfflineQueue: false,
    // 0: a command in flight when the connection drops fails at once. (With 1, ioredis keeps it
    // past the first reconnect and, as it does not resend it, its promise never settles.)
    maxRetriesPerRequest: 0,
    // A lost reply must not be replayed: a claim sent twice would claim twice.
    autoResendUnfulfilledCommands: false,
    // No await on Redis may hang the loop, whatever the network does.
    commandTimeout: oneshot ? r.connectTimeoutMs : 15_000,
    retryStrategy: oneshot ? () => null : reconnectDelayMs,
    // After a Sentinel failover the old master turns replica and refuses writes: reconnect, so
    // that the client asks the sentinels for the new master.
    reconnectOnError: (err) => /^READONLY/.test(err.message),
    // The daemon's connect waits for INFO to say the dataset is loaded (after a restart). A
    // one-shot command spares that round trip: a server still loading answers its command
    // with LOADING, which it reports, and commandTimeout bounds a server that never answers.
    enableReadyCheck: !oneshot,
    // No CLIENT SETINFO at connect: two round trips, and reading ioredis' package.json (which
    // the bundle lacks) loaded fs/promises into every command.
    disableClientInfo: true,
  };
  let client: RedisClient;
  if (r.cluster.length > 0) {
    checkClusterSlots(cfg);
    client = new Cluster(
      r.cluster.map((n) => ({ host: n.host, port: n.port })),
      {
        lazyConnect: true,
        enableOfflineQueue: false,
        clusterRetryStrategy: oneshot ? () => null : reconnectDelayMs,
        redisOptions: { ...base, db: undefined, lazyConnect: undefined },
      },
    );
  } else if (r.sentinels.length > 0) {
    client = new Redis({
      ...base,
      sentinels: r.sentinels.map((n) => ({ host: n.host, port: n.port })),
      name: r.sentinelName,
      sentinelRetryStrategy: oneshot ? () => null : reconnectDelayMs,
      // Listen for +switch-master on the sentinels and move to the new master at once, so no
      // daemon keeps claiming on a demoted master (its writes would be discarded).
      failoverDetector: !oneshot,
    });
  } else {
    client = new Redis({ ...base, host: r.host, port: r.port });
  }
  // Errors reach callers through the promises (the event would otherwise print a stack). The
  // connection's own error is kept: it says why commands fail while the client is offline, or
  // unauthenticated (a NOAUTH is only the consequence of a failed AUTH, kept instead).
  client.on('error', (err: Error) => {
    if (!NOAUTH.test(err.message)) connectionErrors.set(client, err);
  });
  client.on('ready', () => connectionErrors.delete(client));
  return client;
}

/** The last error of each client's connection (ECONNREFUSED, ...), until it is ready again. */
const connectionErrors = new WeakMap<RedisClient, Error>();
/** A reconnect's outcome being waited for, one wait per client however many commands failed. */
const outcomes = new WeakMap<RedisClient, Promise<Error | undefined>>();
/** How long a failed command waits for the reconnect under way to say why Redis is away. */
const OUTCOME_WAIT_MS = 1000;

/**
 * ioredis' words for a command sent while it is not connected, or flushed when the connection
 * closed under it (maxRetriesPerRequest 0): they say nothing of why.
 */
const OFFLINE = /Stream isn't writeable|enableOfflineQueue|Connection is closed|max retries per request/i;
const NOAUTH = /^NOAUTH/;
/** A MULTI refused as a whole says why after this (the fleet check is one: NOAUTH comes so). */
const EXECABORT = /^EXECABORT Transaction discarded because of: /;

/**
 * What to report for a failed command: the failure itself, or for ioredis' "not connected" the
 * connection's own error. None seen yet means the connection has just closed (Redis shutting
 * down closes it cleanly) and the reconnect is under way: its outcome says it (ECONNREFUSED).
 * A command refused with NOAUTH after the connection's AUTH failed gets that failure (WRONGPASS);
 * a transaction refused for a NOAUTH, that NOAUTH.
 */
export async function failureReason(client: RedisClient, err: unknown): Promise<unknown> {
  // A transaction refused for a command it queued (OOM, READONLY...): that command's error says
  // why. (A connection that closed rejects every command with one error, EXEC's own among them.)
  const queued = (err as { previousErrors?: unknown } | null)?.previousErrors;
  const cause: unknown = Array.isArray(queued)
    ? (queued as unknown[]).find((e) => e instanceof Error && e !== err)
    : undefined;
  if (cause !== undefined) err = cause;
  const message = messageOf(err).replace(EXECABORT, '');
  if (NOAUTH.test(message)) return connectionErrors.get(client) ?? new Error(message);
  if (!OFFLINE.test(message)) return err;
  return connectionErrors.get(client) ?? (await reconnectOutcome(client)) ?? err;
}

function reconnectOutcome(client: RedisClient): Promise<Error | undefined> {
  if (!['connect', 'connecting', 'reconnecting'].includes(client.status)) return Promise.resolve(undefined);
  let outcome = outcomes.get(client);
  if (!outcome) {
    outcome = new Promise((resolve) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        client.off('error', done);
        client.off('ready', done);
        outcomes.delete(client);
        resolve(err instanceof Error ? err : undefined);
      };
      const timer = setTimeout(done, OUTCOME_WAIT_MS);
      timer.unref();
      client.on('error', done);
      client.on('ready', done);
    });
    outcomes.set(client, outcome);
  }
  return outcome;
}

/**
 * The first connection; throws one clear line saying what failed and where. A one-shot client
 * bounds the whole handshake (a frozen server accepts the TCP connection but never answers) and
 * lets go of the socket on failure; the daemon's keeps reconnecting in the background.
 */
export async function connectClient(client: RedisClient, cfg: Config, profile: ClientProfile): Promise<void> {
  if (profile === 'daemon') {
    await client.connect().catch(async (err: unknown) => {
      throw redisError(cfg, await failureReason(client, err));
    });
    await selectDb(client, cfg);
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${cfg.redis.connectTimeoutMs / 1000} s`)),
      cfg.redis.connectTimeoutMs,
    );
  });
  try {
    await Promise.race([client.connect(), deadline]);
    await selectDb(client, cfg);
  } catch (err) {
    client.disconnect();
    // The socket's own error (ECONNREFUSED, ...) says more than ioredis' "Connection is closed".
    throw redisError(cfg, connectionErrors.get(client) ?? err);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * ioredis selects redis.db at connect, but a SELECT the server refuses (a db beyond its
 * `databases`) only emits an error event and leaves the connection on db 0, where every command
 * would then go. Selecting again, awaited, turns that into a failed start.
 */
async function selectDb(client: RedisClient, cfg: Config): Promise<void> {
  if (cfg.redis.db === 0 || client instanceof Cluster) return;
  await client.select(cfg.redis.db).catch((err: unknown) => {
    client.disconnect();
    throw redisError(cfg, err);
  });
}

/**
 * A KtimerError('redis') naming the server, the reason and what to check: `cannot reach Redis at
 * HOST:PORT: ECONNREFUSED` when the network says so, else what Redis (or ioredis) said.
 */
export function redisError(cfg: Config, err: unknown): KtimerError {
  if (err instanceof KtimerError) return err;
  const reason = messageOf(err).replace(/\s+/g, ' ');
  const hint =
    SERVER_STATES.find(([said]) => said.test(reason))?.[1] ??
    (/WRONGPASS|NOAUTH|invalid password|invalid username/i.test(reason)
      ? `check redis.user / redis.passwd in ${cfg.file}`
      : /DB index is out of range/i.test(reason)
        ? `check redis.db in ${cfg.file}`
        : `check [redis] in ${cfg.file} and that redis-server is running`);
  const code = (err as { code?: unknown } | null)?.code;
  const what =
    typeof code === 'string' && /^E[A-Z]+$/.test(code)
      ? `cannot reach Redis at ${whereIs(cfg)}: ${code}`
      : OFFLINE.test(reason)
        ? `cannot reach Redis at ${whereIs(cfg)}: the connection is closed`
        : `Redis ${describeRedis(cfg)} failed: ${reason}`;
  return new KtimerError('redis', `${what}; ${hint}`, { cause: err });
}

/**
 * What a server that answers but refuses says, and what to do: not a connection to check. A
 * daemon retries each of them; a command says it and exits 1.
 */
const SERVER_STATES: readonly (readonly [RegExp, string])[] = [
  [
    /^OOM /,
    'Redis is full (maxmemory) and refuses writes until memory is freed: raise maxmemory, or keep less history (history_per_task, history_max_output; docs/fleet.md#redis-memory-and-persistence)',
  ],
  [/^LOADING /, 'Redis is loading its data after a restart: run the command again in a moment'],
  [
    /^MISCONF /,
    'Redis refuses writes because its last snapshot failed to save: see its log (disk full? permissions?)',
  ],
  [
    /^BUSY /,
    'a script has run too long on Redis and blocks it: it ends by itself, or SCRIPT KILL ends one that wrote nothing',
  ],
  [
    /^(READONLY|MASTERDOWN) /,
    'this Redis is a replica: point [redis] at the master, or name the sentinels (redis.sentinels) so that every command finds it',
  ],
];

/** Where the client connects: host:port for a single server. */
const whereIs = (cfg: Config): string =>
  cfg.redis.cluster.length === 0 && cfg.redis.sentinels.length === 0
    ? `${cfg.redis.host}:${cfg.redis.port}`
    : describeRedis(cfg);

/** Lua scripts touch several keys at once; in a cluster they must all live in one slot. */
function checkClusterSlots(cfg: Config): void {
  const spans = shardKeyNames(cfg.keys, cfg.redis.shards).some((shard) => {
    const keys = storeKeys(shard);
    const names = (Object.keys(keys) as (keyof StoreKeys)[]).map((k) => keys[k]);
    return new Set(names.map((k) => calculateSlot(k))).size > 1;
  });
  if (spans) {
    throw new KtimerError(
      'config',
      `${cfg.file}: with redis.cluster the task keys must share a hash tag so ktimer's scripts stay on one slot; ` +
        'set task_pool_key = {ktimer}:tasks:all, task_trun_key = {ktimer}:tasks:second, task_lcok_key = {ktimer}:tasks:lock',
    );
  }
}
