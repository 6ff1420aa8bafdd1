// A Redis failure reaches the user as one line saying what, where and what to check, never
// ioredis' own words for a connection it no longer has.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors/index.js';
import { buildConfig } from '../../src/config/load-config.js';
import { redisError } from '../../src/store/redis-client.js';

const FILE = '/etc/ktimer/conf.ini';
const cfg = buildConfig('[redis]\nredis.host = 10.0.0.7\nredis.port = 6390\n', FILE);
const hint = `check [redis] in ${FILE} and that redis-server is running`;

test('a refused connection names the address and the network error', () => {
  const err = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:6390'), { code: 'ECONNREFUSED' });
  assert.equal(redisError(cfg, err).message, `cannot reach Redis at 10.0.0.7:6390: ECONNREFUSED; ${hint}`);
});

test("ioredis' words for a closed connection become 'the connection is closed'", () => {
  // ioredis types MaxRetriesPerRequestError over redis-errors, which has no types: without a
  // message. It is an Error when it runs.
  const flushed: unknown = new MaxRetriesPerRequestError(0);
  assert.ok(flushed instanceof Error);
  const closed: Error[] = [
    new Error('Connection is closed.'),
    new Error("Stream isn't writeable and enableOfflineQueue options is false"),
    // A command flushed when the connection closed under it (seen while Redis shut down).
    flushed,
  ];
  for (const err of closed) {
    assert.equal(
      redisError(cfg, err).message,
      `cannot reach Redis at 10.0.0.7:6390: the connection is closed; ${hint}`,
      err.message,
    );
  }
});

test('what Redis itself said is kept, with the setting to check', () => {
  assert.equal(
    redisError(cfg, new Error('WRONGPASS invalid username-password pair')).message,
    `Redis 10.0.0.7:6390 db 0 failed: WRONGPASS invalid username-password pair; check redis.user / redis.passwd in ${FILE}`,
  );
});
