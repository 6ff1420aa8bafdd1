// Benchmark: Redis's own time per fire in the claim and in finish, each script alone (issue 28
// item 1). URL timers all due, claimed `claimBatch` at a time (each claim begins them, as without
// redis.wait_replicas), then put on record `finishBatch` at a time; the scripts' µs per fire from
// INFO commandstats (evalsha's usec: its Lua and the commands it runs), the best of a few rounds
// on fresh keys. No daemon, no HTTP: only Redis's share, steadier than redis-cpu.ts on a shared
// machine; use it to compare two builds of the scripts, not to compare with BullMQ.
// Run alone: node --import tsx bench/script-cost.ts [claimBatch] [finishBatch] [fires] [--eval]
//   [--shell] [--ticker] [--empty]: shell commands instead of URL calls; tickers (each moved on an
//   hour) instead of timers; --empty: the claim alone, each finding nothing due (per claim).
// The scripts run as ktimer runs them: claim, begin, renew and finish as Redis Functions (FCALL)
// where Redis allows; --eval: every script by EVALSHA, as where Functions are refused.
// With Redis under callgrind (PATH=bench/lib/callgrind:$PATH BENCH_CALLGRIND_DIR=DIR; 1 round,
// fires 500 is enough) it prints Redis's instructions per fire in each script, a measure the
// other work of a shared machine does not disturb: what to compare small changes by.
import type { Redis } from 'ioredis';
import { storesOn, testKeys } from '../test/helpers/stores.js';
import { endedRun, endingOf } from '../test/helpers/stores.js';
import { runByEvalOnly } from '../src/store/redis-functions.js';
import type { Fire } from '../src/runs/fire.js';
import { redisWork } from './lib/redis-work.js';
import { fmt } from './lib/report.js';
import { kidOf, RedisServer, seedKtimer } from './lib/setup.js';

const numbers = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const CLAIM_BATCH = Number(numbers[0] ?? 1);
const FINISH_BATCH = Number(numbers[1] ?? 3);
const FIRES = Number(numbers[2] ?? 2000);
const BY_EVAL = process.argv.includes('--eval');
const SHELL = process.argv.includes('--shell');
const TICKER = process.argv.includes('--ticker');
const EMPTY = process.argv.includes('--empty');
const CALLGRIND = process.env.BENCH_CALLGRIND_DIR !== undefined;
const ROUNDS = CALLGRIND ? 1 : 3;
const T0 = 1_800_000_000_000;

/** The scripts' calls and usec so far (evalsha and fcall), and every command's calls. */
async function evalsha(c: Redis): Promise<{ calls: number; us: number; commands: number }> {
  const stats = await c.info('commandstats');
  let calls = 0;
  let us = 0;
  for (const m of stats.matchAll(/^cmdstat_(?:evalsha|fcall):calls=(\d+),usec=(\d+)/gm)) {
    calls += Number(m[1]);
    us += Number(m[2]);
  }
  let commands = 0;
  for (const x of stats.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm))
    if (!['evalsha', 'fcall', 'info', 'config', 'function'].includes(x[1] ?? '')) commands += Number(x[2]);
  return { calls, us, commands };
}

interface Round {
  claimUs: number;
  finishUs: number;
  cmds: string;
}

