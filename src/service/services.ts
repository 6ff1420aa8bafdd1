// The services a front end runs the task commands through, wired the one way: the command line
// (cli/context.ts) and the web API's thread (daemon/web-worker.ts) both build them here, from a
// config, a store (connected on first use), where task changes are logged and who makes them.
// Every change gets its runed.log line and its entry in the change log (change-log.ts) from here.
import type { Config } from '../config/config.js';
import type { Store } from '../store/open-store.js';
import { FleetService } from './fleet-service.js';
import { type ChangeActor, ChangeLog } from './change-log.js';
import { HistoryService } from './history-service.js';
import { type TaskChange, TaskService } from './task-service.js';
import { TaskBoard } from './task-board.js';

export interface ServicesDeps {
  config: Config;
  /** The store; a one-shot command connects it on first use, after checking its input. */
  store: () => Promise<Store>;
  /** Every change the services make (runed.log): not optional, so none goes unlogged. */
  onChange: (change: TaskChange) => void;
  /** Who makes the changes now: the command line's user, or the web request's login. */
  actor: () => ChangeActor;
  /** A change made that could not be recorded in the change log (stderr, error.log). */
  warn: (message: string) => void;
}

export interface Services {
  tasks: TaskService;
  history: HistoryService;
  fleet: FleetService;
  /** Who changed what: recorded as changes are made, read by `ktimer changes`. */
  changes: ChangeLog;
  /** The dashboard's tasks at a glance: filters with counts, sorting, pages. */
  board: TaskBoard;
}

export function openServices({ config, store, onChange, actor, warn }: ServicesDeps): Services {
  // "Now" is the Redis server's clock: every machine's due times agree.
  const nowMs = async () => (await store()).serverTimeMs();
  const fleet = new FleetService({ config, fleet: async () => (await store()).fleet });
  const timezone = config.task.timezone;
  const changes = new ChangeLog({
    changes: async () => (await store()).changes,
    actor,
    nowMs,
    timezone,
    warn,
  });
  const board = new TaskBoard({
    tasks: async () => (await store()).tasks,
    history: async () => (await store()).history,
  });
  const tasks = new TaskService({
    config,
    store: async () => (await store()).tasks,
    nowMs,
    onChange: (change) => {
      onChange(change);
      changes.record(change);
      // The board's tasks read before it are stale now (their change log entry may come later).
      board.forget();
    },
    liveLabels: () => fleet.liveLabels(),
  });
  const history = new HistoryService({
    history: async () => (await store()).history,
    live: async () => (await store()).live,
    resolveKid: (ref) => tasks.resolveHistoryKid(ref),
    nowMs,
    timezone,
  });
  return { tasks, history, fleet, changes, board };
}
