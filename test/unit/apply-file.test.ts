// Apply files (issue 25): YAML or JSON read into a checked declaration; every problem found, one
// line each, naming the file's line, the task and the reason; nothing of a bad file is kept.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KtimerError } from '../../src/errors.js';
import { parseApplyFile } from '../../src/jobs/apply-file.js';
import type { TaskRules } from '../../src/tasks/task-rules.js';

const rules: TaskRules = {
  maxDay: 365,
  defaultTimer: 'echo hi',
  defaultTicker: 'date',
  timezone: 'Europe/Berlin',
};

/** The problems of a file that is refused, as its usage error's lines. */
function problems(text: string): string[] {
  try {
    parseApplyFile(text, 'jobs.yaml', rules);
  } catch (err) {
    assert.ok(err instanceof KtimerError && err.code === 'usage', String(err));
    return err.message.split('\n');
  }
  assert.fail('the file was accepted');
}

test("the issue's example: fields of add --file and of issue 24, checked as add checks them", () => {
  const decl = parseApplyFile(
    `group: nightly            # the file's group: what --prune may remove
tasks:
  db-backup:              # the task's name
    type: cron
    cron: "0 30 3 * * *"
    tz: Europe/Berlin
    command: /usr/local/bin/backup-db
    timeout: 3600
    overlap: skip
    on: [db]
    cwd: /srv/db
    env: {PGHOST: localhost, RETAIN: 010}
    user: backup
    output_max: 8k
    notify: off
  heartbeat:
    type: ticker
    time: +5m
    command: echo alive
`,
    'jobs.yaml',
    rules,
  );
  assert.equal(decl.group, 'nightly');
  assert.deepEqual(
    decl.jobs.map((j) => [j.name, j.line]),
    [
      ['db-backup', 3],
      ['heartbeat', 16],
    ],
  );
  assert.deepEqual(decl.jobs[0]?.spec, {
    type: 'cron',
    time: 0,
    limit: 0,
    cron: '0 30 3 * * *',
    tz: 'Europe/Berlin',
    command: '/usr/local/bin/backup-db',
    name: 'db-backup',
    timeout: 3600,
    overlap: 'skip',
    on: ['db'],
    cwd: '/srv/db',
    // A plain scalar is the text written: 010 stays "010", not the number 10.
    env: { PGHOST: 'localhost', RETAIN: '010' },
    user: 'backup',
    output_max: 8192,
    notify: 'off',
  });
  assert.deepEqual(decl.jobs[1]?.spec, {
    type: 'ticker',
    time: 300,
    limit: 0,
    command: 'echo alive',
    name: 'heartbeat',
  });
});

test('JSON is read the same, with its line numbers', () => {
  const json = JSON.stringify(
    {
      group: 'g',
      tasks: { a: { type: 'ticker', time: 60, command: 'x' }, b: { type: 'cron', cron: 'bad' } },
    },
    null,
    2,
  );
  assert.deepEqual(problems(json), [
    'jobs.yaml:11: task b: cron "bad" is invalid: give 5 fields (minute hour day month weekday), 6 (second first), or @hourly, @daily, @weekly, @monthly, @yearly',
  ]);
  const ok = parseApplyFile(
    JSON.stringify({ group: 'g', tasks: { a: { type: 'ticker', time: 60, command: 'x' } } }),
    'f',
    rules,
  );
  assert.equal(ok.jobs[0]?.spec.time, 60);
});

test('every problem is found, each on its own line with the task and the reason', () => {
  assert.deepEqual(
    problems(`group: nightly
tasks:
  once:
    type: timer
    time: 60
  bad-cron:
    type: cron
    cron: "61 * * * *"
    tz: Mars/Base
    colour: red
  twice: {type: ticker, time: 60}
  twice: {type: ticker, time: 90}
  9lives: {type: ticker}
  no-type: {command: x}
  mixed:
    type: cron
    time: 5
    cron: "* * * * *"
  listed: [1, 2]
  runner:
    type: ticker
    on: [db, "two words"]
    env: [A]
    output_max: 17M
    notify: maybe
    cwd: relative/dir
    user: "root; rm -rf /"
    name: runner
`),
    [
      'jobs.yaml:4: task once: type timer is not declared state; add a one-shot timer with `ktimer add`',
      'jobs.yaml:8: task bad-cron: cron "61 * * * *" is invalid: Invalid value for minute: 61',
      'jobs.yaml:9: task bad-cron: time zone "Mars/Base" is unknown; give an IANA name such as Europe/Berlin or UTC',
      'jobs.yaml:10: task bad-cron: unknown field "colour"; expected type, time, limit, command, cron, tz, misfire, timeout, overlap, retries, retry_delay, on, cwd, env, user, output_max, notify',
      'jobs.yaml:12: task twice is declared twice (first on line 11)',
      'jobs.yaml:13: name "9lives" is invalid; expected a letter, then letters, digits, . _ or - (at most 64 characters)',
      'jobs.yaml:14: task no-type: type is missing; give type: cron or type: ticker',
      'jobs.yaml:15: task mixed: -time is not for a cron task: its runs come from -cron; remove -time',
      'jobs.yaml:19: task listed: expected its fields, such as type: cron',
      'jobs.yaml:22: task runner: label "two words" is invalid; expected a letter or digit, then letters, digits, . _ : or - (at most 64 characters)',
      'jobs.yaml:23: task runner: env must be a map of names to values, such as env: {LANG: C.UTF-8}',
      'jobs.yaml:24: task runner: output_max "17M" is invalid; expected bytes, or a size such as 8k or 1M, at most 16M',
      'jobs.yaml:25: task runner: notify "maybe" is invalid; expected on or off',
      'jobs.yaml:26: task runner: cwd "relative/dir" is not an absolute path; give one that starts with /',
      'jobs.yaml:27: task runner: user "root; rm -rf /" is invalid; expected a user name such as backup (letters, digits, _ . -)',
      "jobs.yaml:28: task runner: name is the task's key under tasks:, not a field",
    ],
  );
});

