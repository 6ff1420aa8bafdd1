// `ktimer import crontab` (issue 25 item 3), on a realistic 52-line crontab with every feature:
// five fields and nicknames, variables (SHELL, PATH, MAILTO, CRON_TZ), % input, @reboot, bad
// lines; and on Debian's /etc/crontab. Nothing is dropped silently: every line cron acts on is a
// task, a variable the tasks after it carry, or a report.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseApplyFile } from '../../src/jobs/apply-file.js';
import { crontabFileText, crontabReportLines, importCrontab } from '../../src/jobs/crontab-import.js';
import { cronTimesAfter } from '../../src/tasks/cron.js';
import type { TaskRules } from '../../src/tasks/task-rules.js';

const TEXT = readFileSync(new URL('../fixtures/crontab-web1.txt', import.meta.url), 'utf8');
const rules: TaskRules = { maxDay: 365, defaultTimer: 'x', defaultTicker: 'x', timezone: 'UTC' };
const imported = () => importCrontab(TEXT, { group: 'web1' });

test('each job line is a task, named from its command, its schedule in six fields', () => {
  const { declaration } = imported();
  assert.equal(declaration.group, 'web1');
  assert.deepEqual(
    declaration.jobs.map((j) => [j.line, j.name, j.spec.cron]),
    [
      [11, 'backup-db', '0 30 3 * * *'],
      [12, 'backup-db-2', '0 0 */6 * * *'],
      [13, 'pg_dump-app', '0 15 4 * * 0'],
      [14, 'find-backups', '0 45 4 1 * *'],
      [17, 'php-artisan', '0 */5 * * * *'],
      [18, 'curl-hc-ping.com', '0 */15 9-18 * * mon-fri'],
      [19, 'mail', '0 0 8 * * 1-5'],
      [20, 'payroll-check', '0 0 12 1,15 * 5'],
      [21, 'alternate-mondays', '0 0 0 */2 * +1'],
      [22, 'rotate-sessions', '0 0 * * * *'],
      [23, 'cleanup', '0 0 0 * * *'],
      [24, 'cleanup-2', '0 0 0 * * *'],
      [25, 'reindex', '0 0 0 * * 0'],
      [26, 'invoice-run', '0 0 0 1 * *'],
      [27, 'archive-year', '0 0 0 1 1 *'],
      [28, 'renew-certs', '0 0 0 1 1 *'],
      [33, 'sendmail', '0 0 7 * * 1'],
      [34, 'mail-disk', '0 30 7 * * *'],
      [35, 'wall', '0 0 6 * * *'],
      [39, 'heartbeat', '0 * * * * *'],
      [40, 'heartbeat-2', '0 */10 * * * *'],
      [42, 'quiet-sync', '0 0 * * * *'],
      [44, 'root', '0 0 3 * * *'],
      [51, 'setopt', '0 0 2 * * *'],
      [52, 'print', '0 0 1 * * 6'],
    ],
  );
});

test('every other line cron acts on is reported, with its line number and what to do', () => {
  assert.deepEqual(crontabReportLines(imported(), 'crontab'), [
    'crontab:5: MAILTO=ops@example.com applies to the tasks of lines 11, 12, 13, 14, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 33, 34, 35; ktimer sends no mail itself: they carry MAILTO in their env, for [notify] on_failure_command to mail each failure there',
    'crontab:29: not imported: @reboot runs once at boot, and ktimer has no boot trigger; run it from a systemd unit (Type=oneshot, WantedBy=multi-user.target) or your init system',
    'crontab:30: not imported: @every_5m is no cron nickname; give five time fields instead',
    'crontab:37: MAILTO="" (no mail) applies to the tasks of lines 39, 40, 42, 44; they get notify: off',
    'crontab:41: not imported: RANDOM_DELAY=10: ktimer has no random delay; the tasks after it run at their times',
    "crontab:42: '-' (no syslog line for its runs); ktimer logs every run; the - is dropped",
    'crontab:43: not imported: cron "61 * * * *" is invalid: Invalid value for minute: 61; correct the time fields (cron refuses them too)',
    'crontab:44: the command starts with "root"; if this is a system crontab, whose sixth field is a user, import it with --system',
    'crontab:45: not imported: a variable with no value, which cron does not read as one; write NAME="" for an empty value',
    'crontab:46: not imported: neither a variable (NAME=value) nor a job (five time fields and a command); write it as a job or a variable',
    "crontab:49: SHELL=/bin/zsh; the commands after it run as /bin/zsh -c '...', as cron ran them",
    'crontab:50: MAILTO=dev@example.com applies to the tasks of lines 51, 52; ktimer sends no mail itself: they carry MAILTO in their env, for [notify] on_failure_command to mail each failure there',
  ]);
});

