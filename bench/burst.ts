// Benchmark 2, bursts: 20,000 URL tasks due at the same instant (fired per second, time until
// the last); 2,000 shell tasks due at once (commands started per second) beside the rate at
// which this machine spawns `/bin/bash -c true` from Node and from bash.
// Run alone: node --import tsx bench/burst.ts
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childrenOf, cpuTimeMs } from '../test/helpers/proc.js';
import { Bull, callSink, runCommand } from './lib/bull.js';
import { fmt, printSection, ratio, type Section } from './lib/report.js';
import {
  kidOf,
  RedisServer,
  redisNowMs,
  Sink,
  seedKtimer,
  TestDaemon,
  writeTestConfig,
} from './lib/setup.js';
import { median } from './lib/stats.js';

const URLS = 20_000;
const SHELLS = 2_000;
const LEAD_MS = 5000;
const SHELL_CONCURRENCY = 64;

interface Burst {
  perSec: number;
  lastMs: number;
}

/** CPU time per task, ms, by process: where a shell burst's time goes. */
interface ShellCost {
  bash: number;
  spawners: number;
  daemon: number;
  redis: number;
}

export function rateOf(times: number[], dueMs: number): Burst {
  const s = [...times].sort((a, b) => a - b);
  const span = ((s.at(-1) ?? 0) - (s[0] ?? 0)) / 1000;
  return { perSec: span > 0 ? (s.length - 1) / span : Number.NaN, lastMs: (s.at(-1) ?? Number.NaN) - dueMs };
}

export async function ktimerUrl(redis: RedisServer, sink: Sink): Promise<Burst> {
  const client = redis.client();
  const due = (await redisNowMs(client)) + LEAD_MS;
  await seedKtimer(
    client,
    'b',
    Array.from({ length: URLS }, (_, i) => ({
      kid: kidOf(i, 'u'),
      command: sink.url('/k'),
      dueSec: due / 1000,
    })),
  );
  client.disconnect();
  const d = new TestDaemon(writeTestConfig({ redisPort: redis.port, prefix: 'b' }));
  sink.reset();
  await d.start();
  await sink.waitFor(URLS, LEAD_MS + 120_000);
  d.kill();
  return rateOf([...sink.arrivals.values()], due);
}

export async function bullUrl(redis: RedisServer, sink: Sink): Promise<Burst> {
  const bull = new Bull('b', redis.port);
  const due = Date.now() + LEAD_MS;
  // Completed jobs kept, with their result: ktimer keeps a record of every run (README "Run history").
  await bull.addBulk(
    Array.from({ length: URLS }, (_, i) => ({
      name: 'u',
      data: { kid: kidOf(i, 'u') },
      delayMs: due - Date.now(),
    })),
    { keepCompleted: true },
  );
  sink.reset();
  bull.work((data) => callSink(`${sink.url('/b')}?kid=${data.kid as string}`), 1000);
  await sink.waitFor(URLS, LEAD_MS + 300_000);
  await bull.close();
  return rateOf([...sink.arrivals.values()], due);
}

/**
 * ktimer's URL runner alone in a process of its own, calling the sink 1,000 at once (the daemon's
 * task_url_concurrency): what the burst could reach if claiming, beginning, recording and logging
 * cost nothing (bench/lib/url-runner-alone.ts).
 */
