// End to end: `ktimer count` and `add` against a private Redis.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runCli, writeTestConfig } from '../helpers/cli.js';
import { RedisServer } from '../helpers/redis-server.js';

let redis: RedisServer;
let config: string;

before(async () => {
  redis = await RedisServer.start();
  config = writeTestConfig({ redisPort: redis.port });
});
after(() => redis.destroy());

test('count starts at zero and follows add', async () => {
  const zero = await runCli(['count', `--config=${config}`]);
  assert.equal(zero.code, 0, zero.stderr);
  assert.equal(zero.stdout, 'there are [0] tasks.\n');
  const add = await runCli(['add', '-time=30', '-command=true', `-config=${config}`]);
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /^operating result:\[true\] newkid:\[[0-9a-f]{32}\]\n$/);
  const one = await runCli(['--config', config, 'count', '--json']);
  assert.deepEqual(JSON.parse(one.stdout), { count: 1 });
});
