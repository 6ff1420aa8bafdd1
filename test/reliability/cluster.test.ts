// Redis Cluster on loopback (3 masters, started here): with hash-tagged keys, add, fire, list
// and del work through the cluster client; keys that would span slots are refused; the hot
// scripts' Functions libraries are on every master; init asks every master whether it may evict or lacks an AOF.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runCli, writeTestConfig } from '../helpers/cli.js';
import { TestDaemon } from '../helpers/daemon.js';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { storedTask, storeTasks } from '../helpers/stored-tasks.js';
import { claimBeginFinish, endingOf, storesOn, testKeys } from '../helpers/stores.js';
import type { RedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';
import { report } from './fleet.js';

let cluster: RedisCluster;
let nodes: RedisServer[] = [];
let seeds = '';

before(async () => {
  cluster = await RedisCluster.start({ masters: 3, replicas: 0 });
  nodes = cluster.nodes;
  seeds = cluster.seeds;
});
after(async () => {
  await cluster.destroy();
});

test('with {hash-tagged} keys: add, fire, list, update, pause, resume, del through the cluster', async () => {
  const config = writeTestConfig({
    redisPort: 1,
    prefix: '{kt}',
    extra: { redis: [`redis.cluster = ${seeds}`] },
  });
  const d = new TestDaemon(config);
  await d.start();
  try {
    const kid = await d.add(['-time=1', '-command=echo cluster']);
    const ticker = await d.add(['-type=ticker', '-time=1', '-limit=2', '-command=true']);
    const keep = await d.add(['-time=600', '-command=true']);
    const [fire] = await d.waitForFires(1, 15_000, (e) => e.kid === kid);
    assert.equal(fire?.ok, true);
    assert.equal(fire?.output, 'cluster\n');
    await d.waitForFires(2, 15_000, (e) => e.kid === ticker);
    const list = JSON.parse((await d.cli(['list', '--json'])).stdout);
    assert.deepEqual(
      list.tasks.map((t: { kid: string }) => t.kid),
      [keep],
    );
    assert.equal((await d.cli(['update', keep, '-limit=0'])).code, 0);
    // pause, list and resume: the paused set shares the tag, so their scripts stay on one slot.
    assert.equal((await d.cli(['pause', keep])).code, 0);
    assert.equal(JSON.parse((await d.cli(['list', '--json'])).stdout).tasks[0]?.paused > 0, true);
    assert.equal((await d.cli(['resume', '--all'])).stdout, 'resumed 1 task.\n');
    assert.equal((await d.cli(['count'])).stdout, 'there are [1] tasks.\n');
    assert.equal((await d.cli(['del', keep])).code, 0);
    assert.equal((await d.cli(['count'])).stdout, 'there are [0] tasks.\n');
    const info = JSON.parse((await d.cli(['info', '--json'])).stdout);
    assert.equal(info.redis.healthy, true);
    report('cluster', { nodes: 3, fired: d.fires().length, lateness_ms: fire?.lateness_ms });
  } finally {
    d.kill();
  }
});

test('init asks every master whether it may evict keys and keeps an AOF, and names those that do not', async () => {
  const config = writeTestConfig({
    redisPort: 1,
    prefix: '{kt}',
    extra: { redis: [`redis.cluster = ${seeds}`], web: ['web_enable = 0'] },
  });
  const evicting = nodes[1] as RedisServer;
  const client = evicting.client();
  try {
    await client.config('SET', 'maxmemory', '1gb');
    await client.config('SET', 'maxmemory-policy', 'volatile-lru');
    const doc = JSON.parse((await runCli(['init', '--json', '--config', config])).stdout);
    assert.equal(doc.ok, true, JSON.stringify(doc.checks));
    const check = doc.checks.find((c: { check: string }) => c.check === 'redis memory');
    assert.equal(check.warning, true);
    assert.match(
      check.detail,
      new RegExp(
        `^Redis at 127\\.0\\.0\\.1:${evicting.port} \\(maxmemory 1\\.00G, maxmemory-policy volatile-lru\\) may evict`,
      ),
    );
    for (const other of [nodes[0], nodes[2]])
      assert.ok(!check.detail.includes(`:${other?.port} `), check.detail);
    // The cluster's nodes keep no AOF: every master is named.
    const disk = doc.checks.find((c: { check: string }) => c.check === 'redis disk');
    assert.equal(disk.warning, true);
    assert.deepEqual(
      (disk.detail as string)
        .replace(/^Redis at /, '')
        .split(' keeps no AOF')[0]
        ?.split(', ')
        .sort(),
      nodes.map((n) => `127.0.0.1:${n.port}`).sort(),
    );
  } finally {
    await client.config('SET', 'maxmemory', '0');
    await client.config('SET', 'maxmemory-policy', 'noeviction');
    client.disconnect();
  }
});

test('keys without a shared hash tag are refused with a clear error', async () => {
  const config = writeTestConfig({
    redisPort: 1,
    prefix: 'kt',
    extra: { redis: [`redis.cluster = ${seeds}`] },
  });
  const res = await runCli(['count', '--config', config]);
  assert.equal(res.code, 1);
  assert.match(res.stderr, /with redis\.cluster the task keys must share a hash tag.*\{ktimer\}:tasks:all/);
  const start = await runCli(['start', '-d', '--config', config]);
  assert.equal(start.code, 1);
  assert.match(start.stderr, /must share a hash tag/);
});

test('schedule shards over the cluster: shards = 6 puts 2 on each master; 2 daemons fire tasks of every shard once', async () => {
  const config = (name: string) =>
    writeTestConfig({
      redisPort: 1,
      prefix: '{kt6}',
      extra: { redis: [`redis.cluster = ${seeds}`, 'shards = 6'], daemon: [`name = ${name}`] },
    });
  const a = new TestDaemon(config('c1'));
  const b = new TestDaemon(config('c2'));
  await a.start();
  await b.start();
  try {
    const client = nodes[0]!.client();
    const slots = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const masterOf = (slot: number) => slots.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
    const perMaster = new Map<number | undefined, number>();
    const { shardKeyNames } = await import('../../src/store/shards.js');
    const { loadConfig } = await import('../../src/config/load-config.js');
    for (const k of shardKeyNames(loadConfig(a.config).keys, 6)) {
      const slot = Number(await client.call('CLUSTER', 'KEYSLOT', k.pool));
      perMaster.set(masterOf(slot), (perMaster.get(masterOf(slot)) ?? 0) + 1);
    }
    assert.deepEqual([...perMaster.values()], [2, 2, 2], 'two shards on each master');
    // Added 4 at a time (one `ktimer add` each, as users add them): sequential adds were most of
    // this test's time.
    const kids: string[] = [];
    for (let i = 0; i < 24; i += 4)
      kids.push(
        ...(await Promise.all(
          [i, i + 1, i + 2, i + 3].map((j) =>
            a.add([`-name=c${j}`, `-time=${3 + (j % 5)}`, '-command=true']),
          ),
        )),
      );
    const fired = () => [...a.fires(), ...b.fires()].map((e) => e.kid as string);
    await waitFor(() => kids.every((k) => fired().includes(k)), {
      what: 'every task fired',
      timeoutMs: 30_000,
    });
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual(fired().sort(), [...kids].sort(), 'each exactly once');
    // Each master ran scripts: the claims of its shards.
    for (const n of nodes) {
      const c = n.client();
      const stats = await c.info('commandstats');
      c.disconnect();
      assert.match(stats, /cmdstat_evalsha:calls=\d+/, `master ${n.port} ran scripts`);
    }
    client.disconnect();
    report('cluster-shards', { nodes: 3, shards: 6, fired: fired().length });
  } finally {
    a.kill();
    b.kill();
  }
});

test('Redis Functions on a Cluster: each library loaded on every master, loaded again when a master lost it', async () => {
  const client = cluster.client();
  const onEach = (args: string[]): Promise<unknown[]> =>
    Promise.all(
      nodes.map(async (n) => {
        const c = n.client();
        try {
          return await c.call(args[0] ?? '', ...args.slice(1));
        } finally {
          c.disconnect();
        }
      }),
    );
  const libraries = async (): Promise<number[]> =>
    (await onEach(['FUNCTION', 'LIST', 'LIBRARYNAME', 'ktimer_claim_*'])).map(
      (list) => (list as unknown[]).length,
    );
  const fireOne = async (prefix: string): Promise<boolean[]> => {
    const keys = testKeys(prefix);
    await storeTasks(client, keys, [['k1', storedTask({ run_nexttime: 1_800_000_000 })]]);
    const { recorded } = await claimBeginFinish(storesOn(client, keys).fires, {
      nowMs: 1_800_000_000_000,
      endingOf: (f) => endingOf(f, { startedMs: 1_800_000_000_000 }),
    });
    return recorded;
  };
  try {
    await onEach(['FUNCTION', 'FLUSH']);
    assert.deepEqual(await fireOne('{fa}:tasks'), [true]);
    assert.deepEqual(await libraries(), [1, 1, 1], 'the claim library on each of the 3 masters');
    await onEach(['FUNCTION', 'FLUSH']);
    assert.deepEqual(await fireOne('{fb}:tasks'), [true], 'a call that found it gone loaded it again');
    assert.deepEqual(await libraries(), [1, 1, 1]);
  } finally {
    client.disconnect();
  }
});
