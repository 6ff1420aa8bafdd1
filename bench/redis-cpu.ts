// Benchmark: Redis work per fire at a steady rate (issue 28 item 1). URL tasks due evenly at
// RATE a second for SECONDS, fired by 1, 2 and 3 ktimer daemons (BENCH_FLEETS), beside BullMQ
// delayed jobs processed by as many workers calling the same sink, each on a Redis of its own,
// alternated BENCH_REPS times (the median of each side: BullMQ's own figure swings). Redis CPU
// (INFO cpu: user + sys of the server) and its script/command calls (INFO commandstats) are read
// before the first due time and after the last call arrived, and divided by the calls made.
// Both keep the same record of a run: ktimer its history row, runs-stream entry, last run and the
// URL's response body as the run's output; BullMQ its completed job (keepCompleted) with the
// processor's result, the body the sink answered (fetchSink), and its events-stream entry.
// Run alone: node --import tsx bench/redis-cpu.ts [rate] [seconds] [--scripts | --ktimer]
// [--breakdown]
// --idle: 1 and 3 daemons with nothing due for SECONDS: what an idle fleet costs Redis a second
// (claims, heartbeats), with the breakdown.
// --breakdown: after each run, every command's calls and µs per fire from INFO commandstats (the
// commands scripts run inside them too, their µs counted in the script's as well), and the round
// trips: reads and writes the server processed, commands, connections opened, per fire.
// --ktimer: ktimer alone (each fleet size once), for a quick look; the table needs BullMQ beside it.
// --scripts: ktimer alone, with every command in the slowlog (threshold 0) and a breakdown per
// script printed (calls per fire, µs of script time per call); the slowlog costs Redis CPU, so
// its CPU figures are not the ones to compare.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { readLua } from '../src/store/script.js';
import { Bull, fetchSink } from './lib/bull.js';
import { counters, type RedisCounters } from './lib/redis-work.js';
import { fmt, machine, printSection, ratio, type Section } from './lib/report.js';
import {
  kidOf,
  redisNowMs,
  RedisServer,
  seedDueTimers,
  Sink,
  TestDaemon,
  writeTestConfig,
} from './lib/setup.js';

const RATE = Number(process.argv[2] ?? 1000);
const SECONDS = Number(process.argv[3] ?? 10);
const COUNT = RATE * SECONDS;
const LEAD_MS = 5000;
const BY_SCRIPT = process.argv.includes('--scripts');
const KTIMER_ONLY = BY_SCRIPT || process.argv.includes('--ktimer');
const IDLE = process.argv.includes('--idle');
const BREAKDOWN = IDLE || process.argv.includes('--breakdown');
// Fleet sizes measured (issue 28: 1, 2 or 3 daemons), e.g. BENCH_FLEETS=1,3.
const FLEETS = (process.env.BENCH_FLEETS ?? '1,2,3').split(',').map(Number);

interface Work {
  /** Redis CPU per fire, µs. */
  cpuUs: number;
  /** Script calls (EVAL, EVALSHA, FCALL) per fire. */
  scripts: number;
}

/** Waits until the wall clock reaches `ms`: the window measured starts at the first due time. */
const until = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms - Date.now())));

const ROUND_TRIPS: [string, string][] = [
  ['total_reads_processed', 'reads'],
  ['total_writes_processed', 'writes'],
  ['total_commands_processed', 'commands'],
  ['total_connections_received', 'connections'],
];

/** Every command's calls and µs per fire, then the round trips per fire (with --breakdown). */
function printBreakdown(before: RedisCounters, after: RedisCounters, fires: number): void {
  const rows = [...after.commands]
    .map(([name, a]) => {
      const b = before.commands.get(name) ?? { calls: 0, us: 0 };
      return { name, calls: a.calls - b.calls, us: a.us - b.us };
    })
    .filter((r) => r.calls > 0 && !['info', 'slowlog', 'config'].includes(r.name))
    .sort((x, y) => y.us - x.us);
  for (const r of rows)
    process.stdout.write(
      `  ${r.name.padEnd(16)} ${fmt(r.calls / fires, 3).padStart(7)} calls/fire ${fmt(r.us / fires, 1).padStart(7)} µs/fire\n`,
    );
  const per = ROUND_TRIPS.map(
    ([key, label]) =>
      `${label} ${fmt(((after.stats.get(key) ?? 0) - (before.stats.get(key) ?? 0)) / fires, 3)}`,
  );
  process.stdout.write(`  per fire: ${per.join(', ')}\n`);
}

function workOf(before: RedisCounters, after: RedisCounters, fires: number): Work {
  return {
    cpuUs: ((after.cpuS - before.cpuS) * 1e6) / fires,
    scripts: (after.scripts - before.scripts) / fires,
  };
}

