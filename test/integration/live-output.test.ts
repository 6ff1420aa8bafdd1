// The live tail's store (store/live-output-store.ts) against a real Redis: what a daemon publishes
// of a followed run reads back in order, and a write Redis refuses fails the call (the publisher
// logs it and tries again) rather than being lost without a word. A page read costs two round
// trips, shown through a slow network.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { KtimerError } from '../../src/errors.js';
import { liveOutputPage } from '../../src/service/live-output.js';
import { HistoryStore } from '../../src/store/history-store.js';
import { LiveOutputStore } from '../../src/store/live-output-store.js';
import { RedisAccess } from '../../src/store/redis-access.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { testKeys } from '../helpers/stores.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const redis = usePrivateRedis();
const T0 = 1_800_000_000_000;

const storeOn = (prefix: string) => {
  const keys = testKeys(prefix);
  return {
    keys,
    live: new LiveOutputStore(
      new RedisAccess(redis.client, keys, (e) => new KtimerError('redis', String(e))),
    ),
  };
};

test('a followed run: watched until its time, its batches read back in order, then its end', async () => {
  const { live } = storeOn('live1');
  await live.watch('k:1', T0, T0 + 30_000);
  assert.deepEqual([...(await live.watched(T0 + 1))], ['k:1']);
  assert.deepEqual([...(await live.watched(T0 + 30_001))], []);
  await live.publish([
    { fireId: 'k:1', chunks: [{ stream: 'stdout', text: 'a\n', droppedBytes: 0 }] },
    { fireId: 'k:1', chunks: [{ stream: 'stderr', text: 'b\n', droppedBytes: 7 }], ended: { ok: false } },
  ]);
  const entries = await live.read('k:1', '');
  assert.deepEqual(
    entries.map(({ id: _, ...e }) => e),
    [
      { chunk: { stream: 'stdout', text: 'a\n', droppedBytes: 0 } },
      { chunk: { stream: 'stderr', text: 'b\n', droppedBytes: 7 } },
      { ended: { ok: false } },
    ],
  );
  assert.deepEqual(await live.read('k:1', entries[1]?.id ?? ''), [entries[2]]);
});

test('a write Redis refuses fails publish and watch, with the redis error', async () => {
  const { keys, live } = storeOn('live2');
  await redis.client.set(`${keys.liveOutput}k:1`, 'not a stream');
  await assert.rejects(
    live.publish([{ fireId: 'k:1', chunks: [{ stream: 'stdout', text: 'a', droppedBytes: 0 }] }]),
    { code: 'redis' },
  );
  await redis.client.set(keys.liveWatched, 'not a sorted set');
  await assert.rejects(live.watch('k:1', T0, T0 + 30_000), { code: 'redis' });
});

test('a page of a running run costs two round trips: the clock, then the watch, the output and the state at once', async () => {
  const DELAY_MS = 150;
  const proxy = await TcpProxy.start(redis.server.port);
  const client = new Redis({ port: proxy.port, lazyConnect: true });
  try {
    await client.connect();
    const keys = testKeys('rt');
    const access = new RedisAccess(client, keys, (e) => new KtimerError('redis', String(e)));
    const live = new LiveOutputStore(access);
    const fireId = `${'c'.repeat(32)}:1`;
    await client.hset(keys.fires, fireId, JSON.stringify({ id: fireId, state: 'started' }));
    await live.publish([{ fireId, chunks: [{ stream: 'stdout', text: 'hello\n', droppedBytes: 0 }] }]);
    const deps = {
      history: async () => new HistoryStore(access),
      live: async () => live,
      nowMs: async () => Number((await client.time())[0]) * 1000,
    };
    proxy.delay(DELAY_MS);
    const started = performance.now();
    const page = await liveOutputPage(deps, fireId, '');
    const took = performance.now() - started;
    assert.equal(page.state, 'running');
    assert.deepEqual(page.chunks, [{ stream: 'stdout', text: 'hello\n', dropped_bytes: 0 }]);
    // Two delays, not four (one for the clock, the watch, the read and the state each).
    assert.ok(took >= 2 * DELAY_MS && took < 3 * DELAY_MS, `a page took ${Math.round(took)} ms`);
    assert.ok((await client.zscore(keys.liveWatched, fireId)) !== null, 'followed');
    proxy.delay(0);
    await assert.rejects(liveOutputPage(deps, `${'d'.repeat(32)}:1`, 'bad'), /after "bad" is invalid/);
    assert.equal(
      await client.zscore(keys.liveWatched, `${'d'.repeat(32)}:1`),
      null,
      'bad input stores nothing',
    );
  } finally {
    client.disconnect();
    await proxy.close();
  }
});