test('nothing is dropped silently: each line is a task, a variable carried on, a report, a comment or blank', () => {
  const result = imported();
  const tasks = new Set(result.declaration.jobs.map((j) => j.line));
  const reported = new Set([...result.reports, ...result.mailto].map((r) => r.line));
  const envs = result.declaration.jobs.map((j) => j.spec.env ?? {});
  TEXT.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const text = raw.trim();
    if (text === '' || text.startsWith('#') || tasks.has(line) || reported.has(line)) return;
    const variable = /^([A-Z_]+)\s*=\s*"?(.*?)"?$/.exec(text);
    assert.ok(variable, `line ${line} is neither a task nor reported: ${raw}`);
    const name = variable?.[1] ?? '';
    const value = variable?.[2] ?? '';
    if (name === 'CRON_TZ')
      assert.ok(
        result.declaration.jobs.some((j) => j.spec.tz === value),
        `line ${line}`,
      );
    else
      assert.ok(
        envs.some((env) => env[name] === value),
        `line ${line}: ${name} is in no task's env`,
      );
  });
});

test('variables: the env of the tasks after them; CRON_TZ their zone; MAILTO="" turns alerts off', () => {
  const jobs = new Map(imported().declaration.jobs.map((j) => [j.name, j.spec]));
  assert.deepEqual(jobs.get('backup-db')?.env, {
    SHELL: '/bin/bash',
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    MAILTO: 'ops@example.com',
    APP_ENV: 'production',
    GREETING: 'good morning, team',
  });
  assert.equal(jobs.get('backup-db')?.tz, 'Europe/Berlin');
  assert.equal(jobs.get('backup-db')?.notify, undefined);
  assert.equal(jobs.get('heartbeat')?.notify, 'off');
  assert.equal(jobs.get('heartbeat')?.env?.MAILTO, '');
  assert.equal(jobs.get('setopt')?.env?.MAILTO, 'dev@example.com');
  assert.equal(jobs.get('setopt')?.notify, undefined, 'a new MAILTO turns alerts on again');
  const mailto = imported().mailto.map((m) => [m.address, m.tasks.map((t) => t.name)]);
  assert.deepEqual(mailto.at(-1), ['dev@example.com', ['setopt', 'print']]);
});

test('commands: \\% a %, input after % given by printf, another SHELL run by name', () => {
  const jobs = new Map(imported().declaration.jobs.map((j) => [j.name, j.spec]));
  assert.equal(
    jobs.get('pg_dump-app')?.command,
    'pg_dump app | gzip > /srv/backups/app-$(date +%Y%m%d).sql.gz',
  );
  assert.equal(
    jobs.get('sendmail')?.command,
    "printf '%s' 'To: boss@example.com\nSubject: Weekly report\n\nSee the dashboard: 100% up.\n' | /usr/sbin/sendmail -t",
  );
  assert.equal(
    jobs.get('wall')?.command,
    "printf '%s' 'Good morning\nIt'\\''s a new day\n' | { cat > /tmp/motd; wall < /tmp/motd\n}",
  );
  assert.equal(jobs.get('setopt')?.command, "/bin/zsh -c 'setopt extendedglob; rm -f /srv/tmp/^keep*'");
  assert.equal(
    jobs.get('print')?.command,
    `printf '%s' 'input line\n' | /bin/zsh -c 'read -r line; print -P "%D{%Y} $line" > /srv/app/year'`,
  );
});

test("cron's day rule: a day field starting with * makes both count, so croner is told with +", () => {
  const alternate = imported().declaration.jobs.find((j) => j.name === 'alternate-mondays');
  const runs = cronTimesAfter(alternate?.spec.cron ?? '', 'UTC', Date.parse('2026-01-01T00:00:00Z'), 4).map(
    (ms) => new Date(ms).toISOString().slice(0, 10),
  );
  // Mondays on odd days of the month only (cron's */2 is 1,3,5,...), not every Monday or odd day.
  assert.deepEqual(runs, ['2026-01-05', '2026-01-19', '2026-02-09', '2026-02-23']);
  const both = importCrontab('0 12 1,15 * 5 /bin/x\n').declaration.jobs[0];
  assert.equal(
    both?.spec.cron,
    '0 0 12 1,15 * 5',
    'both restricted: either matches, as croner does by default',
  );
});

