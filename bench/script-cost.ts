// Benchmark: Redis's own time per fire in the claim and in finish, each script alone (issue 28
// item 1). URL timers all due, claimed `claimBatch` at a time (each claim begins them, as without
// redis.wait_replicas), then put on record `finishBatch` at a time; the scripts' µs per fire from
// INFO commandstats (evalsha's usec: its Lua and the commands it runs), the best of a few rounds
// on fresh keys. No daemon, no HTTP: only Redis's share, steadier than redis-cpu.ts on a shared
// machine; use it to compare two builds of the scripts, not to compare with BullMQ.
// Run alone: node --import tsx bench/script-cost.ts [claimBatch] [finishBatch] [fires] [--functions]
// --functions: a prototype, not how ktimer runs them: claim.lua and finish.lua loaded as Redis
// Functions (Redis 7; FUNCTION LOAD, called by FCALL), whose includes run once at load instead of
// at every call, to measure what that would save.
import type { Redis } from 'ioredis';
import { storesOn, testKeys } from '../test/helpers/stores.js';
import { endedRun, endingOf } from '../test/helpers/stores.js';
import { fmt } from './lib/report.js';
import { kidOf, RedisServer, seedKtimer } from './lib/setup.js';

const numbers = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const CLAIM_BATCH = Number(numbers[0] ?? 1);
const FINISH_BATCH = Number(numbers[1] ?? 3);
const FIRES = Number(numbers[2] ?? 2000);
const FUNCTIONS = process.argv.includes('--functions');
const ROUNDS = 3;
const T0 = 1_800_000_000_000;

/** evalsha's calls and usec so far, and every command's calls. */
async function evalsha(c: Redis): Promise<{ calls: number; us: number; commands: number }> {
  const stats = await c.info('commandstats');
  const m = /^cmdstat_(?:evalsha|fcall):calls=(\d+),usec=(\d+)/m.exec(stats);
  let commands = 0;
  for (const x of stats.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm))
    if (!['evalsha', 'fcall', 'info', 'config', 'function'].includes(x[1] ?? '')) commands += Number(x[2]);
  return { calls: Number(m?.[1] ?? 0), us: Number(m?.[2] ?? 0), commands };
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
  if (FUNCTIONS) await asFunctions(c);
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

/** Prototype: claim and finish as Redis Functions (their includes run once, at FUNCTION LOAD). */
async function asFunctions(c: Redis): Promise<void> {
  const { readLua } = await import('../src/store/script.js');
  for (const [name, keys] of [
    ['claim', 16],
    ['finish', 12],
  ] as const) {
    const text = readLua(`${name}.lua`);
    const at = text.indexOf(`\nlocal a = ARGS.${name}()`);
    const lib = `#!lua name=kt_${name}_proto\nlocal KEYS, ARGV\n${text.slice(0, at)}\nredis.register_function('kt_${name}', function(keys, args)\nKEYS, ARGV = keys, args\n${text.slice(at)}\nend)\n`;
    await c
      .call(
        'FUNCTION',
        'LOAD',
        'REPLACE',
        lib.replace("string.rep('[^,]*,', FINISHED_AT - 1)", `'${'[^,]*,'.repeat(5)}'`),
      )
      .catch((e: unknown) => {
        throw new Error(String(e).slice(0, 300));
      });
    const call = (...xs: unknown[]) => c.call('FCALL', `kt_${name}`, keys, ...(xs as string[]));
    // store/script.ts's defineCommand then finds the name taken and leaves it.
    Object.defineProperty(c, `kt_${name}`, { get: () => call, set: () => undefined, configurable: true });
  }
}

const redis = await RedisServer.start();
const c = redis.client();
const rounds: Awaited<ReturnType<typeof round>>[] = [];
for (let n = 0; n < ROUNDS; n++) rounds.push(await round(c, n));
const best = (f: (r: (typeof rounds)[number]) => number) => Math.min(...rounds.map(f));
process.stdout.write(
  `script-cost${FUNCTIONS ? ' (as Redis Functions)' : ''}: claim ${CLAIM_BATCH} a call ${fmt(best((r) => r.claimUs))} µs/fire, finish ${FINISH_BATCH} a call ${fmt(best((r) => r.finishUs))} µs/fire (best of ${ROUNDS}; ${rounds[0]?.cmds ?? ''})\n`,
);
c.disconnect();
await redis.destroy();
process.exit(0);
