// The daemon's life: take the pidfile, open the logs, assemble the parts, reach Redis (retrying in
// the background), start the web API (in its own thread), run the loop; on SIGTERM/SIGINT stop
// it all in reverse order and let running tasks finish for shutdown_grace; SIGQUIT (stop --now)
// stops the same way but kills running tasks at once, also cutting short a stop under way.
// SIGHUP reopens the logs, the web API thread's webac.log too.
import { mkdirSync } from 'node:fs';
import { type Clock, systemClock } from '../clock.js';
import type { Config } from '../config/config.js';
import { exposedSecretsWarning } from '../config/exposed-secrets.js';
import { KtimerError, messageOf } from '../errors.js';
import { type DaemonLogs, openDaemonLogs } from '../log/daemon-logs.js';
import { chooseSpawner } from '../runner/shell-pool.js';
import { VERSION } from '../version.js';
import { evictionWarning } from '../store/open-store.js';
import { assembleDaemon, type DaemonParts, startWeb, type WebHandle } from './assemble.js';
import { DaemonStatus } from './daemon-status.js';
import { removePidfile } from './pidfile.js';
import { acquirePidfile } from './pidfile-lock.js';
import { type DaemonMode, removeState, STATE_REFRESH_MS, stateFileOf } from './state-file.js';

/** At shutdown, alerts under way are given this long to go out. */
const NOTIFY_GRACE_MS = 3000;

export interface RunningDaemon {
  /** Redis reached at start-up, or the reason it was not (the daemon keeps retrying). */
  redisProblem: string | null;
  /** Redis reached, but it may evict keys (store/redis-durability.ts): the warning, else null. */
  redisWarning: string | null;
  webAddress: string | null;
  /** Starts firing tasks (after start-up was reported, so no task inherits the report pipe). */
  run(): void;
  /** Resolves when the daemon has shut down, with the exit code. */
  done: Promise<number>;
}

interface Started {
  config: Config;
  logs: DaemonLogs;
  parts: DaemonParts;
  web: WebHandle | null;
  status: DaemonStatus;
}

export async function startDaemon(
  config: Config,
  local: Clock = systemClock,
  mode: DaemonMode = 'foreground',
): Promise<RunningDaemon> {
  const spawner = chooseSpawner();
  acquirePidfile(config.pidfile, process.pid);
  const logs = await undoOnFailure(config, null, async () => {
    if (!config.log.stdout) mkdirSync(config.log.dir, { recursive: true });
    return openDaemonLogs(config);
  });
  const parts = await undoOnFailure(config, { logs }, async () =>
    assembleDaemon({ config, logs, spawner, local }),
  );
  parts.shells.warm();
  const { redisProblem, redisWarning } = await undoOnFailure(config, { logs, parts }, () =>
    firstConnection(parts, logs),
  );
  const status = new DaemonStatus(config, parts, local, stateFileOf(config.pidfile), mode);
  const web = await undoOnFailure(config, { logs, parts }, () =>
    startWeb(config, logs, {
      info: () => status.info(),
      metrics: () => parts.metrics.scrape(),
      health: () => status.health(),
      onListening: (address) => {
        status.webAddress = address;
        status.touch();
      },
    }),
  );
  const started: Started = { config, logs, parts, web, status };
  parts.dispatcher.onSlotFree(() => status.touch());
  // `ktimer check` right after `start -d` sees the loop up at once, not at the next write.
  void parts.scheduler.firstClaim.then(() => status.writeNow());
  status.touch();
  const refresh = setInterval(() => status.touch(), STATE_REFRESH_MS);
  logStart(started, spawner.kind);
  const done = onSignals(started, {
    stop: (signal) => {
      clearInterval(refresh);
      return shutdown(started, signal);
    },
    hurry: () => parts.dispatcher.hurry(),
  });
  const run = () => {
    parts.presence.start();
    parts.scheduler.start();
  };
  return { redisProblem, redisWarning, webAddress: status.webAddress, run, done };
}

function logStart({ config, logs, parts, status }: Started, spawner: string): void {
  logs.serve.info(
    {
      event: 'start',
      version: VERSION,
      owner: parts.owner,
      config: config.file,
      redis: parts.store.address,
      web: status.webAddress,
      shell_spawner: spawner,
    },
    'ktimer daemon started',
  );
  // `start` said it on stderr too; serve.log keeps it for whoever reads the logs later.
  const exposed = exposedSecretsWarning(config);
  if (exposed) logs.serve.warn({ event: 'config_exposed', file: config.file }, exposed);
}

/**
 * Runs a start-up step; if it fails, lets go of what was taken before it (the pidfile always,
 * then the logs and the parts) and rethrows.
 */
