// The services a front end runs the task commands through, wired the one way: the command line
// (cli/context.ts) and the web API's thread (daemon/web-worker.ts) both build them here, from a
// config, a store (connected on first use) and where task changes are logged.
import type { Config } from '../config/config.js';
import type { Store } from '../store/open-store.js';
import { HistoryService } from './history-service.js';
import { type TaskChange, TaskService } from './task-service.js';

export interface ServicesDeps {
  config: Config;
  /** The store; a one-shot command connects it on first use, after checking its input. */
  store: () => Promise<Store>;
  /** Every change the services make (runed.log): not optional, so none goes unlogged. */
  onChange: (change: TaskChange) => void;
}

export interface Services {
  tasks: TaskService;
  history: HistoryService;
}

export function openServices({ config, store, onChange }: ServicesDeps): Services {
  // "Now" is the Redis server's clock: every machine's due times agree.
  const nowMs = async () => (await store()).serverTimeMs();
  const tasks = new TaskService({ config, store: async () => (await store()).tasks, nowMs, onChange });
  const history = new HistoryService({
    history: async () => (await store()).history,
    live: async () => (await store()).live,
    resolveKid: (ref) => tasks.resolveHistoryKid(ref),
    nowMs,
    timezone: config.task.timezone,
  });
  return { tasks, history };
}
