// The examples of README.md and docs/*.md cannot go stale: each `$ ` line of a fenced block is run,
// page by page, in one shell per page against a private Redis and one daemon, and what it prints
// is compared with the output shown after it (masked where it varies: test/helpers/doc-examples.ts;
// the rules for writers: docs/README.md, "How the examples are tested").
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BIN, ROOT, runCli, writeTestConfig } from '../helpers/cli.js';
import { isAlive } from '../../src/daemon/pidfile.js';
import {
  bindKids,
  commandToRun,
  type Example,
  matchOutput,
  normalize,
  type Page,
  printedLines,
  readPage,
  type ReadsAs,
} from '../helpers/doc-examples.js';
import { freePort, usePrivateRedis } from '../helpers/redis-server.js';
import { ShellSession } from '../helpers/shell-session.js';
import { waitFor } from '../helpers/wait.js';

/** The web API's password in the examples' conf.ini (docs read it with awk, as a reader does). */
const PASSWD = 'docs-example-passwd';
/** Tools some examples call besides ktimer: where one is missing, the page's rest is skipped. */
const TOOLS = ['curl', 'jq', 'redis-cli'];

const redis = usePrivateRedis();
const files = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
/** `KTIMER_DOCS=docs/x.md` runs the examples of that page alone (the other checks still read all). */
const only = process.env.KTIMER_DOCS;
const pages: Page[] = files.map((f) => readPage(f, readFileSync(join(ROOT, f), 'utf8')));
const missingTools = TOOLS.filter((t) => spawnSync('bash', ['-c', `command -v ${t}`]).status !== 0);

let sandbox = '';
let config = '';
let env: NodeJS.ProcessEnv = {};
let readsAs: ReadsAs[] = [];

