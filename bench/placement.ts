// Benchmark 9, placement (issue 24, docs/fleet.md "Labels"): what labels cost the claim. First,
// the claim script alone: the same due timers spread over 0, 1, 4 and 16 label sets, claimed by a
// daemon holding every label, and over 16 sets by one holding a single label (the other sets'
// due tasks wait, and its claims never meet them): the cost per fire should not move with the
// number of sets. Second, a daemon's lateness, and its shell burst, when half its tasks carry a
// label it holds, beside the same loads without labels.
// Run alone: node --import tsx bench/placement.ts (BENCH_QUICK=1: a smaller load, for a check
// that it works).
import { taskKeys } from '../test/helpers/cli.js';
import { storedTask, storeTasks } from '../test/helpers/stored-tasks.js';
import { storesOn, testKeys } from '../test/helpers/stores.js';
import { fmt, printSection, type Row, type Section } from './lib/report.js';
import { kidOf, redisNowMs, RedisServer, Sink, TestDaemon, writeTestConfig } from './lib/setup.js';
import { type Latency, latency, median, medianOf } from './lib/stats.js';

const QUICK = process.env.BENCH_QUICK === '1';
/** Due timers per claim run, claimed 200 at a time (the daemon's batch). */
const CLAIMED = QUICK ? 2000 : 20_000;
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
}

const LAYOUTS: Layout[] = [
  { name: 'no labels', sets: 0, held: 0 },
  { name: '1 label set', sets: 1, held: 1 },
  { name: '4 label sets', sets: 4, held: 4 },
  { name: '16 label sets', sets: 16, held: 16 },
  { name: '16 label sets, holding 1', sets: 16, held: 1 },
];

const labelOf = (i: number): string => `g${i}`;

/** Microseconds per fire claimed, for one layout: the claim script and its round trip. */
async function claimCost(layout: Layout): Promise<number> {
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
    const labels = Array.from({ length: layout.held }, (_, i) => labelOf(i));
    let claimed = 0;
    const started = performance.now();
    for (;;) {
      const reply = await claim(labels);
      const n = reply.entries.filter((e) => e.kind === 'fire').length;
      claimed += n;
      if (n === 0) break;
    }
    const us = ((performance.now() - started) * 1000) / claimed;
    if (claimed !== CLAIMED) throw new Error(`${layout.name}: claimed ${claimed} of ${CLAIMED}`);
    return us;
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
  const costs = new Map<string, number[]>(LAYOUTS.map((l) => [l.name, []]));
  for (let rep = 0; rep < reps; rep++)
    for (const layout of LAYOUTS) {
      const us = await claimCost(layout);
      costs.get(layout.name)?.push(us);
      process.stdout.write(`placement claim rep ${rep + 1} ${layout.name}: ${fmt(us, 2)} us per fire\n`);
    }
  const base = median(costs.get('no labels') ?? []);
  return LAYOUTS.map((l) => {
    const us = median(costs.get(l.name) ?? []);
    return {
      measure: `claim cost per fire, ${l.name}`,
      ktimer: `${fmt(us, 2)} us`,
      peer: l.sets === 0 ? '' : `no labels ${fmt(base, 2)} us`,
      ratio: l.sets === 0 ? '' : `${fmt(us / base, 2)}x`,
      target: l.sets === 0 ? '' : 'the same within noise (<= 1.25x)',
      met: l.sets === 0 ? null : us / base <= 1.25,
    };
  });
}

export async function runPlacement(reps: number): Promise<Section> {
  const rows = await claimRows(reps);
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