async function undoOnFailure<T>(
  config: Config,
  taken: { logs: DaemonLogs; parts?: DaemonParts } | null,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (taken?.parts) {
      await taken.parts.shells.close();
      await taken.parts.store.close();
    }
    removePidfile(config.pidfile, process.pid);
    await taken?.logs.close();
    throw err;
  }
}

/**
 * The first connection: waited for, so `start -d` can say whether Redis answered; not fatal. A
 * Redis that holds another fleet is: the daemon does not start (its loop checks again before its
 * first claim when Redis was away).
 */
async function firstConnection(
  parts: DaemonParts,
  logs: DaemonLogs,
): Promise<{ redisProblem: string | null; redisWarning: string | null }> {
  try {
    await parts.store.connect();
    await parts.clock.sync();
  } catch (err) {
    const problem = messageOf(err);
    logs.serve.warn({ event: 'redis_down', err: problem }, 'Redis not reachable at start-up; retrying');
    return { redisProblem: problem, redisWarning: null };
  }
  try {
    await parts.presence.verify();
  } catch (err) {
    if (err instanceof KtimerError && err.code === 'fleet') {
      logs.error.error({ event: 'wrong_fleet', err: err.message }, "not this daemon's fleet");
      throw err;
    }
    // Redis went away meanwhile: the loop checks before its first claim.
  }
  // Said to whoever starts it too: the look the connection made (assemble.ts wakeOnRedis).
  const evicting = (await parts.lastDurability())?.evicting ?? [];
  return { redisProblem: null, redisWarning: evicting.length > 0 ? evictionWarning(evicting) : null };
}

/** What the signals do: stop (once), and kill running tasks without waiting (SIGQUIT). */
interface SignalActions {
  stop(signal: string): Promise<void>;
  hurry(): void;
}

/**
 * Installs the signal handlers; the promise resolves with the exit code once stopped (1 when the
 * loop stopped for good: its fleet is not the one Redis holds).
 */
function onSignals({ logs, web, parts }: Started, actions: SignalActions): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stopOn = (signal: string, code = 0) => {
      // Before or during a stop: either way, running tasks are killed now.
      if (signal === 'SIGQUIT') actions.hurry();
      if (stopping) return;
      stopping = true;
      void actions.stop(signal).then(() => resolve(code));
    };
    parts.scheduler.onFatal((err) => {
      logs.error.error({ event: 'wrong_fleet', err: err.message }, "not this daemon's fleet: stopping");
      stopOn('wrong_fleet', 1);
    });
    process.on('SIGTERM', () => stopOn('SIGTERM'));
    process.on('SIGINT', () => stopOn('SIGINT'));
    process.on('SIGQUIT', () => stopOn('SIGQUIT'));
    process.on('SIGHUP', () => {
      logs.reopen();
      web?.reopen();
      logs.serve.info({ event: 'reopen' }, 'received SIGHUP: log files reopened');
    });
    process.on('unhandledRejection', (reason) => {
      logs.error.error(
        { event: 'unhandled_rejection', err: messageOf(reason) },
        'unhandled promise rejection',
      );
    });
  });
}

/**
 * Stops in reverse order of start: no more claims, no more requests, running tasks finish (or
 * are killed after shutdown_grace, or at once after SIGQUIT), spawners end, started fires are forgotten, Redis let go,
 * state file and pidfile removed, logs flushed.
 */
async function shutdown({ config, logs, parts, web, status }: Started, signal: string): Promise<void> {
  const { scheduler, dispatcher, shells, store } = parts;
  logs.serve.info(
    { event: 'stopping', signal, running: dispatcher.runningCount },
    `received ${signal}: stopping`,
  );
  status.stop();
  await scheduler.stop();
  // Its shards go to the others at once, not when their leases run out.
  await parts.shards?.leave().catch(() => {});
  // It claims no more: `run` no longer counts on it.
  await parts.presence.stop();
  await web?.close().catch(() => {});
  const killed = await dispatcher.drain(config.task.shutdownGraceSec * 1000);
  if (killed > 0) {
    const reason = dispatcher.hurried ? 'SIGQUIT' : 'shutdown_grace';
    logs.serve.warn(
      { event: 'killed', count: killed, reason },
      dispatcher.hurried
        ? 'running tasks killed at once (SIGQUIT: ktimer stop --now)'
        : 'tasks still running after shutdown_grace were killed',
    );
  }
  await shells.close();
  // The end of followed runs, for whoever follows them.
  await parts.live.close();
  // The runs that ended go on record (those the daemon could not record go lost, from their lease).
  await parts.recorder.close();
  // Alerts of the last runs: a little while, not shutdown_grace (a receiver may be down).
  await parts.notifier.close(NOTIFY_GRACE_MS);
  await store.close();
  removeState(stateFileOf(config.pidfile));
  removePidfile(config.pidfile, process.pid);
  logs.serve.info({ event: 'stop', fired_total: dispatcher.firedTotal }, 'ktimer daemon stopped');
  await logs.close();
}
