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
  await warnIfNoDaemon(ctx, [task.on ?? []], `task ${task.kid}`);
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
  await warnIfNoDaemon(
    ctx,
    specs.map((s) => s.on ?? []),
    'its tasks',
  );
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

/**
 * A task stored that no live daemon may run is no error (a daemon with its labels may come), but
 * it is said, once per set of labels, naming the labels none holds (docs/fleet.md).
 */
export async function warnIfNoDaemon(
  ctx: CliContext,
  sets: readonly string[][],
  what: string,
): Promise<void> {
  if (sets.every((on) => on.length === 0)) return;
  const { whyNoDaemon } = await import('../../service/fleet-service.js');
  const live = await (await ctx.fleet()).liveLabels();
  const seen = new Set<string>();
  for (const on of sets) {
    const key = on.join(',');
    if (on.length === 0 || seen.has(key)) continue;
    seen.add(key);
    const why = whyNoDaemon(on, live);
    if (why !== null)
      process.stderr.write(
        `ktimer: warning: ${why}; ${what} with -on=${key} wait${what.startsWith('task ') ? 's' : ''} until one comes (\`ktimer daemons\` lists them)\n`,
      );
  }
}
