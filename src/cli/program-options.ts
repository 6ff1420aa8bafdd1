// Options several commands share: a task's fields (add, update) and the kid (get, del, ...).
// Generic over the command, so each keeps its options' types (command-action.ts checks them).
import { type Command, Option, type OptionValues } from '@commander-js/extra-typings';

/** The task fields; `add` names their defaults, `update` keeps a field not given. */
export function taskOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
  defaults: boolean,
) {
  const dflt = (text: string) => (defaults ? ` (default ${text})` : '');
  const gone = (how: string) => (defaults ? '' : `; ${how} removes it`);
  const withRetries = scheduleOptions(cmd, dflt)
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
    )
    .option('--group <group>', `the task's group (an apply file's; list -group=G)${gone('-group=')}`);
  return runOptions(withRetries, defaults);
}

/** Where and how a task runs (issue 24): labels, directory, environment, user, output, alerts. */
function runOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
  defaults: boolean,
) {
  const gone = (how: string) => (defaults ? '' : `; ${how} removes it`);
  return cmd
    .option(
      '--on <labels>',
      `only a daemon holding all these labels fires it ([daemon] labels; host:NAME is each daemon's own), such as db,eu${gone('-on=')}`,
    )
    .option('--cwd <dir>', `the directory the command starts in (absolute)${gone('-cwd=')}`)
    .option(
      '--env <NAME=VALUE>',
      `a variable set for the command; repeat for more${defaults ? '' : " (the given ones replace the task's; -env= removes them all)"}`,
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option(
      '--user <name>',
      `run the shell command as this user and their groups (the daemon must run as root)${gone('-user=')}`,
    )
    .option(
      '--output_max <size>',
      `bytes of stdout, and of stderr, kept of each run, such as 8k or 1M${dflt2(defaults, '[task] output_max')}${gone('-output_max=')}`,
    )
    .option('--notify <on|off>', `off: no failure or recovery alert for this task${dflt2(defaults, 'on')}`);
}

const dflt2 = (defaults: boolean, text: string) => (defaults ? ` (default ${text})` : '');

/** When a task runs: type, time, cron, zone, misfire, limit. */
function scheduleOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
  dflt: (text: string) => string,
) {
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
    .option('--limit <n>', `ticker and cron: number of fires, 0 = without end; timer: 0 or 1${dflt('0')}`);
}

export const KID_ARG = 'the task id or its name (or -kid=KID)';

/** -kid=KID (and its old spelling -key=KID), and the `[kid]` argument. */
export function kidOption<O extends OptionValues, G extends OptionValues>(cmd: Command<[], O, G>) {
  const withKid = cmd
    .argument('[kid]', KID_ARG)
    .option('--kid <kid>', 'task id printed by add (32 hex digits; the dashed form is accepted), or its name')
    .addOption(new Option('--key <kid>', 'old spelling of --kid').hideHelp());
  return withKid.hook('preAction', () => {
    const { kid, key }: { kid?: unknown; key?: unknown } = withKid.opts();
    if (kid === undefined && key !== undefined) withKid.setOptionValue('kid', key);
  });
}

/**
 * Several kids or names as arguments (del, pause, resume, run: issue 25), -kid=KID for one of
 * them (and its old spelling), or -group=G for every task of a group.
 */
export function kidsOption<O extends OptionValues, G extends OptionValues>(cmd: Command<[], O, G>) {
  const withKids = cmd
    .argument('[kids...]', 'the task ids or names (or -kid=KID), or none with -group=G')
    .option('--kid <kid>', 'task id printed by add (32 hex digits; the dashed form is accepted), or its name')
    .addOption(new Option('--key <kid>', 'old spelling of --kid').hideHelp())
    .option('--group <group>', 'every task of this group (as an apply file declared them)');
  return withKids.hook('preAction', () => {
    const { kid, key }: { kid?: unknown; key?: unknown } = withKids.opts();
    if (kid === undefined && key !== undefined) withKids.setOptionValue('kid', key);
  });
}
