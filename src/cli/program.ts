// The commander program: every command, its options and its help. Actions live in
// commands/<name>.ts and are imported only when their command runs (keeps start-up lean).
import { Command, Option } from 'commander';
import { CliContext } from './context.js';

type Action = (ctx: CliContext, words: string[], opts: Record<string, string | undefined>) => Promise<void>;

const EXAMPLES = `
Examples:
  ktimer init                                   create conf.ini (if missing) and check the setup
  ktimer add -type=timer -time=10 -command="echo -e Hello Ktimer"
  ktimer add -type=ticker -time=5 -limit=3 -command="date --rfc-3339=ns"
  ktimer add -time=1767225600 -command="https://example.com/hook?kt_post={\\"a\\":1}"
  ktimer get 912ec803b2ce49e4a541068d495ab570
  ktimer update -kid=912ec803b2ce49e4a541068d495ab570 -time=30 -limit=6
  ktimer del 912ec803b2ce49e4a541068d495ab570
  ktimer list -starttime=1767225600 -endtime=1767312000 -count=20
  ktimer count --json

Options are accepted Go-style (-time=5) and GNU-style (--time 5, --time=5).
Exit status: 0 success, 1 failure (Redis down, unknown kid, ...), 2 usage error, 3 daemon stopped (status).
Run \`ktimer help COMMAND\` for the options of one command.`;

const KID_ARG = 'the task id (or -kid=KID); further words are ignored with a warning';

/** Exit status set by the command that ran (0 unless it reports a state, like status). */
export const outcome = { exitCode: 0 };

type CommandModule = { run: Action };

// Each command's module is loaded only when it runs (a literal import per command, so a bundler
// can see them).
const COMMANDS = {
  version: () => import('./commands/version.js'),
  init: () => import('./commands/init.js'),
  count: () => import('./commands/count.js'),
  clear: () => import('./commands/clear.js'),
  get: () => import('./commands/get.js'),
  del: () => import('./commands/del.js'),
  add: () => import('./commands/add.js'),
  update: () => import('./commands/update.js'),
  list: () => import('./commands/list.js'),
  start: () => import('./commands/start.js'),
  stop: () => import('./commands/stop.js'),
  restart: () => import('./commands/restart.js'),
  status: () => import('./commands/status.js'),
  info: () => import('./commands/info.js'),
  install: () => import('./commands/install.js'),
  remove: () => import('./commands/remove.js'),
} as unknown as Record<string, () => Promise<CommandModule>>;

function action(name: keyof typeof COMMANDS) {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const words = (cmd.args ?? []) as string[];
    const ctx = new CliContext(cmd.optsWithGlobals());
    try {
      const mod = await (COMMANDS[name] as () => Promise<CommandModule>)();
      await mod.run(ctx, words, cmd.opts());
      outcome.exitCode = ctx.exitCode;
    } finally {
      await ctx.close();
    }
  };
}

const taskOptions = (cmd: Command): Command =>
  cmd
    .option('--type <type>', 'timer (fires once, the default) or ticker (fires every -time seconds)')
    .option(
      '--time <seconds>',
      "delay in seconds (default 5), or a unix timestamp beyond task_max_day days; a ticker's interval",
    )
    .option('--limit <n>', 'ticker: number of fires, 0 = without end (default); timer: 0 or 1')
    .option(
      '--command <cmd>',
      'shell command (run with /bin/bash -c) or http(s) URL; default: [task] in conf.ini',
    );

const kidOption = (cmd: Command): Command =>
  cmd
    .option('--kid <kid>', 'task id printed by add (32 hex digits; the dashed form is accepted)')
    .addOption(new Option('--key <kid>', 'old spelling of --kid').hideHelp())
    .hook('preAction', (c) => {
      const o = c.opts();
      if (o.kid === undefined && o.key !== undefined) c.setOptionValue('kid', o.key);
    });

export function buildProgram(): Command {
  const program = new Command('ktimer')
    .description(
      'ktimer: one-shot timers and repeating tickers (shell commands or URLs), fired by a daemon, stored in Redis',
    )
    .option('--config <path>', 'conf.ini to use (default: $KTIMER_CONFIG, else conf.ini beside bin/)')
    .option('--json', 'print the result as one JSON document')
    .addHelpText('after', EXAMPLES)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: () => {} });

  program.command('version').description('print the version').action(action('version'));
  program
    .command('init')
    .description(
      'create conf.ini if missing (random web password, mode 0600); check Redis, log dir, runtime dir, pidfile',
    )
    .action(action('init'));
  program.command('count').description('print the number of tasks').action(action('count'));
  program.command('clear').description('delete every task').action(action('clear'));
  kidOption(program.command('get').description('print one task').argument('[kid]', KID_ARG)).action(
    action('get'),
  );
  kidOption(program.command('del').description('delete one task').argument('[kid]', KID_ARG)).action(
    action('del'),
  );
  taskOptions(
    program
      .command('add')
      .description('add a task; prints its kid')
      .option(
        '--file <path>',
        'add one task per line of a JSON-lines file (- = stdin), in atomic batches of 1,000',
      )
      .argument('[stray...]', 'ignored, with a warning'),
  ).action(action('add'));
  taskOptions(
    kidOption(
      program
        .command('update')
        .description(
          'change a task; unspecified fields keep their values; a new time or type reschedules it from now',
        )
        .argument('[kid]', KID_ARG),
    ),
  ).action(action('update'));
  program
    .command('list')
    .description('tasks whose next run lies in a window, ordered by next run, one page at a time')
    .option('--starttime <ts>', 'window start, unix timestamp (default: no start)')
    .option('--endtime <ts>', 'window end, unix timestamp (default: no end)')
    .option('--offset <n>', 'rows to skip (default 0)')
    .option('--count <n>', 'rows to show, 1..1000 (default 100)')
    .argument('[stray...]', 'ignored, with a warning')
    .action(action('list'));

  const daemonFlag = (cmd: Command): Command =>
    cmd.option('-d, --daemon', 'detach: run in the background, return once it is up');
  daemonFlag(
    program.command('start').description('run the daemon (in the foreground, as systemd wants; -d detaches)'),
  ).action(action('start'));
  program
    .command('stop')
    .description('stop the daemon: SIGTERM, wait for running tasks (shutdown_grace), SIGKILL after')
    .action(action('stop'));
  daemonFlag(program.command('restart').description('stop, then start')).action(action('restart'));
  program
    .command('status')
    .description('is the daemon running? exit 0 if so, 3 if not')
    .action(action('status'));
  program
    .command('info')
    .description('pid, uptime, version, config, task count, Redis health, tasks running now')
    .action(action('info'));
  const unitOptions = (cmd: Command): Command =>
    cmd
      .option('--print', 'print the unit, write nothing')
      .option('--unit-dir <dir>', 'write the unit here instead of /etc/systemd/system (no systemctl calls)');
  unitOptions(
    program.command('install').description('install and enable a systemd unit running `ktimer start`'),
  ).action(action('install'));
  unitOptions(program.command('remove').description('disable and remove the systemd unit')).action(
    action('remove'),
  );

  for (const cmd of program.commands) {
    // Stray words (`abc="x*y=z" efg` in the original notes) are warned about, not refused.
    cmd
      .allowExcessArguments(true)
      .exitOverride()
      .configureOutput({ outputError: () => {} })
      .showSuggestionAfterError(true);
  }
  return program;
}
