// Benchmark: Redis's own time per fire in the claim and in finish, each script alone (issue 28
// item 1). URL timers all due, claimed `claimBatch` at a time (each claim begins them, as without
// redis.wait_replicas), then put on record `finishBatch` at a time; the scripts' µs per fire from
// INFO commandstats (evalsha's usec: its Lua and the commands it runs), the best of a few rounds
// on fresh keys. No daemon, no HTTP: only Redis's share, steadier than redis-cpu.ts on a shared
// machine; use it to compare two builds of the scripts, not to compare with BullMQ.
// Run alone: node --import tsx bench/script-cost.ts [claimBatch] [finishBatch] [fires] [--eval]
// The scripts run as ktimer runs them: claim, begin, renew and finish as Redis Functions (FCALL)
// where Redis allows; --eval: every script by EVALSHA, as where Functions are refused.
import type { Redis } from 'ioredis';
import { storesOn, testKeys } from '../test/helpers/stores.js';
import { endedRun, endingOf } from '../test/helpers/stores.js';
import { runByEvalOnly } from '../src/store/redis-functions.js';
import { fmt } from './lib/report.js';
import { kidOf, RedisServer, seedKtimer } from './lib/setup.js';

const numbers = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const CLAIM_BATCH = Number(numbers[0] ?? 1);
const FINISH_BATCH = Number(numbers[1] ?? 3);
const FIRES = Number(numbers[2] ?? 2000);
const BY_EVAL = process.argv.includes('--eval');
const ROUNDS = 3;
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

async function round(c: Redis, n: number): Promise<{ claimUs: number; finishUs: number; cmds: string }> {
  const keys = testKeys(`sc${n}:tasks`);
  await seedKtimer(
    c,
    `sc${n}`,
    Array.from({ length: FIRES }, (_, i) => ({
      kid: kidOf(i, 'd'),
      command: 'http://127.0.0.1:9/k',
      dueSec: (T0 + i) / 1000,
    })),
  );
  const { fires } = storesOn(c, keys);
  const claimed = [];
  const a = await evalsha(c);
  while (claimed.length < FIRES) {
    const reply = await fires.claim({
      // A steady rate: each claim finds claimBatch due (one a ms), with room for more.
      nowMs: T0 + claimed.length + CLAIM_BATCH - 1,
      owner: 'host:1:a',
      leaseMs: 5000,
      maxShell: 100,
      maxUrl: 100,
      expireLimitSec: 0,
      beginKeepMs: 60_000,
    });
    const got = reply.entries.flatMap((e) => (e.kind === 'fire' ? [e.fire] : []));
    if (got.length === 0) throw new Error(`claimed ${claimed.length} of ${FIRES}`);
    claimed.push(...got);
  }
  const b = await evalsha(c);
  for (let i = 0; i < claimed.length; i += FINISH_BATCH) {
    const runs = claimed
      .slice(i, i + FINISH_BATCH)
      .map((f) => endedRun(f, endingOf(f, { startedMs: T0 + 2, stdout: 'ok' })));
    await fires.finish({ owner: 'host:1:a', nowMs: T0 + FIRES + 10, runs });
  }
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
const rounds: Awaited<ReturnType<typeof round>>[] = [];
for (let n = 0; n < ROUNDS; n++) rounds.push(await round(c, n));
const best = (f: (r: (typeof rounds)[number]) => number) => Math.min(...rounds.map(f));
process.stdout.write(
  `script-cost${BY_EVAL ? ' (by EVALSHA)' : ''}: claim ${CLAIM_BATCH} a call ${fmt(best((r) => r.claimUs))} µs/fire, finish ${FINISH_BATCH} a call ${fmt(best((r) => r.finishUs))} µs/fire (best of ${ROUNDS}; ${rounds[0]?.cmds ?? ''})\n`,
);
c.disconnect();
await redis.destroy();
process.exit(0);
