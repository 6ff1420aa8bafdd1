// Benchmark 3, adding: one `ktimer add` at a time (wall time beside `node -e 0`), and the bulk
// form `ktimer add --file` beside BullMQ addBulk.
// Run alone: node --import tsx bench/add.ts
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from '../test/helpers/cli.js';
import { Bull } from './lib/bull.js';
import { fmt, printSection, ratio, type Section } from './lib/report.js';
import { RedisServer, writeTestConfig } from './lib/setup.js';
import { median } from './lib/stats.js';

const SINGLE_RUNS = 20;
const BULK = 100_000;

function wallMs(cmd: string, args: string[]): number {
  const t = performance.now();
  execFileSync(cmd, args, { stdio: 'ignore' });
  return performance.now() - t;
}

export async function runAdd(reps: number): Promise<Section> {
  const redis = await RedisServer.start();
  const config = writeTestConfig({
    redisPort: redis.port,
    prefix: 'add',
    extra: { default: ['task_max_num = 10000000'] },
  });
  const dir = mkdtempSync(join(tmpdir(), 'ktimer-bench-add-'));
  const file = join(dir, 'tasks.jsonl');
  writeFileSync(
    file,
    `${Array.from({ length: BULK }, (_, i) => `{"time":${3600 + (i % 1000)},"command":"echo task-${i}"}`).join('\n')}\n`,
  );
  const single: number[] = [];
  const node0: number[] = [];
  const bulkK: number[] = [];
  const bulkB: number[] = [];
  try {
    for (let rep = 0; rep < reps; rep++) {
      for (let i = 0; i < SINGLE_RUNS; i++) {
        node0.push(wallMs(process.execPath, ['-e', '0']));
        single.push(wallMs(process.execPath, [BIN, 'add', '-time=600', '-command=true', '--config', config]));
      }
      const t = performance.now();
      execFileSync(process.execPath, [BIN, 'add', '--file', file, '--config', config], { stdio: 'ignore' });
      bulkK.push(BULK / ((performance.now() - t) / 1000));
      const bull = new Bull(`add${rep}`, redis.port);
      const jobs = Array.from({ length: BULK }, (_, i) => ({
        name: 'j',
        data: { command: `echo task-${i}` },
        delayMs: 3_600_000,
      }));
      const tb = performance.now();
      await bull.addBulk(jobs, { batch: 1000 });
      bulkB.push(BULK / ((performance.now() - tb) / 1000));
      await bull.close();
      process.stdout.write(
        `add rep ${rep + 1}: single ${fmt(median(single))} ms, node -e 0 ${fmt(median(node0))} ms, bulk ktimer ${fmt(bulkK.at(-1) ?? 0, 0)}/s, BullMQ ${fmt(bulkB.at(-1) ?? 0, 0)}/s\n`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await redis.destroy();
  }
  const s = median(single);
  const n = median(node0);
  return {
    title: `3. Adding: one \`ktimer add\` (median of ${SINGLE_RUNS * reps}); ${BULK} tasks in bulk (median of ${reps})`,
    command: 'node --import tsx bench/add.ts',
    rows: [
      {
        measure: 'one `ktimer add`, wall time',
        ktimer: `${fmt(s)} ms`,
        peer: `node -e 0: ${fmt(n)} ms (the original Go ktimer: about 40 ms)`,
        ratio: `ktimer/node ${ratio(s, n)}`,
        target: '<= 2x node -e 0',
        met: s <= 2 * n,
      },
      {
        measure: 'bulk add, tasks per second (whole command, file of 100,000 lines)',
        ktimer: `${fmt(median(bulkK), 0)}/s`,
        peer: `BullMQ addBulk ${fmt(median(bulkB), 0)}/s (batches of 1,000)`,
        ratio: `ktimer/BullMQ ${ratio(median(bulkK), median(bulkB))}`,
        target: '>= 2x BullMQ',
        met: median(bulkK) >= 2 * median(bulkB),
      },
    ],
    notes: [],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printSection(await runAdd(Number(process.env.BENCH_REPS ?? 3)));
}
