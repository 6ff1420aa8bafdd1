// apply's plan (issue 25): + to add, ~ field by field, - to remove (--prune, the group's only),
// unchanged counted; refusals for names held outside the group; schedule changes flagged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseApplyFile } from '../../src/jobs/apply-file.js';
import type { StoredJob } from '../../src/jobs/job.js';
import { makePlan, planRefusal } from '../../src/jobs/plan.js';
import { planLines } from '../../src/jobs/plan-text.js';
import type { TaskRules } from '../../src/tasks/task-rules.js';

const rules: TaskRules = { maxDay: 365, defaultTimer: 'echo hi', defaultTicker: 'date', timezone: 'UTC' };

const FILE = `group: nightly
tasks:
  db-backup:
    type: cron
    cron: "0 30 3 * * *"
    tz: Europe/Berlin
    command: /usr/local/bin/backup-db
    timeout: 3600
    env: {PGHOST: db1, TOKEN: s3cret}
  heartbeat:
    type: ticker
    time: 300
    command: echo alive
  report:
    type: cron
    cron: "0 0 7 * * 1"
    command: /usr/local/bin/report
`;

let kids = 0;
const stored = (over: Partial<StoredJob> & Pick<StoredJob, 'type' | 'command'>): StoredJob => ({
  time: 0,
  limit: 0,
  run_num: 3,
  run_lasttime: 1_700_000_000,
  run_nexttime: 1_800_000_000,
  kid: `k${++kids}`,
  ...(over.type === 'timer' ? {} : { misfire: 'once' }),
  ...over,
});

/** As the store holds them after the file was applied once (misfire filled in, as decodeTask does). */
const applied = (): StoredJob[] => [
  stored({
    kid: 'kid-backup',
    name: 'db-backup',
    group: 'nightly',
    type: 'cron',
    cron: '0 30 3 * * *',
    tz: 'Europe/Berlin',
    command: '/usr/local/bin/backup-db',
    timeout: 3600,
    env: { TOKEN: 's3cret', PGHOST: 'db1' },
  }),
  stored({
    kid: 'kid-heart',
    name: 'heartbeat',
    group: 'nightly',
    type: 'ticker',
    time: 300,
    command: 'echo alive',
  }),
  stored({
    kid: 'kid-report',
    name: 'report',
    group: 'nightly',
    type: 'cron',
    cron: '0 0 7 * * 1',
    tz: 'UTC',
    command: '/usr/local/bin/report',
  }),
];

const decl = (text = FILE) => parseApplyFile(text, 'jobs.yaml', rules);

test('a first apply adds every task; a second changes nothing', () => {
  const first = makePlan(decl(), [], false);
  assert.deepEqual(planLines(first), [
    '+ db-backup',
    '+ heartbeat',
    '+ report',
    '3 to add, 0 to change, 0 to remove, 0 unchanged',
  ]);
  const again = makePlan(decl(), applied(), true);
  assert.deepEqual(planLines(again), ['0 to add, 0 to change, 0 to remove, 3 unchanged']);
  assert.deepEqual(
    again.unchanged.map((u) => u.kid),
    ['kid-backup', 'kid-heart', 'kid-report'],
  );
});

test('changes: one line per field, env values hidden, schedule changes flagged', () => {
  const text = FILE.replace('0 30 3 * * *', '0 0 4 * * *')
    .replace('timeout: 3600', 'timeout: 7200\n    overlap: skip')
    .replace('TOKEN: s3cret', 'TOKEN: n3w, LANG: C.UTF-8')
    .replace('time: 300', 'time: 300\n    on: [web, eu]')
    .replace('command: echo alive', 'command: echo "still alive"');
  const plan = makePlan(decl(text), applied(), false);
  assert.deepEqual(planLines(plan), [
    '~ db-backup: cron "0 30 3 * * *" -> "0 0 4 * * *"',
    '~ db-backup: timeout 3600 -> 7200',
    '~ db-backup: overlap (none) -> "skip"',
    '~ db-backup: env.LANG (none) -> ***',
    '~ db-backup: env.TOKEN *** -> ***',
    '~ heartbeat: command "echo alive" -> "echo \\"still alive\\""',
    '~ heartbeat: on (none) -> [eu, web]',
    '0 to add, 2 to change, 0 to remove, 1 unchanged',
  ]);
  const [backup, heartbeat] = plan.change;
  assert.equal(backup?.reschedule, true, 'a new cron expression: new run times');
  assert.equal(backup?.placement, false);
  assert.equal(heartbeat?.reschedule, false, 'a new command and labels keep the run times');
  assert.equal(heartbeat?.placement, true);
  assert.equal(backup?.kid, 'kid-backup');
});

test('a long command is shown around where it changed', () => {
  const long = `/opt/app/bin/run --config /etc/app/production.yaml --verbose --retries 3 --log /var/log/app.log`;
  const text = FILE.replace('/usr/local/bin/report', long.replace('production', 'staging'));
  const all = applied();
  (all[2] as StoredJob).command = long;
  assert.deepEqual(planLines(makePlan(decl(text), all, false)).slice(0, 1), [
    '~ report: command "... /etc/app/production.yaml --verbose --retries 3 --log /var/l..." -> "... /etc/app/staging.yaml --verbose --retries 3 --log /var/log/..."',
  ]);
});

