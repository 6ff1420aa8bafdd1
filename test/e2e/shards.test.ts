// Schedule shards with real daemons (issue 28, docs/shards.md): [redis] shards = 6 on one Redis,
// two daemons share the shards by leases (3 each), and when one is SIGKILLed the other takes its
// shards over: tasks on every shard fire exactly once.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { storeKeys } from '../../src/store/keys.js';
import { shardKeyNames, shardOf } from '../../src/store/shards.js';
import { writeTestConfig } from '../helpers/cli.js';
import { TestDaemon } from '../helpers/daemon.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const redis = usePrivateRedis();
const K = 6;
const daemons: TestDaemon[] = [];
afterEach(() => {
  for (const d of daemons.splice(0)) d.kill();
});

function daemon(prefix: string, name: string): TestDaemon {
  const d = new TestDaemon(
    writeTestConfig({
      redisPort: redis.server.port,
      prefix,
      extra: {
        redis: [`shards = ${K}`],
        default: ['task_lost_after = 8', 'shutdown_grace = 4'],
        daemon: [`name = ${name}`],
      },
    }),
  );
  daemons.push(d);
  return d;
}

/** Each shard's lease holder, by daemon name (the owner id's first part), '' where none. */
async function holders(config: string): Promise<string[]> {
  const shards = shardKeyNames(loadConfig(config).keys, K).map(storeKeys);
  return Promise.all(
    shards.map(async (k) => ((await redis.client.get(k.shardLease)) ?? '').split(':')[0] ?? ''),
  );
}

const count = (names: string[], who: string) => names.filter((n) => n === who).length;

test('two daemons share 6 shards by leases; one SIGKILLed, the other takes its shards: every task fires once', async () => {
  await redis.ready();
  const prefix = `she${Date.now() % 100000}`;
  const a = daemon(prefix, 'alpha');
  const b = daemon(prefix, 'beta');
  await a.start();
  await waitFor(async () => count(await holders(a.config), 'alpha') === K, {
    what: 'alpha alone holds all 6',
  });
  await b.start();
  await waitFor(
    async () => {
      const h = await holders(a.config);
      return count(h, 'alpha') === 3 && count(h, 'beta') === 3;
    },
    { what: 'the shards balanced 3 and 3', timeoutMs: 15_000 },
  );
  const out = join(a.dir, 'fired.txt');
  const names = Array.from({ length: 24 }, (_, i) => `t${i}`);
  assert.equal(new Set(names.map((n) => shardOf(n, K))).size, K, 'the tasks cover every shard');
  for (const [i, name] of names.entries())
    await a.add([`-name=${name}`, `-time=${8 + (i % 6)}`, `-command=echo ${name} >> ${out}`]);
  b.kill('SIGKILL');
  await b.waitExit();
  const fired = () => {
    try {
      return readFileSync(out, 'utf8').trim().split('\n');
    } catch {
      return [];
    }
  };
  await waitFor(() => fired().length >= names.length, { what: 'every task fired', timeoutMs: 40_000 });
  await waitFor(async () => count(await holders(a.config), 'alpha') === K, {
    what: 'alpha holds all 6 again',
  });
  // Long enough for a late duplicate to show.
  await new Promise((r) => setTimeout(r, 2000));
  assert.deepEqual([...fired()].sort(), [...names].sort(), 'each task exactly once');
});
