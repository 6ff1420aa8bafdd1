// Entry point of `ktimer`: parse, run, and turn every failure into one line on stderr (and,
// with --json, one JSON document on stdout) with the exit status docs/command-line.md documents (0 ok, 1 failure,
// 2 usage, 3 stopped). KTIMER_DEBUG=1 shows stacks.
import { type CommandUnknownOpts, CommanderError } from '@commander-js/extra-typings';
import { type ErrorCode, exitCodeOf, KtimerError, messageOf } from '../errors.js';
import { normalizeArgv } from './argv.js';
import { buildProgram, outcome } from './program.js';
import { didYouMean, similar } from './suggest.js';

export { runStats } from './run-stats.js';

export async function main(argv: readonly string[]): Promise<number> {
  ignoreClosedPipes();
  const args = normalizeArgv(argv);
  if (args.length === 0) {
    process.stderr.write('ktimer: error: no command given; see `ktimer help`\n');
    return 2;
  }
  const program = buildProgram(args);
  try {
    await program.parseAsync(args, { from: 'user' });
    return outcome.exitCode;
  } catch (err) {
    return report(err, program, args);
  }
}

/**
 * `ktimer help | head -1`: the reader is gone, which is no failure of ours. Node reports the
 * closed pipe as an 'error' event that would crash the command with a stack trace; the command
 * goes on instead (a daemon started in the foreground keeps running) and exits as it would.
 */
function ignoreClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
}

interface Failure {
  code: ErrorCode;
  exitCode: number;
  text: string;
  details?: Record<string, unknown>;
}

function report(err: unknown, program: CommandUnknownOpts, args: readonly string[]): number {
  if (err instanceof CommanderError && isHelp(err)) return 0;
  if (process.env.KTIMER_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  const failure = describe(err, program, args);
  // A file's problems (apply): one line each, as they name their own file lines.
  const lines = problemLines(err) ?? [failure.text];
  process.stderr.write(lines.map((line) => `ktimer: error: ${line}\n`).join(''));
  if (program.opts().json === true) {
    const doc = { ok: false, code: failure.code, error: failure.text, ...failure.details };
    process.stdout.write(`${JSON.stringify(doc)}\n`);
  }
  return failure.exitCode;
}

/** The lines of an error listing problems (an apply file's, each naming its file line). */
function problemLines(err: unknown): string[] | null {
  if (!(err instanceof KtimerError) || !Array.isArray(err.details?.problems)) return null;
  return err.message.split('\n').filter((line) => line.trim() !== '');
}

const isHelp = (err: CommanderError): boolean =>
  err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.exitCode === 0;

function describe(err: unknown, program: CommandUnknownOpts, args: readonly string[]): Failure {
  if (err instanceof CommanderError) {
    const text = err.message
      .replace(/^error: /, '')
      .replace(/\n+/g, ' ')
      .trim();
    return {
      code: 'usage',
      exitCode: 2,
      text: `${text}${suggestion(err, program, args)}; see \`ktimer help\``,
    };
  }
  const text = err instanceof KtimerError ? err.message : `unexpected failure: ${messageOf(err)}`;
  return {
    code: err instanceof KtimerError ? err.code : 'internal',
    exitCode: exitCodeOf(err),
    text: text.replace(/\s*\n\s*/g, ' '),
    details: err instanceof KtimerError ? err.details : undefined,
  };
}

/** Names close to an unknown command or option (see suggest.ts). */
function suggestion(err: CommanderError, program: CommandUnknownOpts, args: readonly string[]): string {
  if (err.code === 'commander.unknownCommand') {
    const word = /unknown command '([^']*)'/.exec(err.message)?.[1] ?? '';
    return didYouMean(similar(word, [...program.commands.map((c) => c.name()), 'help']));
  }
  if (err.code === 'commander.unknownOption') {
    const flag = /unknown option '([^']*)'/.exec(err.message)?.[1] ?? '';
    const name = flag.replace(/^-+/, '').replace(/=[\s\S]*$/, '');
    const cmd = program.commands.find((c) => args.includes(c.name())) ?? program;
    const names = [...cmd.options, ...program.options]
      .filter((o) => !o.hidden && o.long !== undefined)
      .map((o) => (o.long as string).slice(2));
    return didYouMean(similar(name, [...names, 'help']).map((n) => `--${n}`));
  }
  return '';
}
