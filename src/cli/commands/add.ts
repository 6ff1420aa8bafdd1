// ktimer add -type= -time= -limit= -command= [-name= [--replace]]: adds one task, or a file's.
import { taskRulesOf } from '../../service/task-service.js';
import { INPUT_FIELDS, type TaskInput } from '../../tasks/task-rules.js';
import { usageError } from '../../errors.js';
import type { CliContext } from '../context.js';

type AddOptions = TaskInput & { file?: string; replace?: boolean };

export async function run(ctx: CliContext, _words: string[], opts: AddOptions): Promise<void> {
  if (opts.file !== undefined) return addFile(ctx, opts);
  const input = taskInput(opts);
  const { task, replaced } = await (await ctx.service()).add(input, { replace: opts.replace === true });
  if (input.command === undefined)
    warnDefaultCommand(
      ctx,
      `it runs [task] default_${task.type === 'timer' ? 'timer' : 'ticker'}: ${JSON.stringify(task.command)}`,
    );
  ctx.print(`operating result:[true] newkid:[${task.kid}]${replaced ? ' replaced:[true]' : ''}`, {
    result: true,
    kid: task.kid,
    replaced,
    task,
  });
}

/** The task fields among a command's options. */
export const taskInput = (opts: TaskInput): TaskInput =>
  Object.fromEntries(INPUT_FIELDS.map((f) => [f, opts[f]]));

async function addFile(ctx: CliContext, opts: AddOptions): Promise<void> {
  const file = opts.file as string;
  if (Object.values(taskInput(opts)).some((v) => v !== undefined)) {
    throw usageError('--file takes the tasks from the file; drop the task options (-type, -time, ...)');
  }
  const { parseBulk, readBulkFile } = await import('../bulk-input.js');
  const where = file === '-' ? 'stdin' : file;
  const { specs, noCommand } = parseBulk(readBulkFile(file), where, taskRulesOf(ctx.config));
  const { kids, added, replaced } = await (
    await ctx.service()
  ).addSpecs(specs, {
    replace: opts.replace === true,
  });
  if (noCommand.length > 0) {
    const lines = noCommand.length > 5 ? `${noCommand.slice(0, 5).join(', ')}, ...` : noCommand.join(', ');
    warnDefaultCommand(
      ctx,
      `${noCommand.length} task(s) (${where}: line ${lines}) run [task] default_timer or default_ticker`,
    );
  }
  const human = `operating result:[true] added:[${added}]${opts.replace ? ` replaced:[${replaced}]` : ''}`;
  ctx.print(human, { result: true, added, replaced, kids });
}

/**
 * A forgotten -command is no error (the original ktimer's default stays), but it is said: the task
 * runs conf.ini's default, which is rarely what was meant.
 */
function warnDefaultCommand(ctx: CliContext, what: string): void {
  process.stderr.write(`ktimer: warning: no -command given: ${what} (from ${ctx.config.file})\n`);
}
