// Daemons a test file makes one per test, each with its own config on the file's Redis, all
// killed after each test.
import { afterEach } from 'node:test';
import { type TestConfigOptions, writeTestConfig } from './cli.js';
import { TestDaemon } from './daemon.js';
import type { PrivateRedis } from './redis-server.js';

/**
 * `newDaemon(extra, opts)`: a daemon (not started) with a config of its own, on the file's Redis
 * (or `opts.redisPort`), with `opts.env` in its environment; killed after the test.
 */
export function useDaemons(
  redis: PrivateRedis,
): (
  extra?: TestConfigOptions['extra'],
  opts?: { redisPort?: number; env?: Record<string, string> },
) => TestDaemon {
  const daemons: TestDaemon[] = [];
  afterEach(() => {
    for (const d of daemons.splice(0)) d.kill();
  });
  return (extra, opts = {}) => {
    const config = writeTestConfig({ redisPort: opts.redisPort ?? redis.server.port, extra });
    const d = new TestDaemon(config, opts.env);
    daemons.push(d);
    return d;
  };
}
