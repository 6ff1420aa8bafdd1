// ktimer update -kid= [-type= -time= -limit= -command=]: changes a task, keeping its kid.
import type { TaskInput } from '../../tasks/task-rules.js';
import type { CliContext } from '../context.js';
import { taskInput, warnIfNoDaemon } from './add.js';
import { kidArgument } from './kid-argument.js';

export async function run(
  ctx: CliContext,
  words: string[],
  opts: TaskInput & { kid?: string },
): Promise<void> {
  const kid = kidArgument(words, opts.kid);
  const task = await (await ctx.service()).update(kid, taskInput(opts));
  if (opts.on !== undefined) await warnIfNoDaemon(ctx, [task.on ?? []], `task ${task.kid}`);
  ctx.print(`operating result:[true] newkid:[${task.kid}]`, { result: true, kid: task.kid, task });
}