/** ktimer's scripts by the SHA1 EVALSHA names them with. */
function scriptNames(): Map<string, string> {
  const dir = new URL('../src/store/lua/', import.meta.url);
  const names = new Map<string, string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.lua')))
    names.set(createHash('sha1').update(readLua(file)).digest('hex'), file.replace(/\.lua$/, ''));
  return names;
}

/** Every command from now on goes into the slowlog (only with --scripts). */
async function logEveryCommand(redis: RedisServer): Promise<void> {
  const c = redis.client();
  await c.config('SET', 'slowlog-max-len', '1000000');
  await c.config('SET', 'slowlog-log-slower-than', '0');
  await c.slowlog('RESET');
  c.disconnect();
}

/** Calls per fire and µs per call of each script (and other command) the slowlog holds. */
async function printByScript(redis: RedisServer, fires: number): Promise<void> {
  const c = redis.client();
  await c.config('SET', 'slowlog-log-slower-than', '-1');
  const entries = (await c.slowlog('GET', -1)) as [number, number, number, string[]][];
  c.disconnect();
  const names = scriptNames();
  const by = new Map<string, { calls: number; us: number }>();
  for (const [, , us, args] of entries) {
    const cmd = (args[0] ?? '?').toLowerCase();
    const name =
      cmd === 'evalsha'
        ? (names.get(args[1] ?? '') ?? 'evalsha ?')
        : cmd === 'fcall'
          ? (/^ktimer_(\w+)_[0-9a-f]+$/.exec(args[1] ?? '')?.[1] ?? 'fcall ?')
          : cmd;
    const row = by.get(name) ?? { calls: 0, us: 0 };
    row.calls++;
    row.us += us;
    by.set(name, row);
  }
  for (const [name, { calls, us }] of [...by].sort((x, y) => y[1].us - x[1].us))
    process.stdout.write(
      `  ${name.padEnd(12)} ${fmt(calls / fires, 3)} calls/fire  ${fmt(us / calls, 1)} µs/call  ${fmt(us / fires, 1)} µs/fire\n`,
    );
}

async function ktimerRun(redis: RedisServer, sink: Sink, daemons: number): Promise<Work> {
  const due = await seedDueTimers(redis, sink, 'cpu', {
    count: COUNT,
    pending: 0,
    leadMs: LEAD_MS,
    spreadMs: SECONDS * 1000,
  });
  const fleet = Array.from(
    { length: daemons },
    () => new TestDaemon(writeTestConfig({ redisPort: redis.port, prefix: 'cpu' })),
  );
  sink.reset();
  await Promise.all(fleet.map((d) => d.start()));
  await until(due[0] ?? 0);
  if (BY_SCRIPT) await logEveryCommand(redis);
  const before = await counters(redis);
  await sink.waitFor(COUNT, LEAD_MS + SECONDS * 1000 + 60_000);
  const after = await counters(redis);
  if (BREAKDOWN) printBreakdown(before, after, COUNT);
  if (BY_SCRIPT) await printByScript(redis, COUNT);
  if (KTIMER_ONLY) {
    const late = due
      .map((d, i) => (sink.arrivals.get(kidOf(i, 'd')) ?? Number.NaN) - d)
      .sort((x, y) => x - y);
    const at = (q: number) => fmt(late[Math.floor(q * (late.length - 1))] ?? Number.NaN, 0);
    process.stdout.write(`  lateness ms: p50 ${at(0.5)}, p99 ${at(0.99)}, max ${at(1)}\n`);
  }
  for (const d of fleet) d.kill();
  return workOf(before, after, COUNT);
}

async function bullRun(redis: RedisServer, sink: Sink, workers: number): Promise<Work> {
  const queues = Array.from({ length: workers }, () => new Bull('cpu', redis.port));
  const client = redis.client();
  const now = await redisNowMs(client);
  client.disconnect();
  const start = Date.now();
  const due = Array.from(
    { length: COUNT },
    (_, i) => now + (start - now) + LEAD_MS + Math.floor((SECONDS * 1000 * i) / COUNT),
  );
  // keepCompleted: ktimer keeps a record of every run, so BullMQ keeps its completed jobs.
  await queues[0]?.addBulk(
    due.map((d, i) => ({ name: 'due', data: { kid: kidOf(i, 'd') }, delayMs: d - Date.now() })),
    { keepCompleted: true },
  );
  sink.reset();
  // The sink's body as the job's result: kept with the completed job, as ktimer keeps it as output.
  for (const q of queues) q.work((data) => fetchSink(`${sink.url('/b')}?kid=${data.kid as string}`), 100);
  await until(due[0] ?? 0);
  const before = await counters(redis);
  await sink.waitFor(COUNT, LEAD_MS + SECONDS * 1000 + 60_000);
  const after = await counters(redis);
  if (BREAKDOWN) printBreakdown(before, after, COUNT);
  await Promise.all(queues.map((q) => q.close()));
  return workOf(before, after, COUNT);
}

