// The examples of `ktimer help` and `ktimer help CMD`. Every one must work whenever it is run:
// times are computed by the shell (`$(date -d tomorrow +%s)`), never a fixed timestamp that
// will one day lie in the past (a test runs the `ktimer add` lines).

const KID = '912ec803b2ce49e4a541068d495ab570';
const TOMORROW = '$(date -d tomorrow +%s)';
const TOMORROW_18H = '$(date -d tomorrow +%F)T18:00';

/** Said by del, pause, resume and run. */
const MANY_TARGETS = [
  'Several kids or names, or -group=G: a line per target, failures on stderr, exit 1 if any failed',
  "(the others are done all the same); --json: each target's result.",
];

/** Per command: example lines, then notes (shown under the examples). */
export const COMMAND_HELP: Record<string, { examples: string[]; notes?: string[] }> = {
  version: { examples: ['ktimer version', 'ktimer version --json'] },
  init: {
    examples: ['ktimer init', 'sudo ktimer init', 'ktimer init --config ./conf.ini'],
    notes: [
      "Without --config: the checkout's conf.ini; for an installed ktimer, /etc/ktimer/conf.ini as root,",
      '~/.config/ktimer/conf.ini (XDG) otherwise, made with its directory; its logs and pidfile then go to',
      '/var/log/ktimer and /run/ktimer, or ~/.local/state/ktimer. The directory of a --config must exist;',
      'its log/ and runtime/ are made beside it. docs/configuration.md: every key.',
    ],
  },
  count: { examples: ['ktimer count', 'ktimer count --json'] },
  clear: {
    examples: [
      'ktimer clear --yes',
      'ktimer clear            # deletes nothing: says how many it would, exit 2',
    ],
  },
  get: { examples: [`ktimer get ${KID}`, `ktimer get -kid=${KID} --json`, 'ktimer get backup'] },
  del: {
    examples: [
      `ktimer del ${KID}`,
      `ktimer del -kid=${KID}`,
      'ktimer del backup',
      'ktimer del backup report cleanup',
      'ktimer del -group=nightly --json',
    ],
    notes: [
      "A fired timer's retries stop too: the one waiting is dropped (dropped:[1]), a run under way is not retried.",
      ...MANY_TARGETS,
    ],
  },
  add: {
    examples: [
      'ktimer add -type=timer -time=10 -command="echo -e Hello Ktimer"',
      'ktimer add -type=ticker -time=5 -limit=3 -command="date --rfc-3339=ns"',
      `ktimer add -time=${TOMORROW} -command="https://example.com/hook?kt_post={\\"a\\":1}"`,
      'ktimer add -type=cron -cron="0 30 3 * * *" -tz=Europe/Berlin -command="echo nightly"',
      'ktimer add -type=cron -cron="*/15 8-18 * * mon-fri" -misfire=skip -command="echo every quarter hour"',
      'ktimer add -time=+15m -command="echo in a quarter of an hour"',
      `ktimer add -time=${TOMORROW_18H} -command="echo at 18:00 tomorrow"`,
      'ktimer add --file tasks.jsonl',
      'ktimer add -type=cron -cron="0 0 2 * * *" -name=backup -timeout=3600 -command="echo backup" --replace',
      'ktimer add --file tasks.jsonl --replace',
      'ktimer add -type=ticker -time=60 -overlap=skip -command="sleep 90"',
      'ktimer add -type=cron -cron="0 */5 * * * *" -retries=3 -retry_delay=30 -command="https://example.com/ping"',
      'ktimer add -type=cron -cron="0 30 3 * * *" -name=db-backup -on=db -user=backup -cwd=/srv/db -env=LANG=C.UTF-8 -command="./backup.sh"',
    ],
    notes: [
      'Quote a command of several words: -command="echo hi there"; quote a cron expression too.',
      '-name: a unique label every command takes in place of the kid; a name held already is refused',
      '(exit 1) unless --replace, which replaces that task in place (same kid, history kept).',
      '-timeout: seconds a run may take (shell: its process group is killed; URL: abandoned).',
      '-overlap: what a run due while the one before still runs does (allow, skip, queue).',
      '-retries, -retry_delay: a failed run (or one lost with its daemon) is retried after retry_delay s,',
      'then twice as long each time.',
      '-on: only a daemon holding every label given fires it ([daemon] labels, and host:<name> of each',
      'daemon); a task no live daemon may run is stored, and add warns naming the label (docs/fleet.md).',
      '-user, -cwd, -env, -output_max: how it runs (docs/running-tasks.md); -notify=off: no alerts for it',
      '([notify] URLs and commands); -group: the apply file that owns it.',
      'A cron expression has 5 fields (minute hour day month weekday) or 6 (second first); see docs/schedules.md.',
    ],
  },
  update: {
    examples: [
      `ktimer update -kid=${KID} -time=30 -limit=6`,
      `ktimer update ${KID} -command="date"`,
      `ktimer update ${KID} -cron="0 0 4 * * *" -tz=America/New_York`,
      'ktimer update backup -timeout=600 -name=nightly-backup',
    ],
    notes: [
      '-name= removes the name; -timeout=0 goes back to task_timeout.',
      '-on=, -cwd=, -user=, -output_max=, -group= remove theirs; -env=NAME=VALUE (repeated) replaces the',
      "task's whole environment, -env= removes it; -notify=on gives its alerts back.",
    ],
  },
  list: {
    examples: [
      'ktimer list',
      `ktimer list -starttime=$(date +%s) -endtime=${TOMORROW} -count=20`,
      'ktimer list -offset=100 --json',
      'ktimer list -starttime=now -endtime=+2h',
    ],
    notes: [
      'A page ends with the cursor of the next (next page: -cursor=...): it costs the same at any depth',
      'and keeps its place while tasks fire. -offset goes up to 10000.',
    ],
  },
  pause: {
    examples: [
      `ktimer pause ${KID}`,
      `ktimer pause -kid=${KID} --json`,
      'ktimer pause backup report',
      'ktimer pause -group=nightly',
      'ktimer pause --all',
    ],
    notes: [
      'A paused task never fires; list shows it last, NEXT "paused". A run already under way goes on.',
      'update keeps it paused; del deletes it.',
      ...MANY_TARGETS,
    ],
  },
  resume: {
    examples: [`ktimer resume ${KID}`, 'ktimer resume -group=nightly', 'ktimer resume --all --json'],
    notes: [
      'A ticker goes on at the next slot of its grid after now, a cron task at the next time of its',
      'expression: the runs missed while paused are not made up. A timer whose time passed while',
      'paused fires once, right away.',
      ...MANY_TARGETS,
    ],
  },
  run: {
    examples: [
      `ktimer run ${KID}`,
      'ktimer run backup --wait',
      'ktimer run backup --wait --timeout=60',
      'ktimer run backup --queue',
      `ktimer run -kid=${KID} --json`,
      'ktimer run -group=nightly',
    ],
    notes: [
      'The run is recorded with trigger "manual" (history BY column) and takes the next run number.',
      'The schedule stays as it is, but the run counts: a timer run by hand is done (it does not fire',
      'again at its time), and so is a task whose runs, by hand or scheduled, reach its -limit.',
      'A task with -overlap=skip whose run is under way is not run (exit 1);',
      'with queue, the run starts when that one ends. --wait exits 0 if the run (after its retries) succeeded, 1 if not;',
      '--timeout=S gives up waiting after S seconds (exit 1; the run goes on).',
      'With no live daemon that may run it (none at all, or none holding its -on labels) run fails at once',
      '(exit 1) and stores nothing; --queue hands the run out anyway, for the first such daemon that comes.',
      ...MANY_TARGETS,
      '--wait takes one task.',
    ],
  },
  next: {
    examples: [
      `ktimer next ${KID}`,
      `ktimer next -kid=${KID} -n 3 --json`,
      'ktimer next backup --from +90d --until +120d',
      'ktimer next backup --from 2027-03-20 -n 1000',
    ],
    notes: [
      "Its run times to come (runs made are in history and runs). Local times are in the task's zone",
      "for cron tasks, in this machine's zone otherwise.",
      "--from, --until: a window far ahead (a day is its start in the task's zone), e.g. to see a DST",
      'change months before; the runs before it count against -limit. -n goes up to 1000.',
    ],
  },
  history: {
    examples: [`ktimer history ${KID}`, `ktimer history -kid=${KID} -n 5 --json`, 'ktimer history backup'],
    notes: [
      "The task's runs made (its run times to come are in next), each with its outcome (RESULT:",
      'ok, failed, lost, skipped, or missed N: runs not fired while no daemon was up, or passed over',
      'by -misfire=skip, one row per gap with its span). Kept in Redis: history_per_task runs per',
      'task, none older than history_max_age, history_max_runs across the fleet, history_max_output',
      'bytes of their output (conf.ini; the oldest go first: docs/logs-and-history.md).',
      'A name leads to its task after it ended (fired, deleted) too, for as long as its history is kept.',
    ],
  },
  changes: {
    examples: [
      'ktimer changes',
      'ktimer changes --since 1d',
      'ktimer changes -n 200 --json',
      'ktimer pause backup --reason "disk full"',
    ],
    notes: [
      'Every add, update, del, clear, pause, resume and run by hand, from any daemon, the command line,',
      'the dashboard or the API: when, what, which task, who (user@host, or "dashboard admin ADDRESS"),',
      'and the --reason given. Kept as the runs are: history_max_runs at most, none older than history_max_age.',
    ],
  },
  runs: {
    examples: ['ktimer runs', 'ktimer runs --failed --since 1h', 'ktimer runs -n 200 --json'],
    notes: ['Every daemon sharing the Redis puts its runs here; history_max_runs are kept.'],
  },
  output: {
    examples: [
      `ktimer output ${KID}:3`,
      'ktimer output backup:3 --stderr',
      'ktimer output backup:3 --raw > out.txt',
      'ktimer output backup:4 --follow',
    ],
    notes: [
      'The fire id (KID:RUN) is in the FIRE column of history and runs; NAME:RUN works too,',
      'also after the task ended, as for history.',
      'stdout then stderr, each kept within output_max (first and last halves, a [ktimer: N bytes cut] line);',
      '--stdout or --stderr prints one. An output dropped for history_max_output is an error; its record stays.',
      '--follow prints a run as it prints, from any machine, until it ends (through its retries):',
      'exit 0 if it succeeded, 1 if not, as run --wait.',
      'Control characters (escape sequences, bidi overrides) are shown escaped (\\x1b); --raw prints them as they were.',
    ],
  },
  apply: {
    examples: [
      'ktimer apply nightly.yaml --dry-run',
      'ktimer apply nightly.yaml',
      'ktimer apply nightly.yaml --prune',
      'ktimer export -group=nightly | ktimer apply -',
    ],
    notes: [
      'The file: group: NAME, then tasks: a map of names to the fields of add --file (type ticker or',
      'cron; a one-shot timer is refused: use ktimer add). Prints + add, ~ field old -> new, - remove,',
      'then N to add, N to change, N to remove, N unchanged. The same file again changes nothing.',
      'A bad task (exit 2) or another apply of the group under way (exit 1): nothing changes.',
      "--prune removes the group's tasks the file leaves out, never another group's. docs/apply.md.",
      'It yields to firing: batches of about 2 ms of Redis each, and the command runs 10 nicer than a daemon.',
    ],
  },
  export: {
    examples: ['ktimer export -group=nightly > nightly.yaml', 'ktimer export -group=nightly --format json'],
    notes: [
      'Applying what export printed changes nothing. Timers and tasks without a name are left out (stderr).',
    ],
  },
  import: {
    examples: [
      'ktimer import crontab > jobs.yaml',
      'crontab -l | ktimer import crontab - -group=web1 > web1.yaml',
      'ktimer import crontab /etc/crontab --system -group=system',
    ],
    notes: [
      'Prints an apply file (stdout); reports what it could not carry over as it was (MAILTO,',
      '@reboot, lines it cannot read) on stderr, with line numbers. docs/from-cron.md.',
    ],
  },
  start: {
    examples: ['ktimer start -d', 'ktimer start            # in the foreground, as systemd runs it'],
    notes: ['A daemon already running for this pidfile is a failure: exit 1, nothing started.'],
  },
  stop: {
    examples: ['ktimer stop', 'ktimer stop --now'],
    notes: [
      'stop sends SIGTERM: the daemon claims no more and lets running tasks finish for shutdown_grace',
      'seconds, then kills them. --now sends SIGQUIT: it kills them at once (also during a stop under',
      'way). Killed tasks are logged with error "killed at shutdown" (runed.log, error.log).',
    ],
  },
  restart: {
    examples: ['ktimer restart', 'ktimer restart --now', 'ktimer restart -d', 'ktimer restart --foreground'],
    notes: [
      'A daemon that ran detached is started detached again, one in the foreground in the foreground',
      '(here); -d or --foreground chooses. None running: restart starts one as start would (-d to detach).',
    ],
  },
  status: {
    examples: ['ktimer status', 'ktimer status --json'],
    notes: ['Exit status: 0 running, 3 stopped.'],
  },
  info: { examples: ['ktimer info', 'ktimer info --json'] },
  daemons: {
    examples: ['ktimer daemons', 'ktimer daemons --json'],
    notes: [
      "The fleet's daemons, as each says every second: name ([daemon] name), host, pid, labels",
      '([daemon] labels; host:<name> goes without saying), version, start, last claim, running runs, and',
      "SETTINGS: whether its [task] and [notify] settings differ from most live daemons'.",
      'A daemon that stops leaves at once; one that dies shows as gone after 5 s, and leaves after a minute.',
    ],
  },
  reshard: {
    examples: ['ktimer reshard --to 6 --dry-run', 'ktimer reshard --to 6'],
    notes: [
      "Changes the fleet's number of schedule shards ([redis] shards, docs/shards.md): moves every task, its",
      'name, schedule, history and outputs to its shard of the new count, then records the count beside the',
      "fleet's name. Refused (exit 1) while a daemon of the fleet runs or a run is handed out. Then set",
      '[redis] shards = K in every conf.ini of the fleet. Stopped half-way, run it again: it finishes the move.',
    ],
  },
  check: {
    examples: [
      'ktimer check',
      'ktimer check --json',
      'ktimer check >/dev/null || systemctl restart ktimer   # in a watchdog script',
    ],
    notes: [
      'Exit status: 0 healthy (the loop claimed within 2 s, Redis answers), 1 not, with the reason on one line.',
      'Needs no web API: it reads the pidfile and the state file (rewritten every 5 s) and pings Redis.',
      'Tasks that no live daemon may run (their -on labels) are warned of on the lines after (--json: waiting).',
    ],
  },
  install: {
    examples: [
      'sudo ktimer install',
      'sudo ktimer install --run-as ktimer',
      'ktimer install --user',
      'ktimer install --print',
      'mkdir -p units && ktimer install --unit-dir units',
    ],
    notes: [
      'With --unit-dir the unit is only written: run systemctl daemon-reload and enable yourself.',
      "--run-as USER[:GROUP] writes User= and Group= (the group defaults to the user's own); that user",
      'must read conf.ini and write the log and runtime dirs. --user installs a user unit, driven by',
      'systemctl --user (loginctl enable-linger keeps it running while you are logged out).',
      'With log.dir = - in conf.ini every log line goes to journald: journalctl -u ktimer.',
    ],
  },
  remove: { examples: ['sudo ktimer remove', 'ktimer remove --user', 'ktimer remove --unit-dir units'] },
  logout: {
    examples: ['ktimer logout --all'],
    notes: [
      'Ends every dashboard session on every daemon sharing this Redis, at once (live feeds within 5 s).',
      'A change of web_passwd ends the sessions opened with the old one; see docs/security.md.',
    ],
  },
  completion: {
    examples: [
      'ktimer completion bash > ~/.local/share/bash-completion/completions/ktimer',
      'source <(ktimer completion bash)     # in this shell only',
      'ktimer completion zsh > "${fpath[1]}/_ktimer"',
    ],
    notes: [
      'Completes commands, options and their values, and the kids and names of tasks (the first 1000',
      'by next run) from the store of the config on the line being completed.',
    ],
  },
  help: { examples: ['ktimer help', 'ktimer help add'] },
};