export async function urlRunnerAlone(sink: Sink): Promise<Burst> {
  sink.reset();
  const script = fileURLToPath(new URL('./lib/url-runner-alone.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, sink.url('/c'), String(URLS), '1000'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  await sink.waitFor(URLS, 120_000);
  if ((await exited) !== 0) throw new Error('url-runner-alone failed');
  return rateOf(
    [...sink.arrivals.values()],
    [...sink.arrivals.values()].reduce((a, b) => Math.min(a, b)),
  );
}

async function ktimerShell(redis: RedisServer): Promise<Burst & { cost: ShellCost }> {
  const client = redis.client();
  const due = (await redisNowMs(client)) + LEAD_MS;
  await seedKtimer(
    client,
    's',
    Array.from({ length: SHELLS }, (_, i) => ({ kid: kidOf(i, 's'), command: 'true', dueSec: due / 1000 })),
  );
  client.disconnect();
  const d = new TestDaemon(
    writeTestConfig({
      redisPort: redis.port,
      prefix: 's',
      extra: { default: [`task_concurrency = ${SHELL_CONCURRENCY}`] },
    }),
  );
  await d.start();
  // CPU time from here to the last fire: the daemon, its spawners (a second one starts in the
  // burst, from zero), the bash processes they reaped, and Redis.
  const redisPid = redis.pid ?? 0;
  const spawnersAt = (pids: number[]) =>
    pids.map(cpuTimeMs).reduce((a, t) => ({ self: a.self + t.self, children: a.children + t.children }), {
      self: 0,
      children: 0,
    });
  const before = {
    daemon: cpuTimeMs(d.pid).self,
    redis: cpuTimeMs(redisPid).self,
    ...spawnersAt(childrenOf(d.pid)),
  };
  const fires = await d.waitForFires(SHELLS, LEAD_MS + 120_000);
  const after = {
    daemon: cpuTimeMs(d.pid).self,
    redis: cpuTimeMs(redisPid).self,
    ...spawnersAt(childrenOf(d.pid)),
  };
  d.kill();
  const per = (a: number, b: number) => (a - b) / SHELLS;
  return {
    ...rateOf(
      fires.map((f) => (f.started as number) * 1000),
      due,
    ),
    cost: {
      bash: per(after.children, before.children),
      spawners: per(after.self, before.self),
      daemon: per(after.daemon, before.daemon),
      redis: per(after.redis, before.redis),
    },
  };
}

async function bullShell(redis: RedisServer): Promise<Burst> {
  const bull = new Bull('s', redis.port);
  const due = Date.now() + LEAD_MS;
  await bull.addBulk(
    Array.from({ length: SHELLS }, (_, i) => ({ name: 's', data: { i }, delayMs: due - Date.now() })),
    { keepCompleted: true },
  );
  const starts: number[] = [];
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => {
    done = r;
  });
  bull.work(async () => {
    starts.push(Date.now());
    const result = await runCommand('true');
    if (starts.length === SHELLS) done();
    return result;
  }, SHELL_CONCURRENCY);
  await finished;
  await bull.close();
  return rateOf(starts, due);
}

/** Node: spawn `/bin/bash -c true` as fast as it can with a fixed number in flight. */
async function rawNode(): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < SHELLS) {
      next++;
      await new Promise<void>((resolve) => {
        const c = spawn('/bin/bash', ['-c', 'true'], { stdio: 'ignore' });
        c.on('exit', () => resolve());
        c.on('error', () => resolve());
      });
    }
  };
  await Promise.all(Array.from({ length: SHELL_CONCURRENCY }, worker));
  return SHELLS / ((performance.now() - started) / 1000);
}

/** bash: a loop of `/bin/bash -c true`, one after another (how fast the shell itself spawns). */
function rawBash(): number {
  const started = performance.now();
  execFileSync('/bin/bash', ['-c', `for i in $(seq ${SHELLS}); do /bin/bash -c true; done`]);
  return SHELLS / ((performance.now() - started) / 1000);
}