async function round(c: Redis, n: number, port: number): Promise<Round> {
  const keys = testKeys(`sc${n}:tasks`);
  await seedKtimer(
    c,
    `sc${n}`,
    Array.from({ length: FIRES }, (_, i) => ({
      kid: kidOf(i, 'd'),
      command: SHELL ? 'true' : 'http://127.0.0.1:9/k',
      // --empty: due only after the claims measured.
      dueSec: (T0 + i + (EMPTY ? 3_600_000 : 0)) / 1000,
      ...(TICKER ? { type: 'ticker' as const, time: 3600 } : {}),
    })),
  );
  const { fires } = storesOn(c, keys);
  const claimed: Fire[] = [];
  const claimArgs = {
    owner: 'host:1:a',
    leaseMs: 5000,
    maxShell: 100,
    maxUrl: 100,
    expireLimitSec: 0,
    beginKeepMs: 60_000,
  };
  const claimAll = async (): Promise<void> => {
    for (let i = 0; EMPTY && i < FIRES; i++) await fires.claim({ ...claimArgs, nowMs: T0 + i });
    while (!EMPTY && claimed.length < FIRES) {
      // A steady rate: each claim finds claimBatch due (one a ms), with room for more.
      const reply = await fires.claim({ ...claimArgs, nowMs: T0 + claimed.length + CLAIM_BATCH - 1 });
      const got = reply.entries.flatMap((e) => (e.kind === 'fire' ? [e.fire] : []));
      if (got.length === 0) throw new Error(`claimed ${claimed.length} of ${FIRES}`);
      claimed.push(...got);
    }
  };
  const finishAll = async (): Promise<void> => {
    for (let i = 0; i < claimed.length; i += FINISH_BATCH) {
      const runs = claimed
        .slice(i, i + FINISH_BATCH)
        .map((f) => endedRun(f, endingOf(f, { startedMs: T0 + 2, stdout: 'ok' })));
      await fires.finish({ owner: 'host:1:a', nowMs: T0 + FIRES + 10, runs });
    }
  };
  if (CALLGRIND) {
    // Each library loaded (its one FUNCTION LOAD) before the stretch measured: a claim finding
    // nothing; a finish of a lease nobody holds (so nothing recorded).
    await fires.claim({ ...claimArgs, nowMs: T0 - 60_000 });
    // Instructions (and commands, the scripts' own and those they run) per fire, in thousands.
    const claim = await redisWork(c, port, claimAll);
    if (EMPTY)
      return {
        claimUs: claim.instructions / FIRES / 1000,
        finishUs: 0,
        cmds: `claim ${fmt(claim.commands / FIRES, 2)} commands/claim`,
      };
    const first = claimed[0];
    if (first === undefined) throw new Error('nothing claimed');
    const stranger = { ...first, token: 'nobody' };
    await fires.finish({
      owner: 'host:1:a',
      nowMs: T0,
      runs: [endedRun(stranger, endingOf(stranger, { startedMs: T0 }))],
    });
    const finish = await redisWork(c, port, finishAll);
    return {
      claimUs: claim.instructions / FIRES / 1000,
      finishUs: finish.instructions / FIRES / 1000,
      cmds: `claim ${fmt(claim.commands / FIRES, 2)}, finish ${fmt(finish.commands / FIRES, 2)} commands/fire`,
    };
  }
  const a = await evalsha(c);
  await claimAll();
  const b = await evalsha(c);
  if (EMPTY)
    return {
      claimUs: (b.us - a.us) / FIRES,
      finishUs: 0,
      cmds: `claim ${fmt((b.commands - a.commands) / FIRES, 2)} commands/claim`,
    };
  await finishAll();
  const d = await evalsha(c);
  return {
    claimUs: (b.us - a.us) / FIRES,
    finishUs: (d.us - b.us) / FIRES,
    cmds: `claim ${fmt((b.commands - a.commands) / FIRES, 2)}, finish ${fmt((d.commands - b.commands - (d.calls - b.calls)) / FIRES, 2)} commands/fire`,
  };
}

const redis = await RedisServer.start();
const c = redis.client();
if (BY_EVAL) runByEvalOnly(c);
const rounds: Round[] = [];
for (let n = 0; n < ROUNDS; n++) rounds.push(await round(c, n, redis.port));
const best = (f: (r: Round) => number) => Math.min(...rounds.map(f));
const unit = CALLGRIND ? 'k instructions/fire' : 'µs/fire';
process.stdout.write(
  `script-cost${BY_EVAL ? ' (by EVALSHA)' : ''}${[SHELL && ' shell', TICKER && ' tickers', EMPTY && ' empty claims'].filter(Boolean).join(',')}: claim ${CLAIM_BATCH} a call ${fmt(best((r) => r.claimUs))} ${unit}, finish ${FINISH_BATCH} a call ${fmt(best((r) => r.finishUs))} ${unit} (best of ${ROUNDS}; ${rounds[0]?.cmds ?? ''})\n`,
);
c.disconnect();
await redis.destroy();
process.exit(0);
