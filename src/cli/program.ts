// The commander program: every command, its options and its help. Actions live in
// commands/<name>.ts and are imported only when their command runs (keeps start-up lean).
import { Command, Option } from 'commander';
import { checkStray } from './argv.js';
import { CliContext } from './context.js';
import { commandHelp, OVERVIEW } from './help-text.js';

type Action = (ctx: CliContext, words: string[], opts: Record<string, string | undefined>) => Promise<void>;

const KID_ARG = 'the task id or its name (or -kid=KID)';

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
  next: () => import('./commands/next.js'),
  history: () => import('./commands/history.js'),
  runs: () => import('./commands/runs.js'),
  output: () => import('./commands/output.js'),
  pause: () => import('./commands/pause.js'),
  resume: () => import('./commands/resume.js'),
  run: () => import('./commands/run.js'),
  start: () => import('./commands/start.js'),
  stop: () => import('./commands/stop.js'),
  restart: () => import('./commands/restart.js'),
  status: () => import('./commands/status.js'),
  info: () => import('./commands/info.js'),
  check: () => import('./commands/check.js'),
  install: () => import('./commands/install.js'),
  remove: () => import('./commands/remove.js'),
  logout: () => import('./commands/logout.js'),
} as unknown as Record<string, () => Promise<CommandModule>>;

