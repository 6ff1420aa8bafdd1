// A Redis failure reaches the user as one line saying what, where and what to check, never
// ioredis' own words for a connection it no longer has.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors/index.js';
import { buildConfig } from '../../src/config/load-config.js';
import { Redis } from 'ioredis';
import { failureReason, redisError } from '../../src/store/redis-client.js';

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

test('a server that answers but refuses: what it said, and what to do instead of checking [redis]', () => {
  const said = (message: string) => redisError(cfg, new Error(message)).message;
  assert.equal(
    said("OOM command not allowed when used memory > 'maxmemory'."),
    "Redis 10.0.0.7:6390 db 0 failed: OOM command not allowed when used memory > 'maxmemory'.; Redis is full (maxmemory) and refuses writes until memory is freed: raise maxmemory, or keep less history (history_per_task, history_max_output; docs/fleet.md#redis-memory-and-persistence)",
  );
  assert.match(
    said('LOADING Redis is loading the dataset in memory'),
    /; Redis is loading its data after a restart: run the command again in a moment$/,
  );
  assert.match(
    said(
      'MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.',
    ),
    /; Redis refuses writes because its last snapshot failed to save/,
  );
  assert.match(
    said('BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.'),
    /; a script has run too long on Redis/,
  );
  assert.match(
    said("READONLY You can't write against a read only replica."),
    /; this Redis is a replica: point \[redis\] at the master/,
  );
});

test("a transaction refused for a command it queued says that command's error, not EXECABORT", async () => {
  const client = new Redis({ lazyConnect: true });
  const oom = new Error("OOM command not allowed when used memory > 'maxmemory'.");
  const aborted = Object.assign(new Error('EXECABORT Transaction discarded because of previous errors.'), {
    previousErrors: [oom],
  });
  assert.equal(await failureReason(client, aborted), oom);
  assert.match(
    redisError(cfg, await failureReason(client, aborted)).message,
    /failed: OOM command not allowed.*; Redis is full/,
  );
  client.disconnect();
});

test('a closed connection rejects every queued command with one error, EXEC among them: no loop, that error', async () => {
  const client = new Redis({ lazyConnect: true });
  const wrongpass = new Error('WRONGPASS invalid username-password pair or user is disabled.');
  Object.assign(wrongpass, { previousErrors: [wrongpass, wrongpass] });
  assert.equal(await failureReason(client, wrongpass), wrongpass);
  client.disconnect();
});
