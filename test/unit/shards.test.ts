// Schedule shards' pure rules (store/shards.ts): one shard is the home keys unchanged; more get a
// hash tag each whose slots spread evenly, so a Cluster's masters share them; a kid's or name's
// shard is stable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import calculateSlot from 'cluster-key-slot';
import { perShard, shardKeyNames, shardOf } from '../../src/store/shards.js';

const TAGGED = { pool: '{ktimer}:tasks:all', trun: '{ktimer}:tasks:second', lock: '{ktimer}:tasks:lock' };
const PLAIN = { pool: 'ktimer:tasks:all', trun: 'ktimer:tasks:second', lock: 'ktimer:tasks:lock' };

test('one shard: the home keys, unchanged; shard 0 of many too', () => {
  assert.deepEqual(shardKeyNames(TAGGED, 1), [TAGGED]);
  assert.deepEqual(shardKeyNames(PLAIN, 6)[0], PLAIN);
  assert.equal(shardOf('0123456789abcdef0123456789abcdef', 1), 0);
});

test('keys without a hash tag get :sI; with one, each shard a tag of its own, one slot per shard', () => {
  assert.deepEqual(shardKeyNames(PLAIN, 3)[2], {
    pool: 'ktimer:tasks:all:s2',
    trun: 'ktimer:tasks:second:s2',
    lock: 'ktimer:tasks:lock:s2',
  });
  const shards = shardKeyNames(TAGGED, 6);
  const slots = shards.map((k) => {
    const s = new Set([k.pool, k.trun, k.lock].map((n) => calculateSlot(n)));
    assert.equal(s.size, 1, `shard ${k.lock}: one slot`);
    return [...s][0] as number;
  });
  assert.equal(new Set(slots).size, 6);
  assert.match(shards[3]?.lock ?? '', /^\{ktimer\.s3-\d+\}:tasks:lock$/);
});

test('6 shards over a 3-master cluster split evenly (0-5460, 5461-10922, 10923-16383): 2 each', () => {
  for (const tag of ['ktimer', 'fleet-a', 'x']) {
    const keys = { pool: `{${tag}}:all`, trun: `{${tag}}:second`, lock: `{${tag}}:lock` };
    const masters = [0, 0, 0];
    for (const k of shardKeyNames(keys, 6)) {
      const slot = calculateSlot(k.lock);
      masters[slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2]! += 1;
    }
    assert.deepEqual(masters, [2, 2, 2], `tag ${tag}`);
  }
});

test("a kid's shard is stable and spread over the shards", () => {
  assert.equal(shardOf('backup', 6), shardOf('backup', 6));
  const counts = new Array<number>(6).fill(0);
  for (let i = 0; i < 6000; i++) counts[shardOf(`${i.toString(16).padStart(32, '0')}`, 6)]! += 1;
  for (const c of counts) assert.ok(c > 800 && c < 1200, `even: ${counts.join(' ')}`);
});

test('perShard: each shard its part (sent in shard order, at once), the replies back in the order of the items', async () => {
  const calls: string[] = [];
  const out = await perShard(
    ['a1', 'b0', 'c1', 'd0'],
    (s) => Number(s[1]),
    async (shard, part) => {
      calls.push(`${shard}:${part.join(',')}`);
      return part.map((p) => p.toUpperCase());
    },
  );
  assert.deepEqual(out, ['A1', 'B0', 'C1', 'D0']);
  assert.deepEqual(calls, ['0:b0,d0', '1:a1,c1']);
});
