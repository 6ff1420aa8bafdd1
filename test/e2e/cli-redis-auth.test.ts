// Commands against a Redis that requires a password: the right one works; a wrong or missing one
// is one line naming what Redis said and what to check (a one-shot command connects without a
// ready check, so AUTH's own failure must still be the one reported).
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { runCli, writeTestConfig } from '../helpers/cli.js';
import { usePrivateRedis } from '../helpers/redis-server.js';

const redis = usePrivateRedis();
const configs: Record<'right' | 'wrong' | 'none', string> = { right: '', wrong: '', none: '' };

before(async () => {
  await redis.ready();
  // Set once the server is up (the helper's readiness check has no password to give).
  await redis.client.config('SET', 'requirepass', 'right-one');
  const port = redis.server.port;
  configs.right = writeTestConfig({ redisPort: port, extra: { redis: ['redis.passwd = right-one'] } });
  configs.wrong = writeTestConfig({ redisPort: port, extra: { redis: ['redis.passwd = wrong-one'] } });
  configs.none = writeTestConfig({ redisPort: port });
});

test('the right password works; a wrong or missing one says so, exit 1', async () => {
  const ok = await runCli(['count', '--config', configs.right]);
  assert.equal(ok.stdout, 'there are [0] tasks.\n', ok.stderr);
  const port = redis.server.port;
  for (const [which, said] of [
    ['wrong', 'WRONGPASS invalid username-password pair or user is disabled.'],
    ['none', 'NOAUTH Authentication required.'],
  ] as const) {
    for (const args of [['count'], ['add', '-time=60', '-command=true']]) {
      const res = await runCli([...args, '--config', configs[which]]);
      assert.equal(res.code, 1, `${which} ${args[0]}`);
      assert.equal(
        res.stderr,
        `ktimer: error: Redis 127.0.0.1:${port} db 0 failed: ${said}; check redis.user / redis.passwd in ${configs[which]}\n`,
      );
    }
  }
});
