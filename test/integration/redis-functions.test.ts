// The hot scripts run as Redis Functions (src/store/redis-functions.ts): a fire's claim, begin and
// finish go by FCALL, a library gone from the server is loaded again, and a user that may not use
// Functions still fires, by EVALSHA, said once per client, not per call.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { onFunctionsNotice } from '../../src/store/redis-functions.js';
import { storedTask, storeTasks } from '../helpers/stored-tasks.js';
import { claimBeginFinish, endingOf, storesOn, testKeys } from '../helpers/stores.js';
import { usePrivateRedis } from '../helpers/redis-server.js';

const redis = usePrivateRedis();
const T0 = 1_800_000_000_000;
let n = 0;

/** Calls of each command so far (INFO commandstats), e.g. calls.fcall. */
async function calls(): Promise<Record<string, number>> {
  const stats = await redis.client.info('commandstats');
  return Object.fromEntries(
    [...stats.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)].map((m) => [m[1] ?? '', Number(m[2])]),
  );
}

/** `count` due timers stored under fresh keys, claimed, begun and finished by a store on `client`. */
async function fire(client: Redis, count: number): Promise<boolean[]> {
  n++;
  const keys = testKeys(`fn${n}`);
  const due = Array.from(
    { length: count },
    (_, i) => [`k${i}`, storedTask({ run_nexttime: T0 / 1000 })] as const,
  );
  await storeTasks(redis.client, keys, due);
  const { fires } = storesOn(client, keys);
  const { recorded } = await claimBeginFinish(fires, {
    nowMs: T0,
    endingOf: (f) => endingOf(f, { startedMs: T0 }),
  });
  return recorded;
}

const delta = (a: Record<string, number>, b: Record<string, number>, cmd: string): number =>
  (b[cmd] ?? 0) - (a[cmd] ?? 0);

test('a fire is claimed, begun and put on record by FCALL; a library gone is loaded again', async () => {
  const client = redis.server.client();
  try {
    const a = await calls();
    assert.deepEqual(await fire(client, 2), [true, true]);
    const b = await calls();
    assert.equal(delta(a, b, 'fcall'), 3, 'claim, begin and finish');
    assert.equal(delta(a, b, 'evalsha') + delta(a, b, 'eval'), 0);
    assert.equal(delta(a, b, 'function|load'), 3, 'each library once');
    await redis.client.call('FUNCTION', 'FLUSH');
    assert.deepEqual(await fire(client, 1), [true]);
    const c = await calls();
    assert.equal(delta(b, c, 'function|load'), 3, 'loaded again when a call found it gone');
    assert.equal(delta(b, c, 'evalsha') + delta(b, c, 'eval'), 0);
  } finally {
    client.disconnect();
  }
});

for (const denied of [['-function', '-fcall'], ['-fcall']]) {
  test(`a user denied ${denied.join(' ')} fires by EVALSHA, told once per client`, async () => {
    const user = `u${denied.length}`;
    await redis.client.call('ACL', 'SETUSER', user, 'on', '>pw', '~*', '&*', '+@all', ...denied);
    const client = new Redis({ port: redis.server.port, host: '127.0.0.1', username: user, password: 'pw' });
    client.on('error', () => {});
    const notices: string[] = [];
    onFunctionsNotice(client, (m) => notices.push(m));
    try {
      const a = await calls();
      assert.deepEqual(await fire(client, 2), [true, true]);
      assert.deepEqual(await fire(client, 1), [true]);
      const b = await calls();
      assert.ok(delta(a, b, 'evalsha') + delta(a, b, 'eval') >= 6, 'claim, begin and finish, twice');
      assert.equal(notices.length, 1, notices.join('\n'));
      assert.match(notices[0] ?? '', /EVALSHA.*FUNCTION and FCALL/);
    } finally {
      client.disconnect();
    }
  });
}
