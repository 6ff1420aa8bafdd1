// export (issue 25): stored tasks as an apply file that applies back to no change, in YAML and
// JSON, the same text for the same tasks. The round trip is checked over many generated tasks
// (a seeded generator: a failure names its seed), with the awkward values YAML has opinions on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseApplyFile } from '../../src/jobs/apply-file.js';
import { exportJobs, type FileFormat } from '../../src/jobs/export.js';
import type { StoredJob } from '../../src/jobs/job.js';
import { makePlan } from '../../src/jobs/plan.js';
import { planLines } from '../../src/jobs/plan-text.js';
import type { TaskRules } from '../../src/tasks/task-rules.js';
import { seededRandom } from '../helpers/seeded-random.js';

const rules: TaskRules = {
  maxDay: 365,
  defaultTimer: 'echo hi',
  defaultTicker: 'date',
  timezone: 'Asia/Tokyo',
};

const base = {
  time: 0,
  limit: 0,
  run_num: 0,
  run_lasttime: 0,
  run_nexttime: 1_800_000_000,
  misfire: 'once' as const,
};

test('the YAML a person reads: group, tasks by name, fields in one order, defaults left out', () => {
  const tasks: StoredJob[] = [
    {
      ...base,
      kid: 'k2',
      name: 'heartbeat',
      group: 'nightly',
      type: 'ticker',
      time: 300,
      command: 'echo alive',
    },
    {
      ...base,
      kid: 'k1',
      name: 'db-backup',
      group: 'nightly',
      type: 'cron',
      cron: '0 30 3 * * *',
      tz: 'Europe/Berlin',
      command: '/usr/local/bin/backup-db',
      timeout: 3600,
      overlap: 'skip',
      retries: 2,
      retry_delay: 10,
      on: ['db'],
      env: { RETAIN: '010', PGHOST: 'localhost' },
      output_max: 8192,
      notify: 'off',
    },
  ];
  const out = exportJobs(tasks, 'nightly', 'yaml');
  assert.equal(
    out.text,
    `group: nightly
tasks:
  db-backup:
    type: cron
    cron: 0 30 3 * * *
    tz: Europe/Berlin
    command: /usr/local/bin/backup-db
    timeout: 3600
    overlap: skip
    retries: 2
    retry_delay: 10
    on: [db]
    env:
      PGHOST: localhost
      RETAIN: "010"
    output_max: 8k
    notify: off
  heartbeat:
    type: ticker
    time: 300
    command: echo alive
`,
  );
  assert.deepEqual(out.skipped, []);
  const json = JSON.parse(exportJobs(tasks, 'nightly', 'json').text) as { tasks: Record<string, unknown> };
  assert.deepEqual(Object.keys(json.tasks), ['db-backup', 'heartbeat']);
});

test('timers, nameless tasks and other groups are left out, each with its reason', () => {
  const tasks: StoredJob[] = [
    { ...base, kid: 'k1', name: 'once', group: 'g', type: 'timer', time: 60, limit: 1, command: 'x' },
    { ...base, kid: 'k2', group: 'g', type: 'ticker', time: 60, command: 'x' },
    { ...base, kid: 'k3', name: 'web', group: 'web', type: 'ticker', time: 60, command: 'x' },
    { ...base, kid: 'k4', name: 'loose', type: 'ticker', time: 60, command: 'x' },
  ];
  const out = exportJobs(tasks, 'g', 'yaml');
  assert.equal(out.text, 'group: g\ntasks: {}\n');
  assert.deepEqual(
    out.skipped.map((s) => `${s.name ?? s.kid}: ${s.reason}`),
    [
      'once: a one-shot timer is not declared state (apply files hold tickers and cron tasks)',
      'k2: it has no name, which is its key in a file; give it one with `ktimer update k2 -name=NAME`',
      'web: it is of group web',
      'loose: it has no group',
    ],
  );
});