function commandAction(name: keyof typeof COMMANDS, argv: readonly string[]) {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const words = cmd.args;
    // Words beyond the command's arguments, for every command alike.
    checkStray(argv, words.slice(cmd.registeredArguments.length), cmd.opts().command);
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

/** The task fields; `add` names their defaults, `update` keeps a field not given. */
const taskOptions = (cmd: Command, defaults: boolean): Command => {
  const dflt = (text: string) => (defaults ? ` (default ${text})` : '');
  return cmd
    .option(
      '--type <type>',
      `timer (fires once), ticker (fires every -time seconds) or cron (at the times of -cron)${dflt('timer')}`,
    )
    .option(
      '--time <time>',
      `timer: a delay (10, +90s, +15m, +2h, +1d), a unix timestamp beyond task_max_day days, or a ` +
        `date (2026-12-24T18:00); ticker: its interval (300 or +5m); not for cron${dflt('5')}`,
    )
    .option(
      '--cron <expr>',
      'cron: 5 fields (minute hour day month weekday), 6 with seconds first, or @hourly, @daily, ' +
        '@weekly, @monthly, @yearly; quote it: -cron="0 30 3 * * *"',
    )
    .option(
      '--tz <zone>',
      `IANA time zone of -cron and of a -time date, such as Europe/Berlin${dflt('[task] timezone, else UTC')}`,
    )
    .option(
      '--misfire <policy>',
      'ticker and cron, runs missed while no daemon ran: once (fire one, go on), skip (fire none), ' +
        `all (fire each, the latest 100)${dflt('once')}`,
    )
    .option('--limit <n>', `ticker and cron: number of fires, 0 = without end; timer: 0 or 1${dflt('0')}`)
    .option(
      '--command <cmd>',
      `shell command (run with /bin/bash -c) or http(s) URL${dflt('[task] in conf.ini')}`,
    )
    .option(
      '--name <name>',
      'a unique label, taken in place of the kid by every command: a letter, then letters, digits, . _ -' +
        (defaults ? '' : '; -name= removes it'),
    )
    .option(
      '--timeout <sec>',
      `seconds a run may take before it is killed (a URL call abandoned), 1..604800, instead of task_timeout` +
        (defaults ? '' : '; 0 goes back to task_timeout'),
    )
    .option(
      '--overlap <policy>',
      'a run due while the previous one still runs (on any daemon): allow (run it), skip (do not; on ' +
        `record as skipped), queue (run it after; one waits at most)${dflt('allow')}`,
    )
    .option(
      '--retries <n>',
      'retry a failed run (exit code, timeout, connection error, HTTP >= 500) up to n times, 0..100' +
        (defaults ? '' : '; 0: no retries'),
    )
    .option(
      '--retry_delay <sec>',
      `seconds before the first retry, 1..3600; each next waits twice as long (with jitter, 1 h at most)${dflt('10')}`,
    );
};

const kidOption = (cmd: Command): Command =>
  cmd
    .option('--kid <kid>', 'task id printed by add (32 hex digits; the dashed form is accepted), or its name')
    .addOption(new Option('--key <kid>', 'old spelling of --kid').hideHelp())
    .hook('preAction', (c) => {
      const o = c.opts();
      if (o.kid === undefined && o.key !== undefined) c.setOptionValue('kid', o.key);
    });

/** The program for one run; `argv` is the command line it will parse (normalized). */
// eslint-disable-next-line max-lines-per-function -- to split (issue 22)
export function buildProgram(argv: readonly string[]): Command {
  const action = (name: keyof typeof COMMANDS) => commandAction(name, argv);
  const program = new Command('ktimer')
    .description(
      'ktimer: one-shot timers and repeating tickers (shell commands or URLs), fired by a daemon, stored in Redis',
    )
    .option('--config <path>', 'conf.ini to use (default: $KTIMER_CONFIG, else conf.ini beside bin/)')
    .option('--json', 'print the result as one JSON document')
    .addHelpText('after', OVERVIEW)
    .showSuggestionAfterError(false)
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
  program
    .command('clear')
    .description('delete every task; without --yes, only say how many it would delete (exit 2)')
    .option('--yes', 'really delete every task')
    .action(action('clear'));
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
      .option(
        '--replace',
        'a task holding -name already is replaced (its kid and history stay) instead of refused',
      ),
    true,
  ).action(action('add'));
  taskOptions(
    kidOption(
      program
        .command('update')
        .description(
          'change a task; unspecified fields keep their values; a new type, time, cron or tz reschedules it from now',
        )
        .argument('[kid]', KID_ARG),
    ),
    false,
  ).action(action('update'));
  program
    .command('list')
    .description('tasks whose next run lies in a window, ordered by next run, one page at a time')
    .option('--starttime <time>', 'window start: a unix timestamp, now, +15m or a date (default: no start)')
    .option('--endtime <time>', 'window end: a unix timestamp, now, +2h or a date (default: no end)')
    .option('--offset <n>', 'rows to skip, at most 10000 (default 0); deeper, follow the cursor')
    .option('--cursor <cursor>', 'start after the row of this cursor, printed by the page before')
    .option('--count <n>', 'rows to show, 1..1000 (default 100)')
    .action(action('list'));
  kidOption(
    program
      .command('next')
      .description('print the next runs of a task, local time and UTC')
      .argument('[kid]', KID_ARG)
      .option('-n <n>', 'how many runs, 1..100 (default 10)'),
  ).action(action('next'));
  kidOption(
    program
      .command('history')
      .description("a task's runs, newest first: when, how long, how it ended, where (also a fired timer's)")
      .argument('[kid]', KID_ARG)
      .option('-n <n>', 'how many runs, 1..1000 (default 20)'),
  ).action(action('history'));
  program
    .command('runs')
    .description('the runs of every task, from every daemon, newest first')
    .option('--failed', 'only runs that failed or were lost')
    .option('--since <time>', 'only since then: 1h, 30m, 2d ago, a date, or a unix timestamp')
    .option('-n <n>', 'how many runs, 1..1000 (default 50)')
    .action(action('runs'));
  for (const [name, what] of [
    ['pause', 'stop a task from firing; it keeps its kid, schedule and history'],
    ['resume', 'let a paused task fire again, from the next run of its schedule (no catch-up)'],
  ] as const) {
    kidOption(
      program
        .command(name)
        .description(what)
        .argument('[kid]', KID_ARG)
        .option('--all', `${name} every task`),
    ).action(action(name));
  }
  kidOption(
    program
      .command('run')
      .description('fire a task once, now, whatever its schedule (a paused one too); prints the fire id')
      .argument('[kid]', KID_ARG)
      .option('--wait', 'wait for the run (and its retries) to end; exit 0 if it succeeded, 1 if not'),
  ).action(action('run'));
  program
    .command('output')
    .description("a run's captured output (shell: the last 4 KiB; URL: the first 1 KiB of the body)")
    .argument('<fire_id>', 'the fire id printed by history or runs (KID:RUN)')
    .option('--raw', 'print it as it was, control characters too (escaped otherwise: \\x1b, \\u202e)')
    .action(action('output'));

  program
    .command('logout')
    .description(
      'end every dashboard session of the fleet, on every daemon (web_passwd changes end them too)',
    )
    .option('--all', 'every session: the only kind the command line can end')
    .action(action('logout'));

  const daemonFlag = (cmd: Command): Command =>
    cmd.option('-d, --daemon', 'detach: run in the background, return once it is up');
  daemonFlag(
    program
      .command('start')
      .description('run the daemon (in the foreground, as systemd wants; -d detaches); exit 1 if one runs'),
  ).action(action('start'));
  const nowFlag = (cmd: Command): Command =>
    cmd.option('--now', 'kill running tasks at once instead of waiting shutdown_grace (SIGQUIT)');
  nowFlag(
    program
      .command('stop')
      .description('stop the daemon: SIGTERM, wait for running tasks (shutdown_grace), SIGKILL after'),
  ).action(action('stop'));
  nowFlag(daemonFlag(program.command('restart').description('stop, then start'))).action(action('restart'));
  program
    .command('status')
    .description('is the daemon running? exit 0 if so, 3 if not')
    .action(action('status'));
  program
    .command('info')
    .description('pid, uptime, version, config, task count, Redis health, tasks running now')
    .action(action('info'));
  program
    .command('check')
    .description(
      'is the daemon healthy (its loop claims, Redis answers)? exit 0 if so, 1 with the reason if not',
    )
    .action(action('check'));
  const unitDir = (cmd: Command, what: string): Command =>
    cmd.option(
      '--unit-dir <dir>',
      `${what} the unit there instead of /etc/systemd/system (no systemctl calls)`,
    );
  const userUnit = (cmd: Command): Command =>
    cmd.option('--user', 'a user unit (~/.config/systemd/user, systemctl --user), run as you');
  unitDir(
    userUnit(
      program
        .command('install')
        .description('install and enable a systemd unit running `ktimer start`')
        .option('--print', 'print the unit, write nothing')
        .option('--run-as <user>', 'USER or USER:GROUP the system unit runs the daemon as (User=, Group=)'),
    ),
    'write',
  ).action(action('install'));
  unitDir(
    userUnit(program.command('remove').description('disable and remove the systemd unit')),
    'remove',
  ).action(action('remove'));

  for (const cmd of program.commands) {
    // Stray words (`abc="x*y=z" efg` in the original notes) are warned about, not refused
    // (checkStray); unknown names get the suggestions of suggest.ts, not commander's.
    cmd
      .allowExcessArguments(true)
      .exitOverride()
      .configureOutput({ outputError: () => {} })
      .showSuggestionAfterError(false)
      .addHelpText('after', commandHelp(cmd.name()));
  }
  return program;
}