test('--prune removes the group tasks the file no longer declares, and nothing else', () => {
  const all = [
    ...applied(),
    stored({ kid: 'kid-old', name: 'old-report', group: 'nightly', type: 'ticker', time: 60, command: 'x' }),
    stored({ kid: 'kid-nameless', group: 'nightly', type: 'ticker', time: 60, command: 'x' }),
    stored({
      kid: 'kid-timer',
      name: 'one-shot',
      group: 'nightly',
      type: 'timer',
      time: 60,
      limit: 1,
      command: 'x',
    }),
    stored({ kid: 'kid-other', name: 'web-deploy', group: 'web', type: 'ticker', time: 60, command: 'x' }),
    stored({ kid: 'kid-loose', name: 'by-hand', type: 'ticker', time: 60, command: 'x' }),
  ];
  const text = FILE.replace(/ {2}report:[^]*$/, '');
  assert.deepEqual(planLines(makePlan(decl(text), all, true)), [
    '- kid-nameless',
    '- old-report',
    '- report',
    '0 to add, 0 to change, 3 to remove, 2 unchanged',
  ]);
  assert.deepEqual(planLines(makePlan(decl(text), all, false)), [
    '(3 tasks of group nightly not in the file kept; --prune removes them)',
    '0 to add, 0 to change, 0 to remove, 2 unchanged',
  ]);
  // An empty file with --prune empties the group (its timers stay: a file never declares them).
  assert.deepEqual(
    makePlan(decl('group: nightly\ntasks: {}\n'), all, true).remove.map((r) => r.kid),
    ['kid-backup', 'kid-heart', 'kid-nameless', 'kid-old', 'kid-report'],
  );
});

test('a name held outside the group, or by a timer, refuses the plan with a line per task', () => {
  const all = [
    stored({ kid: 'kid-other', name: 'heartbeat', group: 'web', type: 'ticker', time: 60, command: 'x' }),
    stored({ kid: 'kid-loose', name: 'report', type: 'ticker', time: 60, command: 'x' }),
    stored({
      kid: 'kid-timer',
      name: 'db-backup',
      group: 'nightly',
      type: 'timer',
      time: 60,
      limit: 1,
      command: 'x',
    }),
  ];
  const plan = makePlan(decl(), all, true);
  assert.equal(plan.add.length, 0);
  assert.deepEqual(planRefusal(plan, 'jobs.yaml')?.message.split('\n'), [
    'jobs.yaml:3: task db-backup: its name is held by timer kid-timer, which a file cannot declare; delete it with `ktimer del kid-timer` or rename this task',
    'jobs.yaml:10: task heartbeat: its name is held by task kid-other of group web, which group nightly does not own; rename this task, or delete or rename that one',
    'jobs.yaml:14: task report: its name is held by task kid-loose with no group, which group nightly does not own; rename this task, or delete or rename that one',
  ]);
  assert.equal(planLines(plan).at(-1), '0 to add, 0 to change, 0 to remove, 0 unchanged, 3 refused');
  assert.equal(planRefusal(makePlan(decl(), applied(), true), 'jobs.yaml'), null);
});

test('a limit the task has reached already is refused, as update refuses it', () => {
  const text = FILE.replace('time: 300', 'time: 300\n    limit: 3');
  const plan = makePlan(decl(text), applied(), false);
  assert.deepEqual(
    plan.refused.map((r) => `${r.name}: ${r.reason}`),
    ['heartbeat: limit 3 is not above the 3 runs this task has made; give a larger one or 0'],
  );
});

test('defaults written or left out, numbers or strings, label and env order: no change', () => {
  const text = `group: nightly
tasks:
  heartbeat:
    type: ticker
    time: "300"
    command: echo alive
    limit: 0
    misfire: once
    overlap: allow
    notify: on
    retries: 0
`;
  const all = applied().slice(1, 2);
  assert.deepEqual(planLines(makePlan(decl(text), all, false)), [
    '0 to add, 0 to change, 0 to remove, 1 unchanged',
  ]);
  const labelled = [{ ...(all[0] as StoredJob), on: ['web', 'eu'], env: { B: '2', A: '1' } }];
  const swapped = text.replace('retries: 0', 'on: eu,web\n    env: {A: 1, B: 2}');
  assert.deepEqual(planLines(makePlan(decl(swapped), labelled, false)), [
    '0 to add, 0 to change, 0 to remove, 1 unchanged',
  ]);
});

test('mask hides what the caller says in every line (a URL credential)', () => {
  const text = FILE.replace('echo alive', 'https://user:pw@example.com/ping');
  const mask = (l: string) => l.replace(/:\/\/[^@/]*@/, '://***@');
  const lines = planLines(makePlan(decl(text), applied(), false), { mask });
  assert.equal(lines[0], '~ heartbeat: command "echo alive" -> "https://***@example.com/ping"');
});
