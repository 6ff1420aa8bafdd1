// ktimer completion bash|zsh: prints the completion script (completion-script.ts). With --tasks
// it prints what the scripts complete a KID with: the names and kids of the first tasks by next
// run (one list page, COMPLETION_TASKS of them), one a line.
import { usageError } from '../../errors.js';
import { bashScript, completionSpec, zshScript } from '../completion-script.js';
import type { CliContext } from '../context.js';
import { buildProgram } from '../program.js';

/** Tasks offered: one page of `list` (a big store completes its first ones by next run). */
const COMPLETION_TASKS = '1000';

export async function run(ctx: CliContext, words: string[], opts: { tasks?: boolean }): Promise<void> {
  if (opts.tasks) {
    const { tasks } = await (await ctx.service()).list({ count: COMPLETION_TASKS });
    const names = tasks.flatMap((t) => (t.name === undefined ? [] : [t.name]));
    process.stdout.write([...names, ...tasks.map((t) => t.kid)].map((w) => `${w}\n`).join(''));
    return;
  }
  const [shell] = words;
  const spec = completionSpec(buildProgram([]));
  if (shell === 'bash') process.stdout.write(bashScript(spec));
  else if (shell === 'zsh') process.stdout.write(zshScript(spec));
  else
    throw usageError(
      `${shell === undefined ? 'the shell is missing' : `no completion for "${shell}"`}; give bash or zsh: source <(ktimer completion bash)`,
    );
}