/** The text under `ktimer help CMD`. */
export function commandHelp(name: string): string {
  const help = COMMAND_HELP[name];
  if (!help) return '';
  const notes = help.notes ? `\n\n${help.notes.join('\n')}` : '';
  return `\nExamples:\n${help.examples.map((e) => `  ${e}`).join('\n')}${notes}`;
}

/** A few examples of `ktimer help`, taken from the commands' own. */
const OVERVIEW_PICKS: [name: string, index: number][] = [
  ['init', 0],
  ['add', 0],
  ['add', 1],
  ['add', 2],
  ['add', 3],
  ['get', 0],
  ['update', 0],
  ['del', 0],
  ['pause', 0],
  ['list', 1],
  ['next', 0],
  ['count', 1],
];

export const OVERVIEW = `
Examples:
${OVERVIEW_PICKS.map(([name, i]) => `  ${COMMAND_HELP[name]?.examples[i] ?? ''}`).join('\n')}

Options are accepted Go-style (-time=5) and GNU-style (--time 5, --time=5).
Exit status: 0 success, 1 failure (Redis down, unknown kid, ...), 2 usage error, 3 daemon stopped (status).
With --json a failure prints {"ok":false,"code":"...","error":"..."} on stdout too.
Run \`ktimer help COMMAND\` for the options and examples of one command.`;