async function measure(
  sink: Sink,
  who: string,
  fn: (redis: RedisServer, sink: Sink, n: number) => Promise<Work>,
  n: number,
): Promise<Work> {
  const redis = await RedisServer.start();
  try {
    const work = await fn(redis, sink, n);
    process.stdout.write(`redis-cpu ${who} x${n}: ${JSON.stringify(work)}\n`);
    return work;
  } finally {
    await redis.destroy();
  }
}

/** The median of xs (the middle one; the mean of the two middle ones). */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? Number.NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

/** The median of `reps` runs of each side, alternated (BullMQ's own figure swings run to run). */
async function pairOf(sink: Sink, n: number, reps: number): Promise<{ k: Work; b: Work }> {
  const ks: Work[] = [];
  const bs: Work[] = [];
  for (let r = 0; r < reps; r++) {
    ks.push(await measure(sink, 'ktimer', ktimerRun, n));
    bs.push(await measure(sink, 'bullmq', bullRun, n));
  }
  const mid = (ws: Work[]): Work => ({
    cpuUs: median(ws.map((w) => w.cpuUs)),
    scripts: median(ws.map((w) => w.scripts)),
  });
  return { k: mid(ks), b: mid(bs) };
}

export async function runRedisCpu(reps = 1): Promise<Section> {
  const sink = new Sink();
  await sink.start();
  const runs = new Map<number, { k: Work; b: Work }>();
  for (const n of FLEETS) runs.set(n, await pairOf(sink, n, reps));
  await sink.close();
  const us = (w: Work) => `${fmt(w.cpuUs, 0)} µs, ${fmt(w.scripts, 2)} scripts`;
  const rows = [...runs].map(([n, { k, b }]) => ({
    measure: n === 1 ? '1 daemon / worker' : `${n} daemons / workers`,
    ktimer: us(k),
    peer: us(b),
    ratio: `ktimer/BullMQ ${ratio(k.cpuUs, b.cpuUs)}`,
    target: '<= 1.0x',
    met: k.cpuUs <= b.cpuUs,
  }));
  const one = runs.get(1);
  const most = runs.get(Math.max(...FLEETS));
  if (one && most && most !== one)
    rows.push({
      measure: `${Math.max(...FLEETS)} daemons against 1`,
      ktimer: ratio(most.k.cpuUs, one.k.cpuUs),
      peer: ratio(most.b.cpuUs, one.b.cpuUs),
      ratio: '',
      target: 'ktimer <= 1.05x',
      met: most.k.cpuUs / one.k.cpuUs <= 1.05,
    });
  return {
    title: `Redis work per fire: ${COUNT} URL tasks at ${RATE}/s, median of ${reps} (${machine()})`,
    command: `BENCH_REPS=${reps} node --import tsx bench/redis-cpu.ts ${RATE} ${SECONDS}`,
    rows,
    notes: [
      'CPU from INFO cpu (user + sys), script calls (EVAL, EVALSHA, FCALL) from INFO commandstats; both from the first due time to the last call.',
      'Each fleet size: ktimer and BullMQ alternated, each on a fresh Redis; the median of the runs of each side.',
    ],
  };
}

/** An idle fleet of `daemons`: Redis CPU and commands a second, nothing due. */
async function idleRun(redis: RedisServer, _sink: Sink, daemons: number): Promise<Work> {
  const fleet = Array.from(
    { length: daemons },
    () => new TestDaemon(writeTestConfig({ redisPort: redis.port, prefix: 'cpu' })),
  );
  await Promise.all(fleet.map((d) => d.start()));
  // Past the start: the daemons have settled who polls.
  await until(Date.now() + 3000);
  const before = await counters(redis);
  await until(Date.now() + SECONDS * 1000);
  const after = await counters(redis);
  process.stdout.write(`  idle, per second (fire = second):\n`);
  printBreakdown(before, after, SECONDS);
  for (const d of fleet) d.kill();
  return workOf(before, after, SECONDS);
}

async function runKtimerOnly(): Promise<void> {
  const sink = new Sink();
  await sink.start();
  for (const n of FLEETS) await measure(sink, 'ktimer', ktimerRun, n);
  await sink.close();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (IDLE) {
    const sink = new Sink();
    for (const n of [1, 3]) await measure(sink, 'ktimer idle', idleRun, n);
  } else if (KTIMER_ONLY) await runKtimerOnly();
  else printSection(await runRedisCpu(Number(process.env.BENCH_REPS ?? 1)));
  process.exit(0);
}
