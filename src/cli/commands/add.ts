// ktimer add -type= -time= -limit= -command=: adds one task.
import type { TaskInput } from '../../tasks/task-rules.js';
import { warnStray } from '../argv.js';
import type { CliContext } from '../context.js';

export async function run(ctx: CliContext, words: string[], opts: TaskInput): Promise<void> {
  warnStray(words);
  const input = taskInput(opts);
  await ctx.prepareChangeLog();
  const task = await (await ctx.service()).add(input);
  ctx.print(`operating result:[true] newkid:[${task.kid}]`, { result: true, kid: task.kid, task });
}

export const taskInput = (opts: TaskInput): TaskInput => ({
  type: opts.type,
  time: opts.time,
  limit: opts.limit,
  command: opts.command,
});