before(async () => {
  await redis.ready();
  // The "checkout" the examples run in: conf.ini, log/ and runtime/ as `ktimer init` makes them.
  sandbox = realpathSync(mkdtempSync(join(tmpdir(), 'ktimer-docs-')));
  const webPort = await freePort();
  config = writeTestConfig({
    redisPort: redis.server.port,
    prefix: 'ktimer',
    dir: sandbox,
    extra: {
      web: ['web_enable = 1', `web_port = ${webPort}`, `web_passwd = ${PASSWD}`],
      task: ['timezone = UTC'],
    },
  });
  mkdirSync(join(sandbox, 'bin'));
  writeFileSync(join(sandbox, 'bin', 'ktimer'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(join(sandbox, 'bin', 'ktimer'), 0o755);
  env = {
    ...process.env,
    PATH: `${join(sandbox, 'bin')}:${process.env.PATH ?? ''}`,
    KTIMER_CONFIG: config,
    KTIMER_DEBUG: undefined,
    HOME: sandbox,
    TZ: 'UTC',
    LC_ALL: 'C.UTF-8',
  };
  readsAs = [
    { actual: sandbox, shown: '/opt/ktimer' },
    { actual: `127.0.0.1:${webPort}`, shown: '127.0.0.1:9558' },
    { actual: `127.0.0.1:${redis.server.port}`, shown: '127.0.0.1:6379' },
  ];
  await startDaemon();
});

after(async () => {
  await runCli(['stop', '--now', '--config', config]);
  const pid = daemonPid();
  if (pid !== null && isAlive(pid)) process.kill(pid, 'SIGKILL');
});

function daemonPid(): number | null {
  try {
    return Number(readFileSync(join(sandbox, 'runtime', 'ktimer.pid'), 'utf8').trim()) || null;
  } catch {
    return null;
  }
}

async function startDaemon(): Promise<void> {
  const res = await runCli(['start', '-d', '--config', config]);
  assert.equal(res.code, 0, `start -d: ${res.stdout}${res.stderr}`);
}

/** Each page begins with an empty Redis, the daemon running unless the page starts it itself. */
async function resetFor(page: Page): Promise<void> {
  const status = await runCli(['status', '--config', config]);
  if (status.code === 0) {
    await runCli(['clear', '--yes', '--config', config]);
    await waitFor(
      async () => {
        const info = JSON.parse((await runCli(['info', '--json', '--config', config])).stdout) as {
          running_tasks?: { tasks?: unknown[] };
        };
        return (info.running_tasks?.tasks ?? []).length === 0;
      },
      { timeoutMs: 30_000, what: 'no task running' },
    );
  }
  await redis.client.flushdb();
  // A page may change the server's settings (docs/fleet.md: maxmemory, AOF): each starts with the
  // test server's own.
  for (const [name, value] of [
    ['maxmemory', '0'],
    ['maxmemory-policy', 'noeviction'],
    ['appendonly', 'no'],
  ] as const)
    await redis.client.config('SET', name, value);
  if (page.daemonStopped && status.code === 0) await runCli(['stop', '--now', '--config', config]);
  if (page.daemonStopped) return;
  if (status.code !== 0) await startDaemon();
  // Healthy, as a page expects a daemon that has been running: its loop has claimed.
  await waitFor(async () => (await runCli(['check', '--config', config])).code === 0, {
    timeoutMs: 15_000,
    what: 'the daemon to be healthy',
  });
  // And live in its fleet again (the flush took its heartbeat; it says it every second): `run`
  // refuses a task no live daemon may run.
  await waitFor(
    async () => {
      const { daemons } = JSON.parse((await runCli(['daemons', '--json', '--config', config])).stdout) as {
        daemons?: { state?: string }[];
      };
      return (daemons ?? []).some((d) => d.state === 'live');
    },
    { timeoutMs: 15_000, what: 'the daemon to be live in its fleet' },
  );
}

function shownAndPrinted(example: Example, printed: string[]): string {
  const indent = (lines: string[]) => lines.map((l) => `    ${l}`).join('\n');
  return (
    `${example.file}:${example.line}: $ ${example.command}\n` +
    `  shown (masked):\n${indent(example.expected.map(normalize))}\n` +
    `  printed (masked):\n${indent(printed.map(normalize))}`
  );
}

async function runExamples(page: Page, skip: (why: string) => void): Promise<void> {
  const shell = new ShellSession(sandbox, env);
  const kids = new Map<string, string>();
  try {
    for (const [i, example] of page.examples.entries()) {
      const tool = missingTools.find((t) => new RegExp(`(^|[|;&(\\s])${t}\\s`).test(example.command));
      if (tool) return skip(`from ${example.file}:${example.line} on: ${tool} is not installed`);
      const res = await shell.run(commandToRun(example.command, readsAs, kids));
      const printed = printedLines(res.output, readsAs, hostname());
      const pairs = matchOutput(example.expected, printed);
      if (!pairs) assert.fail(`the output differs from the page's\n${shownAndPrinted(example, printed)}`);
      bindKids(example.expected, printed, pairs, kids);
      const next = page.examples[i + 1]?.command;
      if (res.code !== 0 && next !== 'echo $?')
        assert.fail(
          `exit ${res.code}: a command that fails shows it (\`$ echo $?\` next)\n${shownAndPrinted(example, printed)}`,
        );
    }
  } finally {
    shell.close();
  }
}

for (const page of pages.filter((p) => p.examples.length > 0 && (only === undefined || p.file === only))) {
  test(`${page.file}: every \`$ \` example prints what the page shows`, { timeout: 300_000 }, async (t) => {
    if (page.pending !== undefined) return t.skip(`pending: ${page.pending}`);
    await resetFor(page);
    await runExamples(page, (why) => t.skip(why));
  });
}

test('the ktimer add, list and count lines of illustrations run, exit 0', () => {
  const lines = pages.flatMap((p) => p.plain);
  assert.ok(lines.length >= 5, 'the README and guide illustrate adding tasks');
  for (const line of lines) {
    // Each on a store of its own (a random key prefix), so that names never clash.
    const own = writeTestConfig({ redisPort: redis.server.port });
    const res = spawnSync('bash', ['-c', line.command], {
      cwd: sandbox,
      env: { ...env, KTIMER_CONFIG: own },
      encoding: 'utf8',
    });
    assert.equal(res.status, 0, `${line.file}:${line.line}: ${line.command}\n${res.stdout}${res.stderr}`);
  }
});

const texts = files.map((f) => ({ file: f, text: readFileSync(join(ROOT, f), 'utf8') }));

test('an npx example says --yes (without it npx asks, and fails when stdin is no terminal)', () => {
  for (const { file, text } of texts)
    text.split('\n').forEach((line, i) => {
      assert.doesNotMatch(line, /\bnpx (?!--yes\b)/, `${file}:${i + 1}: ${line}`);
    });
});

test('the reliability suite and the benchmarks are each given one duration', () => {
  const commands = ['npm run test:reliability', 'npm run bench'];
  const said = new Map(commands.map((c) => [c, new Set<string>()]));
  // A duration belongs to the command it follows in the same paragraph, up to the next command.
  const split = new RegExp(`(?=${commands.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`);
  for (const { text } of texts)
    for (const paragraph of text.split(/\n\s*\n/))
      for (const part of paragraph.split(split)) {
        const command = commands.find((c) => part.startsWith(c));
        const duration = /about \d+ (?:minutes|hours?)/.exec(part)?.[0];
        if (command && duration) said.get(command)?.add(duration);
      }
  for (const [command, durations] of said)
    assert.ok(durations.size <= 1, `${command}: ${[...durations].join(', ')}`);
});

test('no example holds a fixed unix timestamp (it would lie in the past one day)', () => {
  for (const { file, text } of texts) assert.doesNotMatch(text, /(?:time|starttime|endtime)=1\d{9}\b/, file);
});

/** The anchors GitHub gives a page's headings. */
function anchorsOf(text: string): Set<string> {
  const slugs = new Set<string>();
  for (const m of text.matchAll(/^#{1,6} (.+)$/gm)) {
    const base = (m[1] ?? '')
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\-_ ]/gu, '')
      .replace(/ /g, '-');
    let slug = base;
    for (let n = 1; slugs.has(slug); n++) slug = `${base}-${n}`;
    slugs.add(slug);
  }
  return slugs;
}

test('every link between the pages leads to a page and a heading that are there', () => {
  const broken: string[] = [];
  for (const { file, text } of texts) {
    const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
    for (const m of text.matchAll(/\]\((?!https?:|mailto:)([^)#\s]*)(?:#([^)\s]*))?\)/g)) {
      const target = m[1] ? join(dir, m[1]) : file;
      if (!existsSync(join(ROOT, target))) {
        broken.push(`${file}: ${m[0]}: no such page`);
      } else if (
        m[2] &&
        target.endsWith('.md') &&
        !anchorsOf(readFileSync(join(ROOT, target), 'utf8')).has(m[2])
      )
        broken.push(`${file}: ${m[0]}: no such heading`);
    }
  }
  assert.deepEqual(broken, []);
});

test('README.md is a front door: at most 300 lines, the two fresh-machine commands first in their section', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.ok(readme.split('\n').length <= 300, `README.md has ${readme.split('\n').length} lines`);
  // CI and the lead run the first two sh blocks of the section whose title says so.
  const section = /^## [^\n]*(?:fresh machine|install)[^\n]*\n([\s\S]*?)(?=^## )/im.exec(readme)?.[1] ?? '';
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  assert.match(blocks[0] ?? '', /npm ci && \.\/bin\/ktimer init && \.\/bin\/ktimer start -d/);
  assert.match(blocks[1] ?? '', /npm ci && npm test/);
});

test('every page of the guide opens with a table of contents of its sections', () => {
  for (const { file, text } of texts.filter((t) => t.file.startsWith('docs/'))) {
    const sections = [...text.matchAll(/^## (.+)$/gm)].length;
    if (sections < 2) continue;
    const anchors = anchorsOf(
      text
        .split('\n')
        .filter((l) => l.startsWith('## '))
        .join('\n'),
    );
    const linked = new Set([...text.matchAll(/\]\(#([^)\s]+)\)/g)].map((m) => m[1]));
    const missing = [...anchors].filter((a) => !linked.has(a));
    assert.deepEqual(missing, [], `${file}: sections missing from its table of contents`);
  }
});