test('the group is required and checked; stray keys and syntax errors are problems with their lines', () => {
  assert.deepEqual(problems('tasks: {}\n'), [
    'jobs.yaml:1: group is missing; an apply file names the group it owns, such as group: nightly',
  ]);
  assert.deepEqual(problems('group: "night shift"\ntasks: {}\nversion: 2\n'), [
    'jobs.yaml:1: group "night shift" is invalid; expected a letter, then letters, digits, . _ or - (at most 64 characters)',
    'jobs.yaml:3: unknown key "version"; an apply file has group and tasks (and x-... keys)',
  ]);
  assert.deepEqual(problems('group: g\ntasks:\n  a: {type: cron\n'), [
    'jobs.yaml:4: not valid YAML: deficient indentation',
  ]);
  assert.deepEqual(problems('- a\n- b\n'), [
    'jobs.yaml:1: expected a map with group: NAME and tasks: (this is no apply file)',
  ]);
  assert.deepEqual(problems('group: g\ntasks:\n  a:\n    type: ticker\n    time:\n'), [
    'jobs.yaml:5: task a: time has no value',
  ]);
});

test('an empty tasks map declares none; x- keys hold anchors, and << merges their fields', () => {
  assert.deepEqual(parseApplyFile('group: g\ntasks:\n', 'f', rules), { group: 'g', jobs: [] });
  const decl = parseApplyFile(
    `group: g
x-nightly: &nightly
  type: cron
  tz: UTC
  cron: "0 0 3 * * *"
  retries: 2
tasks:
  a:
    <<: *nightly
    command: /bin/a
  b:
    <<: *nightly
    cron: "0 0 4 * * *"
    command: /bin/b
`,
    'f',
    rules,
  );
  assert.deepEqual(
    decl.jobs.map((j) => [j.name, j.spec.cron, j.spec.tz, j.spec.retries, j.spec.command]),
    [
      ['a', '0 0 3 * * *', 'UTC', 2, '/bin/a'],
      ['b', '0 0 4 * * *', 'UTC', 2, '/bin/b'],
    ],
  );
});

test('a field of the wrong shape is refused, not guessed', () => {
  assert.deepEqual(problems('group: g\ntasks:\n  a:\n    type: ticker\n    command: [echo, hi]\n'), [
    'jobs.yaml:5: task a: command must be a single value',
  ]);
  assert.deepEqual(problems('group: g\ntasks:\n  a:\n    type: ticker\n    env: {A: ~}\n'), [
    'jobs.yaml:5: task a: env A has no value',
  ]);
  // YAML's true is the word written: a shell's `true` is a fine command; a limit it is not.
  assert.equal(
    parseApplyFile('group: g\ntasks:\n  a: {type: ticker, command: true}\n', 'f', rules).jobs[0]?.spec
      .command,
    'true',
  );
  assert.deepEqual(problems('group: g\ntasks:\n  a: {type: ticker, limit: true}\n'), [
    'jobs.yaml:3: task a: limit "true" is invalid; expected a whole number >= 0 (0 = without end)',
  ]);
});

test('at most 50 problems are shown; the error carries them all', () => {
  const tasks = Array.from({ length: 60 }, (_, i) => `  t${i}: {type: timer}`).join('\n');
  try {
    parseApplyFile(`group: g\ntasks:\n${tasks}\n`, 'f', rules);
    assert.fail('accepted');
  } catch (err) {
    assert.ok(err instanceof KtimerError);
    const lines = err.message.split('\n');
    assert.equal(lines.length, 51);
    assert.equal(lines.at(-1), 'f: and 10 more problems');
    assert.equal((err.details?.problems as string[]).length, 60);
  }
});