test('the printed file applies: its tasks are the declaration, each under its crontab line', () => {
  const result = imported();
  const text = crontabFileText(result, 'yaml', 'crontab-web1.txt');
  assert.match(text, /^# ktimer import crontab of crontab-web1.txt: 25 tasks\n/);
  assert.match(text, /\n {2}# line 33: 0 7 \* \* 1 {7}\/usr\/sbin\/sendmail -t%To: boss@example.com%/);
  assert.match(text, /env: \*env1\n/, 'an env shared by many tasks is written once');
  for (const format of ['yaml', 'json'] as const) {
    const applied = parseApplyFile(crontabFileText(result, format, 'x'), 'x', rules);
    assert.deepEqual(
      applied.jobs.map((j) => j.spec),
      result.declaration.jobs.map((j) => ({ ...j.spec, tz: j.spec.tz ?? rules.timezone })),
      format,
    );
  }
});

const DEBIAN = `# /etc/crontab: system-wide crontab
# Unlike any other crontab you don't have to run the \`crontab'
# command to install the new version when you edit this file
# and files in /etc/cron.d. These files also have username fields,
# that none of the other crontabs do.

SHELL=/bin/sh
# You can also override PATH, but by default, newer versions inherit it from the environment
#PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin

# Example of job definition:
# .---------------- minute (0 - 59)
# |  .------------- hour (0 - 23)
# |  |  .---------- day of month (1 - 31)
# |  |  |  .------- month (1 - 12) OR jan,feb,mar,apr ...
# |  |  |  |  .---- day of week (0 - 6) (Sunday=0 or 7) OR sun,mon,tue,wed,thu,fri,sat
# |  |  |  |  |
# *  *  *  *  * user-name command to be executed
17 *\t* * *\troot\tcd / && run-parts --report /etc/cron.hourly
25 6\t* * *\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }
47 6\t* * 7\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.weekly; }
52 6\t1 * *\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.monthly; }
30 2\t* * *\twww-data\t[ -x /usr/lib/php/sessionclean ] && /usr/lib/php/sessionclean
@daily\tnobody\t/usr/local/bin/stats
#
`;

test("Debian's /etc/crontab: read as a system crontab, its user field the tasks' user", () => {
  const result = importCrontab(DEBIAN, { group: 'system' });
  assert.equal(result.system, true);
  assert.deepEqual(
    result.declaration.jobs.map((j) => [j.name, j.spec.user, j.spec.cron]),
    [
      ['run-parts-cron.hourly', 'root', '0 17 * * * *'],
      ['run-parts-cron.daily', 'root', '0 25 6 * * *'],
      ['run-parts-cron.weekly', 'root', '0 47 6 * * 7'],
      ['run-parts-cron.monthly', 'root', '0 52 6 1 * *'],
      ['sessionclean', 'www-data', '0 30 2 * * *'],
      ['stats', 'nobody', '0 0 0 * * *'],
    ],
  );
  assert.equal(
    result.declaration.jobs[1]?.spec.command,
    'test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }',
  );
  assert.deepEqual(crontabReportLines(result, '/etc/crontab'), [
    '/etc/crontab:1: read as a system crontab, each job with a user field after its time fields; the user becomes the task\'s user; a user crontab says so with no "user" column in its header',
    '/etc/crontab:7: SHELL=/bin/sh; ktimer runs commands with /bin/bash -c, which runs sh commands the same way',
  ]);
  // Its path says so too; --system says so for any file, and the report is then not needed.
  assert.equal(importCrontab('0 1 * * * root /bin/x\n', { source: '/etc/cron.d/php' }).system, true);
  const told = importCrontab('0 1 * * * backup /bin/x\n', { system: true });
  assert.deepEqual([told.declaration.jobs[0]?.spec.user, told.reports], ['backup', []]);
});

test('a system crontab job without a valid user, and a user crontab by default', () => {
  const result = importCrontab('0 1 * * * bad;user /bin/x\n@daily\n', { system: true });
  assert.deepEqual(crontabReportLines(result, 'f'), [
    'f:1: not imported: user "bad;user" is invalid; expected a user name such as backup (letters, digits, _ . -); give the user the job runs as',
    'f:2: not imported: a system crontab job needs a user and a command; add them',
  ]);
  const user = importCrontab('0 1 * * * backup /bin/x\n');
  assert.equal(user.system, false);
  assert.equal(user.declaration.jobs[0]?.spec.command, 'backup /bin/x');
  assert.equal(user.declaration.group, 'crontab', 'the default group');
});

test('names stay unique and readable over many similar lines', () => {
  const text = Array.from({ length: 12 }, (_, i) => `${i} * * * * /usr/local/bin/sync.sh --shard ${i}`).join(
    '\n',
  );
  const names = importCrontab(text).declaration.jobs.map((j) => j.name);
  assert.equal(new Set(names).size, 12);
  assert.deepEqual(names.slice(0, 3), ['sync.sh', 'sync.sh-2', 'sync.sh-3']);
});

test('variables: a $ is taken as written (cron does not expand it), a name ktimer cannot take is reported', () => {
  const result = importCrontab('PATH=/opt/bin:$PATH\n"MY VAR"=x\n0 1 * * * /bin/x\n');
  assert.deepEqual(result.declaration.jobs[0]?.spec.env, { PATH: '/opt/bin:$PATH' });
  assert.deepEqual(crontabReportLines(result, 'f'), [
    "f:1: PATH's value holds a $, which cron does not expand; neither does ktimer: the tasks get the value as written",
    'f:2: not imported: env name "MY VAR" is invalid; expected a letter or _, then letters, digits or _; the tasks after it do not get it',
  ]);
});
