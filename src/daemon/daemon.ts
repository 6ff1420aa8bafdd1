// The daemon: opens the logs, takes the pidfile, connects to Redis (retrying in the background),
// starts the loop and the web API, and shuts all of it down on SIGTERM/SIGINT.
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Config } from '../config/config.js';
import { KtimerError, messageOf } from '../errors.js';
import { type DaemonLogs, openDaemonLogs } from '../log/daemon-logs.js';
import { logTaskChange } from '../log/task-change-log.js';
import { chooseSpawner, ShellPool } from '../runner/shell-pool.js';
import { runUrl } from '../runner/run-url.js';
import { TaskService } from '../service/task-service.js';
import { FireStore } from '../store/fire-store.js';
import { storeKeys } from '../store/keys.js';
import { createRedis, describeRedis } from '../store/redis-client.js';
import type { RedisClient } from '../store/scripts.js';
import { TaskStore } from '../store/task-store.js';
import { VERSION } from '../version.js';
import { Dispatcher } from './dispatcher.js';
import { removePidfile } from './pidfile.js';
import { acquirePidfile } from './pidfile-lock.js';
import { RedisClock } from './redis-clock.js';
import { Scheduler } from './scheduler.js';
import { type DaemonState, removeState, stateFileOf, writeState } from './state-file.js';

/** A claimed fire not begun within this time is taken over by another daemon. */
export const LEASE_MS = 5000;
/** A begun fire's record outlives a daemon that died before reporting it started this long. */
const STARTED_KEEP_MS = 60_000;

export interface RunningDaemon {
  /** Redis reached at start-up, or the reason it was not (the daemon keeps retrying). */
  redisProblem: string | null;
  webAddress: string | null;
  /** Starts firing tasks (after start-up was reported, so no task inherits the report pipe). */
  run(): void;
  /** Resolves when the daemon has shut down, with the exit code. */
  done: Promise<number>;
}

