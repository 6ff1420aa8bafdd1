// Benchmark 9, jobs as code (issue 25): `ktimer apply` of a file of 10,000 tasks, the first time
// (tasks per second, the whole command) and again with no change (its wall time, and what it wrote:
// Redis's count of changes must not move); then the lateness of URL timers a daemon fires while
// such an apply runs, beside the same timers with no apply.
// The peer of the first apply is `ktimer add --file` of the same tasks as JSON lines, on a fresh
// Redis in the same run: what the store takes for a bulk write of them.
// Run alone: node --import tsx bench/apply.ts (APPLY_TASKS, BENCH_REPS to make it shorter;
// BENCH_PART=apply measures the applies alone, without the lateness runs)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from '../test/helpers/cli.js';
import { fmt, printSection, ratio, type Row, type Section } from './lib/report.js';
import { kidOf, RedisServer, seedDueTimers, Sink, TestDaemon, writeTestConfig } from './lib/setup.js';
import { type Latency, latency, median, medianOf } from './lib/stats.js';

const TASKS = Number(process.env.APPLY_TASKS ?? 10_000);
const DUE = 2000;
const SPREAD_MS = 10_000;
const LEAD_MS = 4000;
const APPLY_ONLY = process.env.BENCH_PART === 'apply';

/** The fields of the `i`-th task of applyFile, as an object (add --file's keys). */
function taskOf(i: number): Record<string, unknown> {
  const fields: Record<string, unknown> =
    i % 2 === 0
      ? { type: 'ticker', time: 3600 + (i % 500) }
      : { type: 'cron', cron: `0 ${i % 60} ${i % 24} * * *`, tz: 'Europe/Berlin' };
  fields.command = `/usr/local/bin/job --n ${i}`;
  if (i % 10 === 0) Object.assign(fields, { timeout: 600, retries: 2, on: ['db'] });
  return fields;
}

