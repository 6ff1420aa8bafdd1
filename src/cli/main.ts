// Entry point of `ktimer`: parse, run, and turn every failure into one line on stderr and the
// exit status of spec §5 (0 ok, 1 failure, 2 usage, 3 stopped). KTIMER_DEBUG=1 shows stacks.
import { CommanderError } from 'commander';
import { exitCodeOf, KtimerError, messageOf } from '../errors.js';
import { normalizeArgv } from './argv.js';
import { buildProgram, outcome } from './program.js';

export { runStats } from './run-stats.js';

export async function main(argv: readonly string[]): Promise<number> {
  const args = normalizeArgv(argv);
  if (args.length === 0) {
    process.stderr.write('ktimer: error: no command given; see `ktimer help`\n');
    return 2;
  }
  try {
    await buildProgram().parseAsync(args, { from: 'user' });
    return outcome.exitCode;
  } catch (err) {
    return report(err);
  }
}

function report(err: unknown): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.exitCode === 0)
      return 0;
    const text = err.message
      .replace(/^error: /, '')
      .replace(/\n+/g, ' ')
      .trim();
    process.stderr.write(`ktimer: error: ${text}; see \`ktimer help\`\n`);
    return 2;
  }
  if (process.env.KTIMER_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  const text = err instanceof KtimerError ? err.message : `unexpected failure: ${messageOf(err)}`;
  process.stderr.write(`ktimer: error: ${text.replace(/\s*\n\s*/g, ' ')}\n`);
  return exitCodeOf(err);
}