export async function startDaemon(config: Config): Promise<RunningDaemon> {
  const spawner = chooseSpawner();
  acquirePidfile(config.pidfile, process.pid);
  mkdirSync(config.log.dir, { recursive: true });
  const logs = openDaemonLogs(config);
  const startedAt = Date.now();
  const owner = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 6)}`;
  const stateFile = stateFileOf(config.pidfile);
  const keys = storeKeys(config.keys);

  let client: RedisClient;
  try {
    client = createRedis(config, 'daemon');
  } catch (err) {
    removePidfile(config.pidfile, process.pid);
    await logs.close();
    throw err;
  }
  const fires = new FireStore(client, keys);
  const clock = new RedisClock({ serverTimeMs: () => fires.serverTimeMs() });
  const shells = new ShellPool(undefined, spawner);
  shells.warm();
  const dispatcher = new Dispatcher({
    fires,
    clock,
    owner,
    runners: { shell: (req) => shells.run(req), url: runUrl },
    limits: {
      shell: config.task.shellConcurrency,
      url: config.task.urlConcurrency,
      timeoutMs: config.task.timeoutSec * 1000,
    },
    startedKeepMs: STARTED_KEEP_MS,
    runed: logs.runed,
    error: logs.error,
    waitReplicas: config.redis.waitReplicas,
    onSlotFree: () => {
      sched.slotFreed();
      stateWriter.touch();
    },
  });
  const sched: Scheduler = new Scheduler({
    fires,
    clock,
    dispatcher,
    owner,
    leaseMs: LEASE_MS,
    expireLimitSec: config.task.expireLimitSec,
    serve: logs.serve,
    error: logs.error,
    runed: logs.runed,
  });

  const state = (): DaemonState => ({
    pid: process.pid,
    owner,
    version: VERSION,
    started_at: startedAt,
    config: config.file,
    redis: { address: describeRedis(config), healthy: sched.redisHealthy, skew_ms: Math.round(clock.skewMs) },
    web: { listening: webAddress },
    fired_total: dispatcher.firedTotal,
    failed_total: dispatcher.failedTotal,
    running: {
      shell: dispatcher.countRunning('shell'),
      url: dispatcher.countRunning('url'),
      tasks: dispatcher.snapshot(),
    },
    updated_at: Date.now(),
  });
  const stateWriter = throttledWriter(() => writeState(stateFile, state()));

  client.on('ready', () => {
    logs.serve.info({ event: 'redis_ready', redis: describeRedis(config) }, 'connected to Redis');
    sched.wake();
  });
  client.on('close', () => logs.serve.debug({ event: 'redis_close' }, 'Redis connection closed'));

  // The first connection: wait a moment so `start -d` can say whether Redis answered; a
  // failure is not fatal (ioredis keeps reconnecting with backoff).
  let redisProblem: string | null = null;
  try {
    await client.connect();
    await clock.sync();
  } catch (err) {
    redisProblem = messageOf(err);
    logs.serve.warn({ event: 'redis_down', err: redisProblem }, 'Redis not reachable at start-up; retrying');
  }

  const service = new TaskService({
    config,
    store: async () => new TaskStore(client, keys),
    nowMs: async () => (clock.isSynced ? clock.nowMs() : fires.serverTimeMs()),
    onChange: (change) => logTaskChange(logs.runed, change, 'web'),
  });
  let webAddress: string | null = null;
  let web: { close(): Promise<void> } | undefined;
  if (config.web.enable) {
    try {
      const { startWebServer } = await import('../web/web-server.js');
      const server = await startWebServer({
        config,
        service,
        info: async () => ({ ...state(), uptime_sec: Math.round((Date.now() - startedAt) / 1000) }),
        accessLog: logs.webac,
        errorLog: logs.error,
      });
      web = server;
      webAddress = `${server.host}:${server.port}`;
    } catch (err) {
      client.disconnect();
      removePidfile(config.pidfile, process.pid);
      logs.error.error({ event: 'start_failed', err: messageOf(err) }, 'web API failed to start');
      await logs.close();
      throw err instanceof KtimerError
        ? err
        : new KtimerError('daemon', `web API failed to start: ${messageOf(err)}`);
    }
  }

  stateWriter.touch();
  const stateTimer = setInterval(() => stateWriter.touch(), 5000);
  logs.serve.info(
    {
      event: 'start',
      version: VERSION,
      owner,
      config: config.file,
      redis: describeRedis(config),
      web: webAddress,
      shell_spawner: spawner.kind,
    },
    'ktimer daemon started',
  );

  let resolveDone: (code: number) => void = () => {};
  const done = new Promise<number>((r) => {
    resolveDone = r;
  });
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logs.serve.info(
      { event: 'stopping', signal, running: dispatcher.runningCount },
      `received ${signal}: stopping`,
    );
    clearInterval(stateTimer);
    await sched.stop();
    await web?.close().catch(() => {});
    const killed = await dispatcher.drain(config.task.shutdownGraceSec * 1000);
    if (killed > 0)
      logs.serve.warn(
        { event: 'killed', count: killed },
        'tasks still running after shutdown_grace were killed',
      );
    await shells.close();
    await fires.finish(owner, dispatcher.takeStarted()).catch(() => 0);
    await client.quit().catch(() => client.disconnect());
    removeState(stateFile);
    removePidfile(config.pidfile, process.pid);
    logs.serve.info({ event: 'stop', fired_total: dispatcher.firedTotal }, 'ktimer daemon stopped');
    await logs.close();
    resolveDone(0);
  };
  installSignals(logs, (signal) => void shutdown(signal));
  return { redisProblem, webAddress, run: () => sched.start(), done };
}

function installSignals(logs: DaemonLogs, stop: (signal: string) => void): void {
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    logs.reopen();
    logs.serve.info({ event: 'reopen' }, 'received SIGHUP: log files reopened');
  });
  process.on('unhandledRejection', (reason) => {
    logs.error.error({ event: 'unhandled_rejection', err: messageOf(reason) }, 'unhandled promise rejection');
  });
}

/** Calls `write` at most once a second, and only after touch(). */
function throttledWriter(write: () => void): { touch(): void } {
  let timer: NodeJS.Timeout | undefined;
  let last = 0;
  const run = () => {
    timer = undefined;
    last = Date.now();
    try {
      write();
    } catch {
      // runtime dir gone or full: info will say the state is unknown
    }
  };
  return {
    touch() {
      if (timer) return;
      const wait = Math.max(0, 1000 - (Date.now() - last));
      timer = setTimeout(run, wait);
      timer.unref();
    },
  };
}
