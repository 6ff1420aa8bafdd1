// One runed.log line for every add, update, del, clear, pause and resume (docs/logs-and-history.md), whichever
// front end made it.
import type { TaskChange } from '../service/task-service.js';
import { withEnvMasked } from './env-mask.js';

/** What a change log needs of a logger: pino's Logger, or the one-shot line writer. */
export interface LineLogger {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

export function logTaskChange(logger: LineLogger, change: TaskChange, by: 'cli' | 'web'): void {
  logger.info({ event: change.op, by, ...changeFields(change) }, `task ${change.op}`);
}

function changeFields(change: TaskChange): Record<string, unknown> {
  switch (change.op) {
    case 'add':
    case 'update':
      return { kid: change.kid, task: withEnvMasked(change.task) };
    case 'del':
      return { kids: change.kids, removed: change.removed, dropped: change.dropped };
    case 'clear':
      return { removed: change.removed };
    case 'run':
      return { kid: change.kid, fire_id: change.fire_id, state: change.state, task_done: change.task_done };
    case 'pause':
    case 'resume':
      return change.kids === 'all'
        ? { all: true, count: change.count }
        : { kids: change.kids, count: change.count };
  }
}
