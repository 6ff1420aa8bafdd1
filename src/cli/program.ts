// The commander program: every command, its options and its help. Actions live in
// commands/<name>.ts and are imported only when their command runs (keeps start-up lean); each
// is bound by bindAction, which has the compiler check its options against the declared ones.
import { Command } from '@commander-js/extra-typings';
import { usageError } from '../errors.js';
import { bindAction } from './command-action.js';
import { commandHelp, OVERVIEW } from './help-text.js';
import { kidOption, kidsOption, taskOptions } from './program-options.js';
import { didYouMean, similar } from './suggest.js';

export { outcome } from './command-action.js';

/** --reason, on every command that changes tasks: kept in the change log (`ktimer changes`). */
const REASON = [
  '--reason <text>',
  'why, kept with the change in the change log (ktimer changes); one line',
] as const;

function rootCommand() {
  return new Command('ktimer')
    .description(
      'ktimer: one-shot timers, repeating tickers and cron schedules (shell commands or URLs), fired by a daemon, stored in Redis',
    )
    .option(
      '--config <path>',
      "conf.ini to use (default: $KTIMER_CONFIG, else the checkout's conf.ini, or for an installed ktimer /etc/ktimer/conf.ini for root and ~/.config/ktimer/conf.ini for a user)",
    )
    .option('--json', 'print the result as one JSON document')
    .addHelpText('after', OVERVIEW)
    .helpCommand(false)
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: () => {} });
}

type Program = ReturnType<typeof rootCommand>;

