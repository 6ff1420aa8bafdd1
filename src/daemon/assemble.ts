// Builds the daemon's parts from conf.ini and wires them together: the store, the Redis clock,
// the shell spawners and URL runner, the dispatcher, the loop, and the web API's thread.
// Nothing here starts anything; lifecycle.ts does, in order, and stops them in reverse.
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import { readEnvFile } from '../config/env-file.js';
import { KtimerError, messageOf } from '../errors.js';
import type { DaemonLogs } from '../log/daemon-logs.js';
import { maskEnvValues } from '../log/env-mask.js';
import { maskUrlUserinfo } from '../log/mask-userinfo.js';
import { Notifier } from '../notify/notifier.js';
import { Metrics, type TaskCounts } from '../metrics/metrics.js';
import { FleetService } from '../service/fleet-service.js';
import { runUrl } from '../runner/run-url.js';
import { type chooseSpawner, ShellPool } from '../runner/shell-pool.js';
import { LEASE_MS } from '../runs/fire.js';
import { ownerIdOf } from '../runs/ids.js';
import {
  DAEMON_LIVE_MS,
  type Durability,
  evictionWarning,
  noAofWarning,
  openStore,
  type RunRecord,
  type Store,
} from '../store/open-store.js';
import { CronRefiller } from './cron-refill.js';
import { Dispatcher } from './dispatcher.js';
import { LivePublisher } from './live-publisher.js';
import type { LoopHealth } from './health.js';
import { FleetPresence } from './presence.js';
import type { LeaseFenceDeps } from './lease-fence.js';
import { RunRecorder } from './run-recorder.js';
import { RedisClock } from './redis-clock.js';
import { Scheduler } from './scheduler.js';
import { ShardKeeper, type ShardEvent } from './shard-keeper.js';
import { WebThread } from './web-thread.js';

export interface DaemonParts {
  /** This daemon's name in leases: name:pid:tag (runs/ids.ts; [daemon] name, the host's by default). */
  readonly owner: string;
  readonly store: Store;
  readonly clock: RedisClock;
  readonly shells: ShellPool;
  readonly dispatcher: Dispatcher;
  /** Puts fires on record (run history) and keeps the leases of those running. */
  readonly recorder: RunRecorder;
  readonly refiller: CronRefiller;
  readonly scheduler: Scheduler;
  /** Alerts ([notify]): failures and recoveries POSTed, in the background. */
  readonly notifier: Notifier;
  /** What /metrics shows (docs/metrics-and-health.md). */
  readonly metrics: Metrics;
  /** Its fleet checked before the first claim, its heartbeat (`ktimer daemons`). */
  readonly presence: FleetPresence;
  /** Running runs' output, published for whoever follows them (`output --follow`). */
  readonly live: LivePublisher;
  /** The schedule shards it claims, by leases ([redis] shards > 1; null: one shard, claimed by all). */
  readonly shards: ShardKeeper | null;
  /**
   * What the look at Redis's memory and persistence made at the last connection found (null: none
   * yet, or it failed): start-up reports it without asking Redis again.
   */
  lastDurability(): Promise<Durability | null>;
}

export interface AssembleOptions {
  config: Config;
  logs: DaemonLogs;
  spawner: ReturnType<typeof chooseSpawner>;
  /** The machine's clock; the daemon runs on the Redis clock carried forward by it. */
  local: Clock;
}

/** What every part is built on: this daemon's id, its store and clock, its logs. */
interface Base {
  config: Config;
  logs: DaemonLogs;
  /** Its name ([daemon] name): the host of its runs on record, in runed.log and alerts. */
  host: string;
  owner: string;
  store: Store;
  clock: RedisClock;
}