/** An apply file of `n` tickers and cron tasks in `group`, every tenth with a few more fields. */
function applyFile(group: string, n: number): string {
  const lines = [`group: ${group}`, 'tasks:'];
  for (let i = 0; i < n; i++) {
    lines.push(`  ${group}-${i}:`);
    for (const [key, value] of Object.entries(taskOf(i)))
      lines.push(`    ${key}: ${Array.isArray(value) ? `[${value.join(', ')}]` : JSON.stringify(value)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The same tasks as `add --file`'s JSON lines, named as in the apply file. */
function addFile(group: string, n: number): string {
  const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ name: `${group}-${i}`, ...taskOf(i) }));
  return `${lines.join('\n')}\n`;
}

/** What Redis counts as changes to its data since its last save: a write moves it. */
async function changes(redis: RedisServer): Promise<number> {
  const client = redis.client();
  const info = await client.info('persistence');
  client.disconnect();
  return Number(/rdb_changes_since_last_save:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

function timed(config: string, args: string[]): number {
  const t = performance.now();
  execFileSync(process.execPath, [BIN, ...args, '--config', config], { stdio: 'ignore' });
  return performance.now() - t;
}

interface ApplyFigures {
  firstPerSec: number;
  againMs: number;
  written: number;
  addPerSec: number;
}

/** The first apply and a re-apply with no change, on a fresh Redis; `add --file` on another. */
async function applyRun(file: string, jsonl: string): Promise<ApplyFigures> {
  const redis = await RedisServer.start();
  const peer = await RedisServer.start();
  try {
    const config = writeTestConfig({ redisPort: redis.port, prefix: 'apl' });
    const firstMs = timed(config, ['apply', file]);
    const before = await changes(redis);
    const againMs = timed(config, ['apply', file]);
    const written = (await changes(redis)) - before;
    const addMs = timed(writeTestConfig({ redisPort: peer.port, prefix: 'apl' }), ['add', '--file', jsonl]);
    return { firstPerSec: TASKS / (firstMs / 1000), againMs, written, addPerSec: TASKS / (addMs / 1000) };
  } finally {
    await redis.destroy();
    await peer.destroy();
  }
}

/** The lateness of DUE URL timers over SPREAD_MS, with an apply of TASKS tasks started among them or not. */
async function latenessRun(sink: Sink, file: string | null): Promise<Latency> {
  const redis = await RedisServer.start();
  try {
    const due = await seedDueTimers(redis, sink, 'apl', {
      count: DUE,
      pending: 0,
      leadMs: LEAD_MS,
      spreadMs: SPREAD_MS,
    });
    const config = writeTestConfig({ redisPort: redis.port, prefix: 'apl' });
    const daemon = new TestDaemon(config);
    sink.reset();
    await daemon.start();
    let applied: Promise<void> = Promise.resolve();
    if (file !== null) {
      // Start the apply once the timers fire: its batches land among the claims.
      await sink.waitFor(DUE / 10, LEAD_MS + SPREAD_MS);
      applied = new Promise((resolve, reject) =>
        spawn(process.execPath, [BIN, 'apply', file, '--config', config], { stdio: 'ignore' }).on(
          'exit',
          (code) => (code === 0 ? resolve() : reject(new Error(`apply exited ${code}`))),
        ),
      );
    }
    await sink.waitFor(DUE, LEAD_MS + SPREAD_MS + 30_000);
    await applied;
    daemon.kill();
    return latency(due.map((d, i) => (sink.arrivals.get(kidOf(i, 'd')) ?? Number.NaN) - d));
  } finally {
    await redis.destroy();
  }
}

function latenessRow(quiet: Latency[], busy: Latency[]): Row {
  const q = medianOf(quiet as unknown as Record<string, number>[]) as unknown as Latency;
  const b = medianOf(busy as unknown as Record<string, number>[]) as unknown as Latency;
  return {
    measure: `lateness p99 while a ${TASKS}-task apply runs`,
    ktimer: `${fmt(b.p99)} ms`,
    peer: `no apply: ${fmt(q.p99)} ms`,
    ratio: '',
    target: 'within noise: at most 2x, or 5 ms more',
    met: b.p99 <= Math.max(2 * q.p99, q.p99 + 5),
  };
}

export async function runApply(reps: number): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), 'ktimer-bench-apply-'));
  const file = join(dir, 'jobs.yaml');
  writeFileSync(file, applyFile('bench', TASKS));
  const jsonl = join(dir, 'tasks.jsonl');
  writeFileSync(jsonl, addFile('bench', TASKS));
  const sink = new Sink();
  await sink.start();
  const runs: ApplyFigures[] = [];
  const quiet: Latency[] = [];
  const busy: Latency[] = [];
  try {
    for (let rep = 0; rep < reps; rep++) {
      runs.push(await applyRun(file, jsonl));
      if (!APPLY_ONLY) {
        quiet.push(await latenessRun(sink, null));
        busy.push(await latenessRun(sink, file));
      }
      process.stdout.write(
        `apply rep ${rep + 1}: ${JSON.stringify(runs.at(-1))}, p99 alone ${fmt(quiet.at(-1)?.p99 ?? Number.NaN)} ms, during an apply ${fmt(busy.at(-1)?.p99 ?? Number.NaN)} ms\n`,
      );
    }
  } finally {
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const perSec = median(runs.map((r) => r.firstPerSec));
  const againMs = median(runs.map((r) => r.againMs));
  const written = Math.max(...runs.map((r) => r.written));
  const addPerSec = median(runs.map((r) => r.addPerSec));
  const rows: Row[] = [
    {
      measure: `first apply of ${TASKS} tasks, tasks per second (the whole command)`,
      ktimer: `${fmt(perSec, 0)}/s`,
      peer: `\`add --file\` of the same tasks: ${fmt(addPerSec, 0)}/s`,
      ratio: `apply/add ${ratio(perSec, addPerSec)}`,
      target: '>= 10,000/s',
      met: perSec >= 10_000,
    },
    {
      measure: 'the same file again (no change): wall time, and changes Redis counted',
      ktimer: `${fmt(againMs)} ms, ${written} written`,
      peer: '',
      ratio: '',
      target: '< 2 s, nothing written',
      met: againMs < 2000 && written === 0,
    },
  ];
  if (!APPLY_ONLY) rows.push(latenessRow(quiet, busy));
  return {
    title: `9. Jobs as code: \`ktimer apply\` of ${TASKS} tasks; lateness of ${DUE} URL timers over ${SPREAD_MS / 1000} s while it runs (median of ${reps})`,
    command: 'node --import tsx bench/apply.ts',
    rows,
    notes: [
      'The apply file: half tickers, half cron tasks in Europe/Berlin, every tenth with timeout, retries and on; changes counted by `INFO persistence` (`rdb_changes_since_last_save`).',
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printSection(await runApply(Number(process.env.BENCH_REPS ?? 3)));
  process.exit(0);
}
