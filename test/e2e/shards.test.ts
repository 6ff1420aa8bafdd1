// Schedule shards with real daemons (issue 28, docs/shards.md): [redis] shards = 6 on one Redis,
// two daemons share the shards by leases (3 each), and when one is SIGKILLed the other takes its
// shards over: tasks on every shard fire exactly once. A daemon SIGSTOPped past its lease is
// fenced off the shards taken meanwhile.
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

function daemon(prefix: string, name: string, shards = K): TestDaemon {
  const d = new TestDaemon(
    writeTestConfig({
      redisPort: redis.server.port,
      prefix,
      extra: {
        redis: [`shards = ${shards}`],
        default: ['task_lost_after = 8', 'shutdown_grace = 4'],
        daemon: [`name = ${name}`],
      },
    }),
  );
  daemons.push(d);
  return d;
}

/** Each shard's lease holder, by daemon name (the owner id's first part), '' where none. */
async function holders(config: string, k = K): Promise<string[]> {
  const shards = shardKeyNames(loadConfig(config).keys, k).map(storeKeys);
  return Promise.all(
    shards.map(async (k) => ((await redis.client.get(k.shardLease)) ?? '').split(':')[0] ?? ''),
  );
}

const count = (names: string[], who: string) => names.filter((n) => n === who).length;

/** The lines of a file the tasks append to, none before the first. */
function linesOf(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').trim().split('\n');
  } catch {
    return [];
  }
}

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
  const fired = () => linesOf(out);
  await waitFor(() => fired().length >= names.length, { what: 'every task fired', timeoutMs: 40_000 });
  await waitFor(async () => count(await holders(a.config), 'alpha') === K, {
    what: 'alpha holds all 6 again',
  });
  // Long enough for a late duplicate to show.
  await new Promise((r) => setTimeout(r, 2000));
  assert.deepEqual([...fired()].sort(), [...names].sort(), 'each task exactly once');
});

test('the fence: a daemon SIGSTOPped past its lease, its shard taken meanwhile, is refused at its next claim and drops it; every task fires once', async () => {
  await redis.ready();
  const k = 2;
  const prefix = `shf${Date.now() % 100000}`;
  const a = daemon(prefix, 'alpha', k);
  const b = daemon(prefix, 'beta', k);
  await Promise.all([a.start(), b.start()]);
  const split = async () => {
    const h = await holders(a.config, k);
    return count(h, 'alpha') === 1 && count(h, 'beta') === 1;
  };
  await waitFor(split, { what: 'one shard each', timeoutMs: 8000 });
  const out = join(a.dir, 'fenced.txt');
  const names = ['f0', 'f1', 'f2', 'f3', 'f4', 'f5'];
  assert.equal(new Set(names.map((n) => shardOf(n, k))).size, k, 'tasks on both shards');
  for (const name of names) await a.add([`-name=${name}`, '-time=4', `-command=echo ${name} >> ${out}`]);
  b.kill('SIGSTOP');
  // Past beta's lease (5 s) and its liveness (5 s): alpha holds both shards.
  await waitFor(async () => count(await holders(a.config, k), 'alpha') === k, {
    what: "alpha took beta's shard",
    timeoutMs: 12_000,
  });
  b.kill('SIGCONT');
  const refused = await waitFor(() => b.log('serve').find((e) => e.event === 'shard_refused'), {
    what: "beta's claim refused by the fence",
  });
  assert.match(String(refused.msg), /^shard \d claim refused: its lease is no longer this daemon's/);
  await waitFor(() => linesOf(out).length >= names.length, { what: 'every task fired' });
  await waitFor(split, { what: 'the shards shared again', timeoutMs: 8000 });
  assert.deepEqual(linesOf(out).sort(), [...names].sort(), 'each task exactly once');
  const alphaRefused = a.log('serve').filter((e) => e.event === 'shard_refused');
  assert.deepEqual(alphaRefused, [], 'a daemon that kept its leases is never refused');
});

test('reshard: refused while a daemon runs; then moves the tasks; a conf.ini with the old count is refused after', async () => {
  await redis.ready();
  const prefix = `shr${Date.now() % 100000}`;
  const config = writeTestConfig({ redisPort: redis.server.port, prefix });
  const d = new TestDaemon(config);
  daemons.push(d);
  await d.start();
  for (let i = 0; i < 6; i++) await d.add([`-name=m${i}`, '-time=3600', '-command=true']);
  const refused = await d.cli(['reshard', '--to', '6']);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /^ktimer: error: reshard refused: 1 daemon of the fleet runs \(.+\); stop it with `ktimer stop`, then reshard: nothing was moved\n$/,
  );
  assert.equal((await d.cli(['stop'])).code, 0);
  const dry = await d.cli(['reshard', '--to', '6', '--dry-run']);
  assert.match(dry.stdout, /^reshard from 1 to 6 shards: 6 tasks, \d would move; nothing was moved\n$/);
  const done = await d.cli(['reshard', '--to', '6']);
  assert.equal(done.code, 0, done.stderr);
  assert.match(
    done.stdout,
    /^resharded from 1 to 6 shards: \d of 6 tasks moved; set \[redis\] shards = 6 in every conf.ini of the fleet\n$/,
  );
  const old = await d.cli(['count']);
  assert.equal(old.code, 1);
  assert.match(
    old.stderr,
    /fleet default at .* has 6 shards, but .*conf.ini says \[redis\] shards = 1: no task was read/,
  );
  const six = new TestDaemon(
    writeTestConfig({ redisPort: redis.server.port, prefix, extra: { redis: ['shards = 6'] } }),
  );
  assert.match((await six.cli(['count'])).stdout, /there are \[6\] tasks/);
  assert.equal((await six.cli(['get', 'm4'])).code, 0);
});
