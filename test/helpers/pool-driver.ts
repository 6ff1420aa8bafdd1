// A small process that owns a ShellPool and runs one command on it, as a daemon would: for tests
// that kill it by SIGKILL (a lost daemon) or run it as another user. Its stdout: one JSON line per
// event (`spawners`, `output`, `done`).
// Usage: node --import tsx pool-driver.ts native|node GRACE_MS|keep REQUEST_JSON
import type { FireRequest } from '../../src/runner/runner-result.js';
import { chooseSpawner, ShellPool } from '../../src/runner/shell-pool.js';

const [kind = 'node', orphans = 'keep', request = '{}'] = process.argv.slice(2);
const say = (event: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`);
};
const pool = new ShellPool({
  spawner: chooseSpawner({ KTIMER_SPAWNER: kind }),
  orphans: orphans === 'keep' ? { stop: false } : { stop: true, graceMs: Number(orphans) },
});
const task = pool.run(JSON.parse(request) as FireRequest, (chunk) => say({ event: 'output', chunk }));
say({ event: 'spawners', pids: pool.pids });
say({ event: 'done', result: await task.result });
await pool.close();