export async function runBurst(reps: number): Promise<Section> {
  const sink = new Sink();
  await sink.start();
  const runs: Record<string, number[]> = {
    ku: [],
    kl: [],
    alone: [],
    bu: [],
    bl: [],
    ks: [],
    bs: [],
    node: [],
    bash: [],
  };
  const costs: ShellCost[] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const [key, fn] of [
      ['k', ktimerUrl],
      ['b', bullUrl],
    ] as const) {
      const redis = await RedisServer.start();
      try {
        const r = await fn(redis, sink);
        runs[`${key}u`]?.push(r.perSec);
        runs[`${key}l`]?.push(r.lastMs);
        process.stdout.write(
          `burst rep ${rep + 1} url ${key === 'k' ? 'ktimer' : 'bullmq'}: ${JSON.stringify(r)}\n`,
        );
      } finally {
        await redis.destroy();
      }
    }
    const alone = await urlRunnerAlone(sink);
    runs.alone?.push(alone.perSec);
    process.stdout.write(`burst rep ${rep + 1} url runner alone: ${JSON.stringify(alone)}\n`);
    const shellRuns: ['ks' | 'bs', (redis: RedisServer) => Promise<Burst & { cost?: ShellCost }>][] = [
      ['ks', ktimerShell],
      ['bs', bullShell],
    ];
    for (const [key, fn] of shellRuns) {
      const redis = await RedisServer.start();
      try {
        const r = await fn(redis);
        runs[key]?.push(r.perSec);
        if (r.cost) costs.push(r.cost);
        process.stdout.write(
          `burst rep ${rep + 1} shell ${key === 'ks' ? 'ktimer' : 'bullmq'}: ${JSON.stringify(r)}\n`,
        );
      } finally {
        await redis.destroy();
      }
    }
    runs.node?.push(await rawNode());
    runs.bash?.push(rawBash());
    process.stdout.write(
      `burst rep ${rep + 1} raw spawn: node ${fmt(runs.node?.at(-1) ?? 0)}/s, bash ${fmt(runs.bash?.at(-1) ?? 0)}/s\n`,
    );
  }
  await sink.close();
  const m = (k: string) => median(runs[k] ?? []);
  const ks = m('ks');
  return {
    title: `2. Bursts: ${URLS} URL tasks due at one instant; ${SHELLS} shell tasks due at once (median of ${reps})`,
    command: 'node --import tsx bench/burst.ts',
    rows: [
      {
        measure: 'URL burst, fired per second',
        ktimer: `${fmt(m('ku'), 0)}/s`,
        peer: `${fmt(m('bu'), 0)}/s (concurrency 1000)`,
        ratio: `ktimer/BullMQ ${ratio(m('ku'), m('bu'))}`,
        target: '>= 5,000/s and >= 2x BullMQ (both keeping every run)',
        met: m('ku') >= 5000 && m('ku') >= 2 * m('bu'),
      },
      {
        measure:
          "URL burst ceiling: ktimer's URL runner alone (its own process, no Redis, no record, no log)",
        ktimer: `${fmt(m('alone'), 0)}/s`,
        peer: `${fmt(m('bu'), 0)}/s (BullMQ, as above)`,
        ratio: `alone/BullMQ ${ratio(m('alone'), m('bu'))}; ktimer/alone ${ratio(m('ku'), m('alone'))}`,
        target: '',
        met: null,
      },
      {
        measure: 'URL burst, last fired after the due time',
        ktimer: `${fmt(m('kl') / 1000, 2)} s`,
        peer: `${fmt(m('bl') / 1000, 2)} s`,
        ratio: `BullMQ/ktimer ${ratio(m('bl'), m('kl'))}`,
        target: '',
        met: null,
      },
      {
        measure: `shell burst, commands started per second (${SHELL_CONCURRENCY} at once)`,
        ktimer: `${fmt(ks, 0)}/s`,
        peer: `${fmt(m('bs'), 0)}/s (a processor running the command, keeping its exit code and output)`,
        ratio: `ktimer/BullMQ ${ratio(ks, m('bs'))}`,
        target: '>= 1.5x BullMQ',
        met: ks >= 1.5 * m('bs'),
      },
      {
        measure: 'shell burst beside the raw spawn rate',
        ktimer: `${fmt(ks, 0)}/s`,
        peer: `bash loop ${fmt(m('bash'), 0)}/s, Node spawn ${fmt(m('node'), 0)}/s`,
        ratio: `ktimer/bash ${ratio(ks, m('bash'))}`,
        target: '>= 80 % of bash',
        met: ks >= 0.8 * m('bash'),
      },
    ],
    notes: [shellCostNote(costs, m('bash'))],
  };
}

function shellCostNote(costs: ShellCost[], bashPerSec: number): string {
  const c = (k: keyof ShellCost) => fmt(median(costs.map((x) => x[k])), 2);
  return (
    `Where a shell burst's CPU goes, per task (median): \`bash -c true\` itself ${c('bash')} ms, ` +
    `ktimer's spawner ${c('spawners')} ms (native: posix_spawn from a small C process; a Node ` +
    'spawner, used where no C compiler built it, takes about 1 ms: a fork of a Node process ' +
    `whatever its flags), the daemon ${c('daemon')} ms (claim, begin, hand-over, runed.log), ` +
    `Redis ${c('redis')} ms. The bash loop spends ${fmt(1000 / bashPerSec, 2)} ms a spawn on one core; ` +
    'ktimer overlaps its spawns on both.'
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printSection(await runBurst(Number(process.env.BENCH_REPS ?? 3)));
}
