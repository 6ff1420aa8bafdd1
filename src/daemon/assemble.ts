// Builds the daemon's parts from conf.ini and wires them together: the store, the Redis clock,
// the shell spawners and URL runner, the dispatcher, the loop, the task service and the web API.
// Nothing here starts anything; lifecycle.ts does, in order, and stops them in reverse.
import { hostname } from 'node:os';
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import { KtimerError, messageOf } from '../errors.js';
import type { DaemonLogs } from '../log/daemon-logs.js';
import { logTaskChange } from '../log/task-change-log.js';
import { runUrl } from '../runner/run-url.js';
import { type chooseSpawner, ShellPool } from '../runner/shell-pool.js';
import { TaskService } from '../service/task-service.js';
import { openStore, type Store } from '../store/open-store.js';
import { CronRefiller } from './cron-refill.js';
import { Dispatcher } from './dispatcher.js';
import { RedisClock } from './redis-clock.js';
import { Scheduler } from './scheduler.js';

/** A claimed fire not begun within this time is taken over by another daemon. */
export const LEASE_MS = 5000;
/** A begun fire's record outlives a daemon that died before reporting it started this long. */
const STARTED_KEEP_MS = 60_000;

export interface DaemonParts {
  /** This daemon's name in leases: host:pid:random. */
  readonly owner: string;
  readonly store: Store;
  readonly clock: RedisClock;
  readonly shells: ShellPool;
  readonly dispatcher: Dispatcher;
  readonly refiller: CronRefiller;
  readonly scheduler: Scheduler;
  /** The task commands, for the web API. */
  readonly service: TaskService;
}

export interface AssembleOptions {
  config: Config;
  logs: DaemonLogs;
  spawner: ReturnType<typeof chooseSpawner>;
  /** The machine's clock; the daemon runs on the Redis clock carried forward by it. */
  local: Clock;
}

export function assembleDaemon({ config, logs, spawner, local }: AssembleOptions): DaemonParts {
  const owner = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 6)}`;
  const store = openStore(config, 'daemon');
  const clock = new RedisClock(store, local);
  const shells = new ShellPool(undefined, spawner);
  const dispatcher = new Dispatcher({
    fires: store.fires,
    clock,
    owner,
    runners: { shell: (req) => shells.run(req), url: runUrl },
    limits: {
      shell: config.task.shellConcurrency,
      url: config.task.urlConcurrency,
      timeoutMs: config.task.timeoutSec * 1000,
    },
    startedKeepMs: STARTED_KEEP_MS,
    logs,
  });
  const refiller = new CronRefiller({ tasks: store.tasks, clock, logs });
  const scheduler = new Scheduler({
    claimer: store.fires,
    sink: dispatcher,
    refills: refiller,
    clock,
    owner,
    leaseMs: LEASE_MS,
    expireLimitSec: config.task.expireLimitSec,
    logs,
  });
  dispatcher.onSlotFree(() => scheduler.slotFreed());
  store.on('ready', () => {
    logs.serve.info({ event: 'redis_ready', redis: store.address }, 'connected to Redis');
    scheduler.wake();
  });
  store.on('close', () => logs.serve.debug({ event: 'redis_close' }, 'Redis connection closed'));
  const service = new TaskService({
    config,
    store: async () => store.tasks,
    nowMs: async () => (clock.isSynced ? clock.nowMs() : store.serverTimeMs()),
    onChange: (change) => logTaskChange(logs.runed, change, 'web'),
  });
  return { owner, store, clock, shells, dispatcher, refiller, scheduler, service };
}

export interface WebHandle {
  /** host:port it listens on. */
  readonly address: string;
  close(): Promise<void>;
}

/** Starts the web API when [web] enables it (null otherwise); `info` answers its info action. */
export async function startWeb(
  config: Config,
  parts: DaemonParts,
  logs: DaemonLogs,
  info: () => Promise<Record<string, unknown>>,
): Promise<WebHandle | null> {
  if (!config.web.enable) return null;
  try {
    const { startWebServer } = await import('../web/web-server.js');
    const server = await startWebServer({
      config,
      service: parts.service,
      info,
      accessLog: logs.webac,
      errorLog: logs.error,
    });
    return { address: `${server.host}:${server.port}`, close: () => server.close() };
  } catch (err) {
    logs.error.error({ event: 'start_failed', err: messageOf(err) }, 'web API failed to start');
    throw err instanceof KtimerError
      ? err
      : new KtimerError('daemon', `web API failed to start: ${messageOf(err)}`);
  }
}
