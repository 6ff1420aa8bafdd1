// ktimer add -type= -time= -limit= -command=: adds one task.
import { taskRulesOf } from '../../service/task-service.js';
import { TASK_FIELDS, type TaskInput } from '../../tasks/task-rules.js';
import { usageError } from '../../errors.js';
import type { CliContext } from '../context.js';

export async function run(
  ctx: CliContext,
  _words: string[],
  opts: TaskInput & { file?: string },
): Promise<void> {
  if (opts.file !== undefined) return addFile(ctx, opts);
  const input = taskInput(opts);
  await ctx.prepareChangeLog();
  const task = await (await ctx.service()).add(input);
  ctx.print(`operating result:[true] newkid:[${task.kid}]`, { result: true, kid: task.kid, task });
}

/** The task fields among a command's options. */
export const taskInput = (opts: TaskInput): TaskInput =>
  Object.fromEntries(TASK_FIELDS.map((f) => [f, opts[f]]));

async function addFile(ctx: CliContext, opts: TaskInput & { file?: string }): Promise<void> {
  const file = opts.file as string;
  if (Object.values(taskInput(opts)).some((v) => v !== undefined)) {
    throw usageError('--file takes the tasks from the file; drop the task options (-type, -time, ...)');
  }
  const { parseBulk, readBulkFile } = await import('../bulk-input.js');
  const specs = parseBulk(readBulkFile(file), file === '-' ? 'stdin' : file, taskRulesOf(ctx.config));
  await ctx.prepareChangeLog();
  const kids = await (await ctx.service()).addSpecs(specs);
  ctx.print(`operating result:[true] added:[${kids.length}]`, { result: true, added: kids.length, kids });
}