export function assembleDaemon({ config, logs, spawner, local }: AssembleOptions): DaemonParts {
  // First: a file that cannot be read stops the start before anything is opened.
  const everyTask = config.task.envFile === '' ? {} : readEnvFile(config.task.envFile);
  const host = config.daemon.name;
  const owner = ownerIdOf(host, process.pid, Math.random().toString(36).slice(2, 6));
  const store = openStore(config, 'daemon');
  const base: Base = { config, logs, host, owner, store, clock: new RedisClock(store, local) };
  const shells = new ShellPool({
    spawner,
    orphans: config.task.keepOrphans
      ? { stop: false }
      : { stop: true, graceMs: config.task.shutdownGraceSec * 1000 },
    // [task] env_file's variables; a task's own `ktimer` calls use this daemon's config
    // (docs/running-tasks.md).
    env: { ...everyTask, KTIMER_CONFIG: config.file },
  });
  // Its sources are read at a scrape, once the parts below exist.
  const metrics: Metrics = new Metrics({
    running: (kind): number => dispatcher.countRunning(kind),
    redisUp: (): boolean => scheduler.redisHealthy,
    taskCounts: () => taskCounts(config, store),
  });
  const notifier = new Notifier({
    notify: config.notify,
    host,
    cwd: dirname(config.file),
    // As the logs mask them: URL credentials, the task's -env values.
    mask: (text, env) => maskUrlUserinfo(maskEnvValues(text, env)),
    logs,
    onGivenUp: () => metrics.notificationFailed(),
  });
  // The fence stops a run through the dispatcher, built below (a run starts only once both exist).
  const recorder = buildRecorder(base, metrics, notifier, (id, signal, untilMs, revoked) =>
    dispatcher.fence(id, signal, untilMs, revoked),
  );
  const live = new LivePublisher({ live: store.live, clock: base.clock, logs });
  const dispatcher = buildDispatcher(base, { shells, recorder, metrics, live });
  const refiller = buildRefiller(base, metrics);
  const presence = buildPresence(
    base,
    () => dispatcher.runningCount,
    () => scheduler.msSinceClaim(),
  );
  const shards = buildShardKeeper(base, metrics);
  const scheduler = buildScheduler(base, { dispatcher, refiller, metrics, notifier, presence, shards });
  dispatcher.onSlotFree(() => scheduler.slotFreed());
  const lastDurability = wakeOnRedis(base, scheduler);
  return {
    lastDurability,
    owner,
    store,
    clock: base.clock,
    shells,
    dispatcher,
    recorder,
    refiller,
    scheduler,
    notifier,
    metrics,
    presence,
    live,
    shards,
  };
}

/**
 * A connection made again wakes the loop; serve.log says so, and warns when Redis may evict keys
 * or keeps no AOF (store/redis-durability.ts): at each connection, as a failover or restart may
 * bring other settings, each once for as long as it stays the same. Returns the last look's.
 */
function wakeOnRedis({ store, logs }: Base, scheduler: Scheduler): () => Promise<Durability | null> {
  let last: Promise<Durability | null> = Promise.resolve(null);
  const warned = { evict: '', aof: '' };
  const warn = (kind: keyof typeof warned, event: string, text: string, fields: object) => {
    if (text !== '' && text !== warned[kind]) logs.serve.warn({ event, ...fields }, text);
    warned[kind] = text;
  };
  store.on('ready', () => {
    logs.serve.info({ event: 'redis_ready', redis: store.address }, 'connected to Redis');
    scheduler.wake();
    last = store.durability().then(
      (durability) => {
        const { evicting, withoutAof } = durability;
        warn('evict', 'redis_may_evict', evicting.length > 0 ? evictionWarning(evicting) : '', {
          risks: evicting,
        });
        warn('aof', 'redis_without_aof', withoutAof.length > 0 ? noAofWarning(withoutAof) : '', {
          nodes: withoutAof,
        });
        return durability;
      },
      // The loop says what is wrong with Redis; this look is only advice.
      () => null,
    );
  });
  store.on('close', () => logs.serve.debug({ event: 'redis_close' }, 'Redis connection closed'));
  store.onScriptsByEval((message) => logs.serve.warn({ event: 'redis_functions_refused' }, message));
  return () => last;
}

const SHARD_EVENT_WORDS: Record<ShardEvent, string> = {
  taken: 'taken',
  let_go: 'let go',
  refused: "claim refused: its lease is no longer this daemon's (paused or cut off past it); dropped",
};

/** With more than one shard: the leases that say which shards it claims (shard-keeper.ts). */
function buildShardKeeper(b: Base, metrics: Metrics): ShardKeeper | null {
  const { store, owner, clock, logs } = b;
  if (store.shards.count <= 1) return null;
  return new ShardKeeper({
    shards: store.shards,
    owner,
    labels: b.config.daemon.labels,
    nowMs: () => clock.nowMs(),
    liveDaemons: async () => {
      const { nowMs, daemons } = await store.fleet.daemons();
      return daemons.filter((d) => nowMs - d.seen_ms <= DAEMON_LIVE_MS).length;
    },
    onChange: (event, shard) => {
      if (event === 'refused') metrics.shardClaimRefused();
      logs.serve.info({ event: `shard_${event}`, shard }, `shard ${shard} ${SHARD_EVENT_WORDS[event]}`);
    },
  });
}

/** Cron tasks' run times, computed ahead; a parked task's missed runs go on record as this daemon's. */
function buildRefiller(b: Base, metrics: Metrics): CronRefiller {
  return new CronRefiller({ tasks: b.store.tasks, clock: b.clock, logs: b.logs, metrics, owner: b.owner });
}

/** Its heartbeat in the fleet (`ktimer daemons`): what it is, and how its loop and runs go. */
function buildPresence(b: Base, running: () => number, msSinceClaim: () => number | null): FleetPresence {
  const { store, config, owner, clock, logs } = b;
  return new FleetPresence({ store, config, owner, host: hostname(), clock, running, msSinceClaim, logs });
}

