// Benchmark 9, placement (issue 24, docs/fleet.md "Labels"): what labels cost the claim. First,
// the claim script alone: the same due timers spread over 0, 1, 4 and 16 label sets, claimed by a
// daemon holding every label, and over 16 sets by one holding a single label (the other sets'
// due tasks wait, and its claims never meet them): the cost per fire should not move with the
// number of sets. Second, a daemon's lateness, and its shell burst, when half its tasks carry a
// label it holds, beside the same loads without labels.
// Beside each claim's µs, Redis's commands per fire and, with the server under callgrind, its
// instructions per fire: figures a shared machine does not disturb. A control claims 20,000 tasks
// without labels among 15 times as many not due: the data the daemon holding 1 of 16 sets sits in.
// Run alone: node --import tsx bench/placement.ts (BENCH_QUICK=1: a smaller load, for a check
// that it works; BENCH_CLAIM_ONLY=1: the claim alone; BENCH_CALLGRIND_DIR=DIR with
// bench/lib/callgrind first in PATH: Redis under callgrind, instructions per fire).
import { taskKeys } from '../test/helpers/cli.js';
import { storedTask, storeTasks } from '../test/helpers/stored-tasks.js';
import { storesOn, testKeys } from '../test/helpers/stores.js';
import { fmt, printSection, type Row, type Section } from './lib/report.js';
import { redisWork } from './lib/redis-work.js';
import { kidOf, redisNowMs, RedisServer, Sink, TestDaemon, writeTestConfig } from './lib/setup.js';
import { type Latency, latency, median, medianOf } from './lib/stats.js';

const QUICK = process.env.BENCH_QUICK === '1';
/** Due timers per claim run, claimed 200 at a time (the daemon's batch). */
const CLAIMED = Number(process.env.BENCH_CLAIMED ?? (QUICK ? 2000 : 20_000));
const BATCH = 200;
/** Lateness: URL timers over the spread, and pending ones far ahead. */
const DUE = QUICK ? 1000 : 5000;
const PENDING = QUICK ? 10_000 : 100_000;
const SPREAD_MS = QUICK ? 8000 : 20_000;
const LEAD_MS = 6000;
/** Shell burst: `true` tasks due at once, 64 at a time. */
const SHELLS = QUICK ? 500 : 2000;

/** How the claim's due tasks are placed, and what the claiming daemon holds. */
interface Layout {
  name: string;
  sets: number;
  /** How many of the sets the daemon holds (the first ones). */
  held: number;
  /** Tasks not due beside them, as a multiple of CLAIMED (the control). */
  later?: number;
}

const LAYOUTS: Layout[] = [
  { name: 'no labels', sets: 0, held: 0 },
  { name: '1 label set', sets: 1, held: 1 },
  { name: '4 label sets', sets: 4, held: 4 },
  { name: '16 label sets', sets: 16, held: 16 },
  { name: '16 label sets, holding 1', sets: 16, held: 1 },
  { name: 'no labels, among 15x as many not due', sets: 0, held: 0, later: 15 },
];

/** A claim's cost per fire: µs (its round trip included), and Redis's commands and instructions. */
interface ClaimCost {
  us: number;
  commands: number;
  instructions: number;
}

const labelOf = (i: number): string => `g${i}`;

/** The cost per fire claimed, for one layout: the claim script and its round trip. */
async function claimCost(layout: Layout): Promise<ClaimCost> {
  const redis = await RedisServer.start();
  const client = redis.client();
  try {
    const keys = testKeys('pl');
    const { fires } = storesOn(client, keys);
    const nowMs = await redisNowMs(client);
    const claim = (labels: string[]) =>
      fires.claim({
        nowMs: nowMs + 1000,
        owner: 'bench:1:x',
        labels,
        leaseMs: 600_000,
        maxShell: BATCH,
        maxUrl: BATCH,
        expireLimitSec: 0,
      });
    await claim([]); // the script loaded before the clock starts
    // Every task due in the past second; the daemon's share is CLAIMED whatever the layout.
    const total =
      layout.sets === 0 ? CLAIMED : Math.round((CLAIMED * layout.sets) / Math.max(1, layout.held));
    await storeTasks(
      client,
      { pool: keys.pool, schedule: keys.schedule, placement: keys.placement },
      Array.from({ length: total }, (_, i) => {
        const on = layout.sets === 0 ? undefined : [labelOf(i % layout.sets)];
        const task = storedTask({ command: 'true', run_nexttime: (nowMs - 1000 + (i % 1000)) / 1000 });
        return [kidOf(i), on === undefined ? task : { ...task, on }] as const;
      }),
    );
    const later = (layout.later ?? 0) * CLAIMED;
    await storeTasks(
      client,
      { pool: keys.pool, schedule: keys.schedule, placement: keys.placement },
      Array.from({ length: later }, (_, i) => [
        kidOf(i, 'l'),
        storedTask({ command: 'true', run_nexttime: nowMs / 1000 + 86_400 + i }),
      ]),
    );
    const labels = Array.from({ length: layout.held }, (_, i) => labelOf(i));
    let claimed = 0;
    let us = 0;
    const work = await redisWork(client, redis.port, async () => {
      const started = performance.now();
      for (;;) {
        const reply = await claim(labels);
        const n = reply.entries.filter((e) => e.kind === 'fire').length;
        claimed += n;
        if (n === 0) break;
      }
      us = ((performance.now() - started) * 1000) / claimed;
    });
    if (claimed !== CLAIMED) throw new Error(`${layout.name}: claimed ${claimed} of ${CLAIMED}`);
    return { us, commands: work.commands / claimed, instructions: work.instructions / claimed };
  } finally {
    client.disconnect();
    await redis.destroy();
  }
}