/** The program for one run; `argv` is the command line it will parse (normalized). */
export function buildProgram(argv: readonly string[]): Program {
  const program = rootCommand();
  storeCommands(program, argv);
  taskCommands(program, argv);
  jobCommands(program, argv);
  runCommands(program, argv);
  steeringCommands(program, argv);
  sessionCommands(program, argv);
  daemonCommands(program, argv);
  fleetCommands(program, argv);
  systemCommands(program, argv);
  helpCommand(program);
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

/** The store: set-up, and one task by kid. */
function storeCommands(program: Program, argv: readonly string[]): void {
  bindAction(
    program.command('version').description('print the version'),
    argv,
    () => import('./commands/version.js'),
  );
  bindAction(
    program
      .command('init')
      .description(
        'create conf.ini if missing (random web password, mode 0600) and say which one and why; check Redis (and warn if it may evict keys or keeps no AOF), log dir, runtime dir, pidfile, web port',
      ),
    argv,
    () => import('./commands/init.js'),
  );
  bindAction(
    program.command('count').description('print the number of tasks'),
    argv,
    () => import('./commands/count.js'),
  );
  bindAction(
    program
      .command('clear')
      .description('delete every task; without --yes, only say how many it would delete (exit 2)')
      .option('--yes', 'really delete every task')
      .option(...REASON),
    argv,
    () => import('./commands/clear.js'),
  );
  bindAction(
    kidOption(program.command('get').description('print one task')),
    argv,
    () => import('./commands/get.js'),
  );
  bindAction(
    kidsOption(
      program.command('del').description("delete tasks: several kids or names, or a group's"),
    ).option(...REASON),
    argv,
    () => import('./commands/del.js'),
  );
}

/** Adding and changing tasks, and what is scheduled. */
function taskCommands(program: Program, argv: readonly string[]): void {
  const add = program
    .command('add')
    .description('add a task; prints its kid')
    .option(
      '--file <path>',
      'add one task per line of a JSON-lines file (- = stdin), in atomic batches of 1,000',
    )
    .option(
      '--replace',
      'a task holding -name already is replaced (its kid and history stay) instead of refused',
    )
    .option(...REASON);
  bindAction(taskOptions(add, true), argv, () => import('./commands/add.js'));
  const update = program
    .command('update')
    .description(
      'change a task; unspecified fields keep their values; a new type, time, cron or tz reschedules it from now',
    )
    .option(...REASON);
  bindAction(taskOptions(kidOption(update), false), argv, () => import('./commands/update.js'));
  bindAction(
    program
      .command('list')
      .description('tasks whose next run lies in a window, ordered by next run, one page at a time')
      .option('--starttime <time>', 'window start: a unix timestamp, now, +15m or a date (default: no start)')
      .option('--endtime <time>', 'window end: a unix timestamp, now, +2h or a date (default: no end)')
      .option('--offset <n>', 'rows to skip, at most 10000 (default 0); deeper, follow the cursor')
      .option('--cursor <cursor>', 'start after the row of this cursor, printed by the page before')
      .option('--count <n>', 'rows to show, 1..1000 (default 100)')
      .option('--group <group>', 'only the tasks of this group (pages on by cursor)'),
    argv,
    () => import('./commands/list.js'),
  );
  bindAction(
    kidOption(
      program
        .command('next')
        .description('print the next runs of a task, in its zone and UTC, or those of a window ahead'),
    )
      .option('-n <n>', 'how many runs, 1..1000 (default 10)')
      .option(
        '--from <date>',
        "the first run shown is at or after this: a day (2027-03-27, in the task's zone), a date, +30d, now",
      )
      .option('--until <date>', 'no run shown is after this (as --from)'),
    argv,
    () => import('./commands/next.js'),
  );
}

/** Jobs as code (issue 25): apply files, export, the crontab import. */
function jobCommands(program: Program, argv: readonly string[]): void {
  bindAction(
    program
      .command('apply')
      .description(
        "make a group's tasks what a YAML or JSON file declares; prints the plan (+ add, ~ change, - remove)",
      )
      .argument('<file>', 'the apply file (- = stdin)')
      .option('--dry-run', 'print the plan, change nothing')
      .option('--prune', "remove the group's tasks the file no longer declares"),
    argv,
    () => import('./commands/apply.js'),
  );
  bindAction(
    program
      .command('export')
      .description("print a group's tasks as an apply file (applying it changes nothing)")
      .option('--group <group>', 'the group (default: the one group of the stored tasks)')
      .option('--format <format>', 'yaml or json (default yaml)'),
    argv,
    () => import('./commands/export.js'),
  );
  bindAction(
    program
      .command('import')
      .description('print an apply file made from a crontab; what cannot be carried over is said on stderr')
      .argument('<what>', 'crontab')
      .argument('[file]', 'the crontab (- = stdin; default: yours, from crontab -l)')
      .option('--group <group>', 'the group of the tasks made (default crontab)')
      .option('--system', 'a system crontab (/etc/crontab, /etc/cron.d): a user field after the times')
      .option('--format <format>', 'yaml or json (default yaml)'),
    argv,
    () => import('./commands/import.js'),
  );
}

/** Runs: the history of those done, and their output. */
function runCommands(program: Program, argv: readonly string[]): void {
  bindAction(
    kidOption(
      program
        .command('history')
        .description(
          "a task's runs, latest start first: when, how long, how it ended, where (also a fired timer's)",
        ),
    ).option('-n <n>', 'how many runs, 1..1000 (default 20)'),
    argv,
    () => import('./commands/history.js'),
  );
  bindAction(
    program
      .command('runs')
      .description('the runs of every task, from every daemon, latest start first')
      .option('--failed', 'only runs that failed or were lost')
      .option('--since <time>', 'only since then: 1h, 30m, 2d ago, a date, or a unix timestamp')
      .option('-n <n>', 'how many runs, 1..1000 (default 50)'),
    argv,
    () => import('./commands/runs.js'),
  );
  bindAction(
    program
      .command('output')
      .description('what a run printed: stdout then stderr, each within its output_max (a URL: the body)')
      .argument('<fire_id>', 'the fire id printed by history or runs (KID:RUN)')
      .option('--stdout', 'only what it printed on stdout')
      .option('--stderr', 'only what it printed on stderr')
      .option('--follow', 'print it as it is printed, until the run ends; exit 0 if it succeeded, 1 if not')
      .option('--raw', 'print it as it was, control characters too (escaped otherwise: \\x1b, \\u202e)'),
    argv,
    () => import('./commands/output.js'),
  );
}

/** Pausing, resuming and running by hand: one task, several, or a group's. */
function steeringCommands(program: Program, argv: readonly string[]): void {
  bindAction(
    kidsOption(
      program
        .command('pause')
        .description('stop tasks from firing; they keep their kids, schedules and history'),
    )
      .option('--all', 'pause every task')
      .option(...REASON),
    argv,
    () => import('./commands/pause.js'),
  );
  bindAction(
    kidsOption(
      program
        .command('resume')
        .description('let paused tasks fire again, from the next run of their schedules (no catch-up)'),
    )
      .option('--all', 'resume every task')
      .option(...REASON),
    argv,
    () => import('./commands/resume.js'),
  );
  runNowCommand(program, argv);
}

/** `run`: runs by hand, now. */
function runNowCommand(program: Program, argv: readonly string[]): void {
  bindAction(
    kidsOption(
      program
        .command('run')
        .description(
          'fire tasks once, now, whatever their schedules (paused ones too); prints the fire ids; exit 1 at once, storing nothing, when no live daemon may run it',
        ),
    )
      .option(
        '--wait',
        'one task: wait for the run (and its retries) to end; exit 0 if it succeeded, 1 if not',
      )
      .option('--timeout <seconds>', 'with --wait: give up after this many seconds (exit 1; the run goes on)')
      .option('--queue', 'hand the run out even when no live daemon may run it: it waits for one')
      .option(...REASON),
    argv,
    () => import('./commands/run.js'),
  );
}

/** The fleet's daemons. */
function fleetCommands(program: Program, argv: readonly string[]): void {
  bindAction(
    program
      .command('daemons')
      .description(
        "the fleet's daemons: name, host, pid, labels, version, start, last claim, running runs, settings that differ",
      ),
    argv,
    () => import('./commands/daemons.js'),
  );
  bindAction(
    program
      .command('reshard')
      .description(
        "change the fleet's number of schedule shards: move every task and its history (no daemon may run); --dry-run only counts",
      )
      .requiredOption('--to <k>', 'the new number of shards, 1..256')
      .option('--dry-run', 'count the tasks that would move, move none'),
    argv,
    () => import('./commands/reshard.js'),
  );
}

/** The dashboard's sessions, and who changed what, from the command line. */
function sessionCommands(program: Program, argv: readonly string[]): void {
  bindAction(
    program
      .command('changes')
      .description('who changed what, fleet-wide, newest first: adds, updates, deletes, pauses, runs by hand')
      .option('--since <time>', 'only since then: 1h, 30m, 2d ago, a date, or a unix timestamp')
      .option('-n <n>', 'how many changes, 1..1000 (default 50)'),
    argv,
    () => import('./commands/changes.js'),
  );
  bindAction(
    program
      .command('logout')
      .description(
        'end every dashboard session of the fleet, on every daemon (web_passwd changes end them too)',
      )
      .option('--all', 'every session: the only kind the command line can end'),
    argv,
    () => import('./commands/logout.js'),
  );
}

/** The daemon: start, stop, and how it is. */
function daemonCommands(program: Program, argv: readonly string[]): void {
  const detach = '-d, --daemon';
  const killNow = [
    '--now',
    'kill running tasks at once instead of waiting shutdown_grace (SIGQUIT)',
  ] as const;
  bindAction(
    program
      .command('start')
      .description('run the daemon (in the foreground, as systemd wants; -d detaches); exit 1 if one runs')
      .option(detach, 'detach: run in the background, return once it is up'),
    argv,
    () => import('./commands/start.js'),
  );
  bindAction(
    program
      .command('stop')
      .description('stop the daemon: SIGTERM, wait for running tasks (shutdown_grace), SIGKILL after')
      .option(...killNow),
    argv,
    () => import('./commands/stop.js'),
  );
  bindAction(
    program
      .command('restart')
      .description('stop, then start the daemon the way it ran (detached or in the foreground)')
      .option(detach, 'start it detached, however it ran')
      .option('--foreground', 'start it in the foreground, however it ran')
      .option(...killNow),
    argv,
    () => import('./commands/restart.js'),
  );
  bindAction(
    program.command('status').description('is the daemon running? exit 0 if so, 3 if not'),
    argv,
    () => import('./commands/status.js'),
  );
  bindAction(
    program
      .command('info')
      .description(
        'pid, uptime, version, config (which, and why), task count, Redis health, tasks running now',
      ),
    argv,
    () => import('./commands/info.js'),
  );
  bindAction(
    program
      .command('check')
      .description(
        'is the daemon healthy (its loop claims, Redis answers)? exit 0 if so, 1 with the reason if not',
      ),
    argv,
    () => import('./commands/check.js'),
  );
}

/** The machine: a systemd unit, shell completion. */
function systemCommands(program: Program, argv: readonly string[]): void {
  const unitDir = (what: string) =>
    [
      '--unit-dir <dir>',
      `${what} the unit there instead of /etc/systemd/system (no systemctl calls)`,
    ] as const;
  const user = ['--user', 'a user unit (~/.config/systemd/user, systemctl --user), run as you'] as const;
  bindAction(
    program
      .command('install')
      .description('install and enable a systemd unit running `ktimer start` with this config')
      .option('--print', 'print the unit, write nothing')
      .option('--run-as <user>', 'USER or USER:GROUP the system unit runs the daemon as (User=, Group=)')
      .option(...user)
      .option(...unitDir('write')),
    argv,
    () => import('./commands/install.js'),
  );
  bindAction(
    program
      .command('remove')
      .description('disable and remove the systemd unit')
      .option(...user)
      .option(...unitDir('remove')),
    argv,
    () => import('./commands/remove.js'),
  );
  bindAction(
    program
      .command('completion')
      .description('print a shell completion script: commands, options, and the kids and names in the store')
      .argument('[shell]', 'bash or zsh')
      .option('--tasks', 'print the kids and names of tasks, one a line (what the scripts complete from)'),
    argv,
    () => import('./commands/completion.js'),
  );
}

/** `ktimer help [COMMAND]`: an unknown COMMAND is a usage error, as `ktimer COMMAND` is. */
function helpCommand(program: Program): void {
  program
    .command('help')
    .description('show the help of ktimer, or of one command')
    .argument('[command]', 'the command')
    .action((name) => {
      if (name === undefined) program.help();
      const cmd = program.commands.find((c) => c.name() === name);
      if (!cmd) {
        const names = program.commands.map((c) => c.name());
        throw usageError(`unknown command '${name}'${didYouMean(similar(name, names))}; see \`ktimer help\``);
      }
      cmd.help();
    });
}