/** The task gauges: tasks, paused ones, and those whose labels no live daemon holds. */
async function taskCounts(config: Config, store: Store): Promise<TaskCounts> {
  const fleet = new FleetService({ config, fleet: () => Promise.resolve(store.fleet) });
  const [counts, unplaced] = await Promise.all([store.tasks.counts(), fleet.unplaced()]);
  return { ...counts, withoutDaemon: unplaced.reduce((sum, u) => sum + u.tasks, 0) };
}

function buildRecorder(
  b: Base,
  metrics: Metrics,
  notifier: Notifier,
  stop: LeaseFenceDeps['stop'],
): RunRecorder {
  return new RunRecorder({
    fires: b.store.fires,
    clock: b.clock,
    owner: b.owner,
    // A begun fire's lease: renewed while it runs; once it runs out (its daemon gone), lost.
    keepMs: b.config.task.lostAfterSec * 1000,
    logs: b.logs,
    onRecorded: (record, streak, retried, { fire, ending }) => {
      if (retried) metrics.retryScheduled(record.kind);
      notifier.runRecorded({ record, task: fire, stdout: ending.stdout, stderr: ending.stderr }, streak);
    },
    // Cut off from Redis, it stops its runs before their leases run out (docs/guarantees.md).
    fence: { graceMs: b.config.task.shutdownGraceSec * 1000, stop },
  });
}

function buildDispatcher(
  b: Base,
  { shells, recorder, metrics, live }: Pick<DaemonParts, 'shells' | 'recorder' | 'metrics' | 'live'>,
): Dispatcher {
  const { task } = b.config;
  return new Dispatcher({
    fires: b.store.fires,
    recorder,
    clock: b.clock,
    owner: b.owner,
    host: b.host,
    runners: { shell: (req, onOutput) => shells.run(req, onOutput), url: runUrl },
    limits: {
      shell: task.shellConcurrency,
      url: task.urlConcurrency,
      timeoutMs: task.timeoutSec * 1000,
      outputMax: task.outputMax,
    },
    startedKeepMs: task.lostAfterSec * 1000,
    logs: b.logs,
    metrics,
    live,
  });
}

function buildScheduler(
  b: Base,
  {
    dispatcher,
    refiller,
    metrics,
    notifier,
    presence,
    shards,
  }: Pick<DaemonParts, 'dispatcher' | 'refiller' | 'metrics' | 'notifier' | 'presence' | 'shards'>,
): Scheduler {
  return new Scheduler({
    claimer: shards ?? b.store.fires,
    sink: dispatcher,
    refills: refiller,
    clock: b.clock,
    owner: b.owner,
    labels: b.config.daemon.labels,
    // No task is read before Redis is found to hold this daemon's fleet.
    gate: () => presence.verify(),
    leaseMs: LEASE_MS,
    // Begun by the claim, as the dispatcher's begin would (its startedKeepMs): one round trip less.
    beginKeepMs: b.config.task.lostAfterSec * 1000,
    expireLimitSec: b.config.task.expireLimitSec,
    logs: b.logs,
    onLost: (record, streak) => void alertLost(b, notifier, record, streak),
    metrics,
  });
}

/** A run recorded lost: its alert names its task as it is now (if it still is), or by kid. */
async function alertLost(b: Base, notifier: Notifier, record: RunRecord, streak: number): Promise<void> {
  // Streaks under the threshold send nothing: no lookup.
  if (Math.abs(streak) < b.config.notify.failureThreshold) return;
  const stored = await b.store.tasks.get(record.kid).catch(() => null);
  notifier.runRecorded({ record, task: stored?.task ?? {} }, streak);
}

export interface WebHandle {
  /** host:port it listens on. */
  readonly address: string;
  /** Reopens webac.log (SIGHUP). */
  reopen(): void;
  close(): Promise<void>;
}

export interface WebHooks {
  /** The daemon's state, for the info action. */
  info: () => Record<string, unknown>;
  /** The Prometheus text, for /metrics. */
  metrics: () => Promise<string>;
  /** The loop's health, for /healthz. */
  health: () => LoopHealth;
  /** Where it listens; null while its thread is down. */
  onListening: (address: string | null) => void;
}

/**
 * Starts the web API when [web] enables it (null otherwise), in a thread of its own
 * (web-thread.ts): its sockets, requests and webac.log never hold up the loop.
 */
export async function startWeb(config: Config, logs: DaemonLogs, hooks: WebHooks): Promise<WebHandle | null> {
  if (!config.web.enable) return null;
  try {
    const web = new WebThread({ config, logs, stdout: logs.stdout, ...hooks });
    await web.start();
    return web;
  } catch (err) {
    logs.error.error({ event: 'start_failed', err: messageOf(err) }, 'web API failed to start');
    throw err instanceof KtimerError
      ? err
      : new KtimerError('daemon', `web API failed to start: ${messageOf(err)}`);
  }
}
