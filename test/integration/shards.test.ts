// Schedule shards on one Redis (issue 28, docs/shards.md): with [redis] shards = 6 every task
// lives on its kid's shard (a named one on its name's), one-task commands reach it there, the
// commands over every task merge the shards, and a conf.ini whose count differs from the
// fleet's record is refused before any task is read.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/config.js';
import { KtimerError } from '../../src/errors.js';
import { openServices } from '../../src/service/services.js';
import type { TaskService } from '../../src/service/task-service.js';
import { openStore, type Store } from '../../src/store/open-store.js';
import { storeKeys } from '../../src/store/keys.js';
import { shardKeyNames, shardOf } from '../../src/store/shards.js';
import { writeTestConfig } from '../helpers/cli.js';
import { usePrivateRedis } from '../helpers/redis-server.js';

const redis = usePrivateRedis();
const K = 6;
let config: Config;
let store: Store;
let service: TaskService;
let n = 0;

function configWith(shards: number, prefix: string, extra: string[] = []): Config {
  return loadConfig(
    writeTestConfig({
      redisPort: redis.server.port,
      prefix,
      extra: { redis: [`shards = ${shards}`], default: extra },
    }),
  );
}

async function open(c: Config): Promise<Store> {
  const s = openStore(c, 'oneshot');
  await s.connect();
  return s;
}

beforeEach(async () => {
  await redis.ready();
  config = configWith(K, `sh${++n}`);
  await store?.close();
  store = await open(config);
  await store.checkFleet();
  service = openServices({
    config,
    store: async () => store,
    onChange: () => {},
    actor: () => ({ via: 'cli', user: 'test', host: 'test', reason: '' }),
    warn: () => {},
  }).tasks;
});

const shardKeys = () => shardKeyNames(config.keys, K).map(storeKeys);
const ticker = (name?: string) => ({
  type: 'ticker',
  time: '300',
  command: 'echo hi',
  ...(name ? { name } : {}),
});

test("each task lives on its kid's shard, a named one on its name's; get, update, del reach it", async () => {
  const kids: string[] = [];
  for (let i = 0; i < 24; i++) kids.push((await service.add(ticker(i % 2 ? `job${i}` : undefined))).task.kid);
  const keys = shardKeys();
  const used = new Set<number>();
  for (const kid of kids) {
    const s = shardOf(kid, K);
    used.add(s);
    assert.equal(await redis.client.hexists(keys[s]!.pool, kid), 1, `task ${kid} on shard ${s}`);
    for (const [i, other] of keys.entries())
      if (i !== s) assert.equal(await redis.client.hexists(other.pool, kid), 0);
  }
  assert.ok(used.size >= 4, `tasks spread over the shards: ${[...used].join(',')}`);
  const named = await service.get('job3');
  assert.equal(shardOf(named.kid, K), shardOf('job3', K), "a named task lives on its name's shard");
  assert.equal(await service.count(), 24);
  const updated = await service.update('job3', { time: '600' });
  assert.equal(updated.time, 600);
  assert.deepEqual(await service.del(['job5', kids[0]!]), { removed: 2, dropped: 0 });
  assert.equal(await service.count(), 22);
});

test('names are unique fleet-wide: a second task of a name is refused whatever its shard', async () => {
  await service.add(ticker('backup'));
  await assert.rejects(
    service.add(ticker('backup')),
    (e: unknown) => e instanceof KtimerError && e.code === 'exists',
  );
  assert.equal(await service.count(), 1);
});

test('list merges the shards by next run, one cursor over all; count sums them', async () => {
  for (let i = 0; i < 30; i++)
    await service.add({ type: 'timer', time: String(100 + i * 10), command: 'true' });
  const seen: number[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const res = await service.list({ count: '7', ...(cursor ? { cursor } : {}) });
    assert.equal(res.total, 30);
    seen.push(...res.tasks.map((t) => t.run_nexttime));
    if (!res.next) break;
    cursor = res.next;
  }
  assert.equal(seen.length, 30);
  assert.deepEqual(
    [...seen].sort((a, b) => a - b),
    seen,
    'in order of next run',
  );
  const page2 = await service.list({ count: '5', offset: '5' });
  assert.deepEqual(
    page2.tasks.map((t) => t.run_nexttime),
    seen.slice(5, 10),
  );
});

test('clear and pause --all reach every shard', async () => {
  for (let i = 0; i < 12; i++) await service.add(ticker());
  assert.equal(await service.pauses.pauseAll(), 12);
  assert.equal((await store.tasks.counts()).paused, 12);
  assert.equal(await service.clear(), 12);
  assert.equal(await service.count(), 0);
});

test('the fleet records its shard count; a conf.ini with another is refused, naming both and the key', async () => {
  assert.equal(await redis.client.hget(storeKeys(config.keys).fleet, 'shards'), '6');
  const other = await open(configWith(3, `sh${n}`));
  try {
    await assert.rejects(other.checkFleet(), (e: unknown) => {
      assert.ok(e instanceof KtimerError && e.code === 'fleet');
      assert.match(e.message, /has 6 shards, but .* says \[redis\] shards = 3/);
      return true;
    });
  } finally {
    await other.close();
  }
});

test('one shard: the layout of before, nothing recorded beside the name', async () => {
  const one = configWith(1, `sh1x${n}`);
  const s = await open(one);
  try {
    await s.checkFleet();
    const keys = storeKeys(one.keys);
    assert.deepEqual(await redis.client.hgetall(keys.fleet), { name: 'default' });
    const svc = openServices({
      config: one,
      store: async () => s,
      onChange: () => {},
      actor: () => ({ via: 'cli', user: 'test', host: 'test', reason: '' }),
      warn: () => {},
    }).tasks;
    const { kid } = (await svc.add(ticker('solo'))).task;
    assert.equal(await redis.client.hexists(keys.pool, kid), 1);
    assert.equal(await redis.client.hget(keys.names, 'solo'), kid);
    // A fleet made with one shard refuses a conf.ini that says more: its tasks are on the home keys.
    const six = await open(configWith(6, `sh1x${n}`));
    await assert.rejects(six.checkFleet(), /has 1 shard, but/);
    await six.close();
  } finally {
    await s.close();
  }
});
