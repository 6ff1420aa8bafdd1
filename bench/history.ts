// Benchmark 7, the run history's cost: Redis bytes per stored run, without output and with 1 KiB
// of it, beside BullMQ keeping completed jobs with their result. ktimer's runs go through the
// scripts the daemon uses (claim, begin, finish); BullMQ's through its worker.
// Run alone: node --import tsx bench/history.ts
import { taskKeys } from '../test/helpers/cli.js';
import { storedTask, storeTasks } from '../test/helpers/stored-tasks.js';
import { claimBeginFinish, endingOf, storesOn } from '../test/helpers/stores.js';
import { storeKeys } from '../src/store/keys.js';
import { Bull } from './lib/bull.js';
import { fmt, printSection, ratio, type Section } from './lib/report.js';
import { RedisServer } from './lib/setup.js';
import { median } from './lib/stats.js';

const TASKS = 200;
/** Runs per task: history_per_task's default, so every list is full. */
const RUNS = 100;
const T0 = 1_800_000_000_000;

async function usedMemory(client: import('ioredis').Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1]);
}

/** Bytes per run on record: TASKS tickers firing RUNS times each, every run put on record. */
async function ktimerBytes(outputBytes: number): Promise<number> {
  const redis = await RedisServer.start();
  try {
    const client = redis.client();
    const keys = storeKeys({ pool: taskKeys('h').pool, trun: taskKeys('h').schedule, lock: 'h:tasks:lock' });
    const { fires } = storesOn(client, keys);
    await storeTasks(
      client,
      keys,
      Array.from({ length: TASKS }, (_, i) => [
        `${i.toString(16).padStart(32, '0')}`,
        storedTask({
          type: 'ticker',
          time: 1,
          limit: 0,
          command: 'echo 0123456789abcde',
          run_nexttime: T0 / 1000,
        }),
      ]),
    );
    const output = 'x'.repeat(outputBytes);
    const before = await usedMemory(client);
    for (let n = 0; n < RUNS; n++) {
      const nowMs = T0 + n * 1000;
      await claimBeginFinish(fires, {
        nowMs,
        // The records name host bench-host, pid 12345.
        owner: 'bench-host:12345:a',
        room: 1000,
        endingOf: (f) => endingOf(f, { startedMs: nowMs + 1, durationMs: 2, stdout: output }),
      });
    }
    const after = await usedMemory(client);
    client.disconnect();
    return (after - before) / (TASKS * RUNS);
  } finally {
    await redis.destroy();
  }
}

/** Bytes per completed job BullMQ keeps, its result `outputBytes` long. */
async function bullBytes(outputBytes: number): Promise<number> {
  const redis = await RedisServer.start();
  try {
    const client = redis.client();
    const bull = new Bull('h', redis.port);
    const jobs = TASKS * RUNS;
    const before = await usedMemory(client);
    await bull.addBulk(
      Array.from({ length: jobs }, (_, i) => ({
        name: 'run',
        data: { kid: i.toString(16).padStart(32, '0') },
        delayMs: 0,
      })),
      { keepCompleted: true },
    );
    const output = 'x'.repeat(outputBytes);
    let done = 0;
    let finished: () => void = () => {};
    const all = new Promise<void>((r) => {
      finished = r;
    });
    bull.work(async () => {
      if (++done === jobs) setImmediate(finished);
      return { code: 0, output };
    }, 100);
    await all;
    await waitCompleted(bull, jobs);
    const after = await usedMemory(client);
    await bull.close();
    client.disconnect();
    return (after - before) / jobs;
  } finally {
    await redis.destroy();
  }
}

async function waitCompleted(bull: Bull, jobs: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await bull.queue.getCompletedCount()) >= jobs) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function runHistory(reps: number): Promise<Section> {
  const figures: Record<'k0' | 'k1' | 'b0' | 'b1', number[]> = { k0: [], k1: [], b0: [], b1: [] };
  for (let rep = 0; rep < reps; rep++) {
    figures.k0.push(await ktimerBytes(0));
    figures.k1.push(await ktimerBytes(1024));
    figures.b0.push(await bullBytes(0));
    figures.b1.push(await bullBytes(1024));
    process.stdout.write(
      `history rep ${rep + 1}: ${JSON.stringify(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, v.at(-1)])))}\n`,
    );
  }
  const [k0, k1, b0, b1] = (['k0', 'k1', 'b0', 'b1'] as const).map((k) => median(figures[k]));
  const b = (x: number) => `${fmt(x, 0)} B`;
  return {
    title: `7. Run history: Redis bytes per stored run, ${TASKS} tasks x ${RUNS} runs (median of ${reps})`,
    command: 'node --import tsx bench/history.ts',
    rows: [
      {
        measure: 'bytes per run on record, without output',
        ktimer: b(k0 as number),
        peer: `BullMQ ${b(b0 as number)} per completed job kept`,
        ratio: `ktimer/BullMQ ${ratio(k0 as number, b0 as number)}`,
        target: '<= 400 B',
        met: (k0 as number) <= 400,
      },
      {
        measure: 'bytes per run on record, with 1 KiB of output',
        ktimer: b(k1 as number),
        peer: `BullMQ ${b(b1 as number)} (a 1 KiB result)`,
        ratio: `ktimer/BullMQ ${ratio(k1 as number, b1 as number)}`,
        target: '<= 400 B + the output',
        met: (k1 as number) <= 400 + 1024,
      },
    ],
    notes: [
      "ktimer keeps each run twice: its record in its task's history list, and a summary in the runs stream; its output apart, one string per run (history_max_output bounds them all); and each task's last run in one hash. BullMQ keeps a completed job's hash (data, options, result, times) and its entry in the completed set.",
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printSection(await runHistory(Number(process.env.BENCH_REPS ?? 3)));
  process.exit(0);
}