/** One daemon's lateness; with `labelled`, half the due and pending tasks need a label it holds. */
async function lateness(sink: Sink, labelled: boolean): Promise<Latency> {
  const redis = await RedisServer.start();
  try {
    const client = redis.client();
    const now = await redisNowMs(client);
    const keys = { ...taskKeys('lat'), placement: 'lat:tasks:lock:on' };
    const on = (i: number) => (labelled && i % 2 === 0 ? { on: ['db'] } : {});
    await storeTasks(
      client,
      keys,
      Array.from({ length: PENDING }, (_, i) => [
        kidOf(i, 'f'),
        { ...storedTask({ command: 'true', run_nexttime: now / 1000 + 86_400 + i }), ...on(i) },
      ]),
    );
    // The lead counts from after the pending ones are stored (that takes seconds).
    const dueFrom = await redisNowMs(client);
    const due = Array.from({ length: DUE }, (_, i) => dueFrom + LEAD_MS + Math.floor((SPREAD_MS * i) / DUE));
    await storeTasks(
      client,
      keys,
      due.map((d, i) => [
        kidOf(i, 'd'),
        { ...storedTask({ command: sink.url('/k'), run_nexttime: d / 1000 }), ...on(i) },
      ]),
    );
    client.disconnect();
    const daemon = new TestDaemon(
      writeTestConfig({ redisPort: redis.port, prefix: 'lat', extra: { daemon: ['labels = db'] } }),
    );
    sink.reset();
    await daemon.start();
    await sink.waitFor(DUE, LEAD_MS + SPREAD_MS + 30_000);
    daemon.kill();
    return latency(due.map((d, i) => (sink.arrivals.get(kidOf(i, 'd')) ?? Number.NaN) - d));
  } finally {
    await redis.destroy();
  }
}

/** Shell fires started per second in a burst; with `labelled`, half need a label the daemon holds. */
async function shellBurst(labelled: boolean): Promise<number> {
  const redis = await RedisServer.start();
  try {
    const client = redis.client();
    const due = (await redisNowMs(client)) + LEAD_MS;
    await storeTasks(
      client,
      { ...taskKeys('s'), placement: 's:tasks:lock:on' },
      Array.from({ length: SHELLS }, (_, i) => [
        kidOf(i, 's'),
        {
          ...storedTask({ command: 'true', run_nexttime: due / 1000 }),
          ...(labelled && i % 2 === 0 ? { on: ['db'] } : {}),
        },
      ]),
    );
    client.disconnect();
    const daemon = new TestDaemon(
      writeTestConfig({
        redisPort: redis.port,
        prefix: 's',
        extra: { default: ['task_concurrency = 64'], daemon: ['labels = db'] },
      }),
    );
    await daemon.start();
    const fires = await daemon.waitForFires(SHELLS, LEAD_MS + 120_000);
    daemon.kill();
    const started = fires.map((f) => (f.started as number) * 1000).sort((a, b) => a - b);
    return (started.length - 1) / (((started.at(-1) ?? 0) - (started[0] ?? 0)) / 1000);
  } finally {
    await redis.destroy();
  }
}

