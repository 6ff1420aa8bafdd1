// Tasks written straight into Redis in the layout of README "Redis layout", as `ktimer add` stores them: for
// tests that need what the command line cannot make (overdue, many at once, a fixed kid).
import type { Cluster, Redis } from 'ioredis';
import { encodeTask, type Task } from '../../src/tasks/task.js';

/** A timer never run yet, due at `run_nexttime`: 5 s, limit 1, `true`, unless `fields` say otherwise. */
export function storedTask(fields: Partial<Task> & Pick<Task, 'run_nexttime'>): Task {
  return { type: 'timer', time: 5, limit: 1, command: 'true', run_num: 0, run_lasttime: 0, ...fields };
}

/**
 * Stores each task under its kid, its JSON in the pool hash and its next run in the schedule, in
 * MULTI batches of 1,000 (hash and schedule agree after each batch, as after `ktimer add`). A task
 * with labels (`on`) goes, as `add` places it, into its label set's schedule under `keys.placement`
 * (the registry, which then holds the set's earliest time); without that key, into the schedule.
 */
export async function storeTasks(
  client: Redis | Cluster,
  keys: { pool: string; schedule: string; placement?: string },
  tasks: Iterable<readonly [kid: string, task: Task]>,
): Promise<void> {
  let multi = client.multi();
  let queued = 0;
  for (const [kid, task] of tasks) {
    const set = task.on?.join(',') ?? '';
    if (set === '' || keys.placement === undefined)
      multi.hset(keys.pool, kid, encodeTask(task)).zadd(keys.schedule, task.run_nexttime, kid);
    else
      multi
        .hset(keys.pool, kid, encodeTask(task))
        .zadd(`${keys.placement}:schedule:${set}`, task.run_nexttime, kid)
        .zadd(keys.placement, 'LT', Math.floor(task.run_nexttime * 1000), set);
    if (++queued % 1000 === 0) {
      await multi.exec();
      multi = client.multi();
    }
  }
  await multi.exec();
}