/** Strings YAML reads as something else when written plain, and strings that need escapes. */
const AWKWARD = [
  'true',
  'false',
  'null',
  '~',
  'yes',
  'off',
  '010',
  '0x1F',
  '1e3',
  '.inf',
  '-',
  '- item',
  '? x',
  '*alias',
  '&anchor',
  '!tag',
  '%directive',
  '@at',
  '`tick`',
  '[a, b]',
  '{a: 1}',
  'a: b',
  'a #b',
  '#hash',
  "it's",
  'say "hi"',
  'back\\slash',
  'tab\there',
  'line one\nline two',
  'trailing\n\n',
  '  indented first\nsecond',
  'cr\rhere',
  'bell\u0007',
  'émoji 🎉 ünïcode',
  'zero\u200bwidth',
  '|',
  '>',
  "'",
  '"',
  '',
  ' ',
];

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)] as T;
}

/** A stored task as the store would hold one after add: checked fields, trimmed command. */
function generated(next: () => number, i: number): StoredJob {
  const awkward = () => pick(next, AWKWARD);
  const maybe = <T>(value: T): T | undefined => (next() < 0.5 ? value : undefined);
  const type = next() < 0.5 ? 'ticker' : 'cron';
  const command = `${pick(next, ['echo', '/usr/bin/env x', 'curl -fsS'])} ${awkward()}${awkward()}`.trim();
  const task: StoredJob = {
    ...base,
    kid: `kid${i}`,
    name: pick(next, ['job', 'x', 'backup.db', 'a-b_c', 'Z9']) + i,
    group: 'g',
    type,
    command,
    limit: pick(next, [0, 0, 5, 1000]),
    misfire: pick(next, ['once', 'skip', 'all'] as const),
    timeout: maybe(pick(next, [1, 60, 604_800])),
    overlap: pick(next, ['allow', 'skip', 'queue'] as const),
    on: maybe(pick(next, [['db'], ['eu', 'db'], ['host:web-1.example.com', 'x']])),
    cwd: maybe(`/srv/${awkward().replace(/\0/g, '')}`),
    user: maybe(pick(next, ['backup', 'www-data', 'svc_1$'])),
    output_max: maybe(pick(next, [0, 1, 1000, 8192, 1024 * 1024, 3 * 1024 * 1024 + 1])),
    notify: maybe('off' as const),
  };
  if (type === 'ticker') task.time = pick(next, [1, 60, 300, 86_400]);
  else {
    task.cron = pick(next, ['0 30 3 * * *', '*/5 * * * *', '@daily', '0 0 9 * * 1-5', '0 0 0 1 jan,jul *']);
    task.tz = pick(next, ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo']);
  }
  if (next() < 0.3)
    Object.assign(task, { retries: pick(next, [1, 3, 100]), retry_delay: pick(next, [1, 10, 3600]) });
  if (next() < 0.5)
    task.env = Object.fromEntries(
      Array.from({ length: 1 + Math.floor(next() * 4) }, (_, j) => [`V${j}`, awkward()]),
    );
  for (const key of Object.keys(task) as (keyof StoredJob)[]) if (task[key] === undefined) delete task[key];
  return task;
}

for (const format of ['yaml', 'json'] as FileFormat[]) {
  test(`export -> apply gives no change, over generated tasks (${format})`, () => {
    for (let seed = 1; seed <= 40; seed++) {
      const next = seededRandom(seed);
      const tasks = Array.from({ length: 25 }, (_, i) => generated(next, i));
      // Names YAML would read as something else, were they not quoted.
      for (const [i, name] of ['null', 'true', 'on', 'No', 'NaN', 'e1'].entries())
        if (seed % 6 === i) Object.assign(tasks[0] as StoredJob, { name });
      const text = exportJobs(tasks, 'g', format).text;
      let lines: string[];
      try {
        lines = planLines(makePlan(parseApplyFile(text, 'export', rules), tasks, true));
      } catch (err) {
        assert.fail(`seed ${seed}: ${String(err)}\n${text}`);
      }
      assert.deepEqual(lines, ['0 to add, 0 to change, 0 to remove, 25 unchanged'], `seed ${seed}:\n${text}`);
      const shuffled = [...tasks].sort(() => next() - 0.5);
      assert.equal(
        exportJobs(shuffled, 'g', format).text,
        text,
        `seed ${seed}: the same tasks, the same text`,
      );
    }
  });
}
