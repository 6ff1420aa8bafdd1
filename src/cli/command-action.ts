// A command's action: its module loaded only when it runs (a lean start), given the options as
// commander declares them. The compiler checks each module's `run` against its command: an
// option type that does not match, or an option `run` reads that the command does not declare
// (a typo, an option taken away), fails to compile (test/unit/command-types.test.ts).
import type { Command, OptionValues } from '@commander-js/extra-typings';
import { checkStray } from './argv.js';
import { CliContext, type GlobalOptions } from './context.js';

/** What each commands/<name>.ts exports: it runs the command. */
export type CommandRun<O> = (ctx: CliContext, words: string[], opts: O) => Promise<void>;

type OptionsRead<L> = L extends () => Promise<{
  run: (ctx: CliContext, words: string[], opts: infer W) => Promise<void>;
}>
  ? W
  : never;

/** The option names a module's `run` reads and its command does not declare. */
export type Undeclared<O, L> = Exclude<keyof OptionsRead<L>, keyof O>;

/** Exit status set by the command that ran (0 unless it reports a state, like status). */
export const outcome = { exitCode: 0 };

/**
 * Sets `cmd`'s action: load the module, run it. An option `run` reads and `cmd` does not declare
 * makes the call want one more argument, naming it: a compile error, not a silent undefined.
 */
export function bindAction<
  A extends unknown[],
  O extends OptionValues,
  G extends OptionValues & GlobalOptions,
  L extends () => Promise<{ run: CommandRun<O> }>,
>(
  cmd: Command<A, O, G>,
  argv: readonly string[],
  load: L,
  ..._undeclared: [Undeclared<O, L>] extends [never] ? [] : [undeclared: Undeclared<O, L>]
): Command<A, O, G> {
  return cmd.action(async () => {
    const words = cmd.args;
    const opts = cmd.opts();
    // Words beyond the command's arguments, for every command alike (none past a variadic one).
    const variadic = cmd.registeredArguments.at(-1)?.variadic === true;
    checkStray(argv, variadic ? [] : words.slice(cmd.registeredArguments.length), opts);
    const ctx = new CliContext(cmd.optsWithGlobals());
    try {
      const mod = await load();
      await mod.run(ctx, words, opts);
      outcome.exitCode = ctx.exitCode;
    } finally {
      await ctx.close();
    }
  });
}