/** `measure` with and without labels on half the tasks, `reps` times each: its figures. */
async function withAndWithout<T>(
  reps: number,
  what: string,
  measure: (labelled: boolean) => Promise<T>,
): Promise<{ plain: T[]; half: T[] }> {
  const out = { plain: [] as T[], half: [] as T[] };
  for (let rep = 0; rep < reps; rep++)
    for (const labelled of [false, true]) {
      const figures = await measure(labelled);
      out[labelled ? 'half' : 'plain'].push(figures);
      process.stdout.write(
        `placement ${what} rep ${rep + 1} ${labelled ? 'half labelled' : 'no labels'}: ${JSON.stringify(figures)}\n`,
      );
    }
  return out;
}

/** The claim's cost per fire in each layout, beside the one without labels. */
async function claimRows(reps: number): Promise<Row[]> {
  const costs = new Map<string, ClaimCost[]>(LAYOUTS.map((l) => [l.name, []]));
  const figures = (c: Pick<ClaimCost, 'us' | 'instructions'>) =>
    `${fmt(c.us, 2)} us${Number.isNaN(c.instructions) ? '' : `, ${fmt(c.instructions / 1000, 1)}k instructions`}`;
  for (let rep = 0; rep < reps; rep++)
    for (const layout of LAYOUTS) {
      const cost = await claimCost(layout);
      costs.get(layout.name)?.push(cost);
      process.stdout.write(
        `placement claim rep ${rep + 1} ${layout.name}: ${figures(cost)}, ${fmt(cost.commands, 2)} commands per fire\n`,
      );
    }
  const of = (name: string) => {
    const runs = costs.get(name) ?? [];
    return { us: median(runs.map((r) => r.us)), instructions: median(runs.map((r) => r.instructions)) };
  };
  const base = of('no labels');
  return LAYOUTS.map((l) => {
    const cost = of(l.name);
    const commands = median((costs.get(l.name) ?? []).map((r) => r.commands));
    const control = l.sets === 0;
    // Under callgrind the instructions decide (its µs are valgrind's); else the µs.
    const ratio = Number.isNaN(cost.instructions) ? cost.us / base.us : cost.instructions / base.instructions;
    return {
      measure: `claim cost per fire, ${l.name}`,
      ktimer: `${figures(cost)}, ${fmt(commands, 2)} commands`,
      peer: l.later === undefined && control ? '' : `no labels ${figures(base)}`,
      ratio: l.later === undefined && control ? '' : `${fmt(ratio, 2)}x`,
      target: control ? '' : 'the same within noise (<= 1.25x)',
      met: control ? null : ratio <= 1.25,
    };
  });
}

export async function runPlacement(reps: number): Promise<Section> {
  const rows = await claimRows(reps);
  if (process.env.BENCH_CLAIM_ONLY === '1')
    return {
      title: `9. Placement: the claim with label sets (${CLAIMED} fires, ${BATCH} a claim)`,
      command: 'BENCH_CLAIM_ONLY=1 node --import tsx bench/placement.ts',
      rows,
      notes: [],
    };
  const sink = new Sink();
  await sink.start();
  const late = await withAndWithout(reps, 'lateness', (labelled) => lateness(sink, labelled));
  await sink.close();
  const bursts = await withAndWithout(reps, 'burst', shellBurst);
  const pm = medianOf(late.plain as unknown as Record<string, number>[]) as unknown as Latency;
  const hm = medianOf(late.half as unknown as Record<string, number>[]) as unknown as Latency;
  const [bp, bh] = [median(bursts.plain), median(bursts.half)];
  rows.push(
    {
      measure: `lateness p99, ${DUE} URL timers over ${SPREAD_MS / 1000} s, half with a label`,
      ktimer: `${fmt(hm.p99)} ms (max ${fmt(hm.max)} ms, ${hm.early} early)`,
      peer: `no labels ${fmt(pm.p99)} ms (max ${fmt(pm.max)} ms)`,
      ratio: `${fmt(hm.p99 / Math.max(pm.p99, 1), 2)}x`,
      target: '<= 10 ms, 0 early',
      met: hm.p99 <= 10 && hm.early === 0,
    },
    {
      measure: `shell burst, ${SHELLS} due at once (64 at a time), half with a label`,
      ktimer: `${fmt(bh, 0)} started/s`,
      peer: `no labels ${fmt(bp, 0)}/s`,
      ratio: `${fmt(bh / bp, 2)}x`,
      target: 'the same within noise (>= 0.8x)',
      met: bh / bp >= 0.8,
    },
  );
  return {
    title: `9. Placement: the claim with label sets (${CLAIMED} fires, ${BATCH} a claim); lateness and a shell burst with labels on half the tasks (median of ${reps})`,
    command: 'node --import tsx bench/placement.ts',
    rows,
    notes: [],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printSection(await runPlacement(Number(process.env.BENCH_REPS ?? 3)));
  process.exit(0);
}
