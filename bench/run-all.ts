// `npm run bench`: every benchmark, ktimer beside BullMQ in the same run on private Redis
// servers, medians of BENCH_REPS repetitions (default 3), written to bench/RESULTS.md.
import { writeFileSync } from 'node:fs';
import { runAdd } from './add.js';
import { runApply } from './apply.js';
import { runBurst } from './burst.js';
import { runCost } from './cost.js';
import { runDashboard } from './dashboard.js';
import { runHistory } from './history.js';
import { runLateness } from './lateness.js';
import { runObserved } from './observed.js';
import { runPlacement } from './placement.js';
import { runRedisCpu } from './redis-cpu.js';
import { machine, printSection, type Section } from './lib/report.js';
import { runSchedules } from './schedules.js';
import { runShards } from './shards.js';
import { runWebFlood } from './web-flood.js';

const reps = Number(process.env.BENCH_REPS ?? 3);
const started = new Date();
const sections: Section[] = [];
for (const run of [
  runLateness,
  runBurst,
  runAdd,
  runCost,
  runWebFlood,
  runSchedules,
  runHistory,
  runObserved,
  runPlacement,
  runApply,
  runDashboard,
  runShards,
  runRedisCpu,
]) {
  for (const section of [await run(reps)].flat()) {
    printSection(section);
    sections.push(section);
  }
}

const table = (s: Section) =>
  [
    `### ${s.title}`,
    '',
    `\`${s.command}\``,
    '',
    '| measure | ktimer | peer | ratio | target | met |',
    '|---|---|---|---|---|---|',
    ...s.rows.map(
      (r) =>
        `| ${r.measure} | ${r.ktimer} | ${r.peer} | ${r.ratio} | ${r.target} | ${r.met === null ? '' : r.met ? 'yes' : '**no**'} |`,
    ),
    ...s.notes.map((n) => `\n${n}`),
    '',
  ].join('\n');

const md = `# Benchmark results

Produced by \`npm run bench\` (BENCH_REPS=${reps}) on ${started.toISOString().slice(0, 10)}, in ${Math.round((Date.now() - started.getTime()) / 60000)} min.
Machine: ${machine()}. The machine is shared and noisy, so every figure is the median of
${reps} repetitions and each is compared with its peer measured in the same run.

${sections.map(table).join('\n')}
`;
writeFileSync(new URL('./RESULTS.md', import.meta.url), md);
process.stdout.write('\nwritten: bench/RESULTS.md\n');
process.exit(0);
