// Faults under a running daemon: SIGKILL and restart, Redis stopped and restarted. Nothing is
// lost, nothing fires twice, the daemon lives on.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { groupAlive } from '../../src/runner/group-kill.js';
import { writeTestConfig } from '../helpers/cli.js';
import { TestDaemon } from '../helpers/daemon.js';
import { isAlive } from '../../src/daemon/pidfile.js';
import { childrenOf } from '../helpers/proc.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const redis = usePrivateRedis({ aof: true });

const daemons: TestDaemon[] = [];

after(() => {
  for (const d of daemons) d.kill();
});

test('kill -9 and restart: the ticker keeps firing, each run once', async () => {
  const d = new TestDaemon(writeTestConfig({ redisPort: redis.server.port }));
  daemons.push(d);
  await d.start();
  // The shell spawner is up before any task, so the first one does not wait for it to boot.
  const spawners = childrenOf(d.pid);
  assert.equal(spawners.length, 1, 'one shell spawner process');
  const kid = await d.add(['-type=ticker', '-time=1', '-limit=6', '-command=echo tick']);
  await d.waitForFires(2, 10_000, (e) => e.kid === kid);
  assert.deepEqual(childrenOf(d.pid), spawners, 'the same spawner ran the ticks');
  d.kill('SIGKILL');
  await d.waitExit();
  // The spawner sees its daemon go and exits: nothing is left behind.
  await waitFor(() => spawners.every((pid) => !isAlive(pid)), { what: 'the spawner gone', timeoutMs: 5000 });
  await d.start();
  const fires = await d.waitForFires(6, 20_000, (e) => e.kid === kid);
  const runs = fires.map((f) => f.run_num as number);
  assert.equal(new Set(runs).size, runs.length, `a run fired twice: ${runs}`);
  await waitFor(async () => (await d.cli(['get', kid])).code === 1, { what: 'ticker done' });
  // A run claimed by the killed daemon but never begun is fired by its successor; a begun one
  // is not repeated: at most one run may be missing, none doubled.
  const all = d
    .fires()
    .filter((e) => e.kid === kid)
    .map((f) => f.run_num as number);
  assert.ok(all.length >= 5 && all.length <= 6, `runs: ${all}`);
});

test('kill -9 mid-run: its command gets SIGTERM, SIGKILL after shutdown_grace, and never finishes', async () => {
  const d = new TestDaemon(
    writeTestConfig({ redisPort: redis.server.port, extra: { default: ['shutdown_grace = 1'] } }),
  );
  daemons.push(d);
  await d.start();
  const spawners = childrenOf(d.pid);
  const at = join(d.dir, 'orphan');
  // It ignores SIGTERM (its trap only notes when) and would write `done` after 4 s. (A loop over
  // $(seq 40) would end at once if SIGTERM killed seq before the loop began.)
  await d.add([
    '-time=1',
    `-command=mkdir -p ${at}; echo "$KTIMER_CONFIG" > ${at}/config; trap 'date +%s%3N >> ${at}/term' TERM; echo $$ > ${at}/pid; for ((i = 0; i < 40; i++)); do sleep 0.1; done; date +%s%3N > ${at}/done`,
  ]);
  const pidFile = join(at, 'pid');
  const pgid = await waitFor(() => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0), {
    what: 'the command running',
  });
  const startedMs = Date.now();
  d.kill('SIGKILL');
  await d.waitExit();
  await waitFor(() => existsSync(join(at, 'term')), { what: 'SIGTERM seen by the command' });
  await waitFor(() => !groupAlive(pgid), { what: 'its process group killed', timeoutMs: 6000 });
  const goneMs = Date.now() - startedMs;
  assert.ok(goneMs >= 900, `SIGKILL came after shutdown_grace, not before (${goneMs} ms)`);
  await waitFor(() => spawners.every((pid) => !isAlive(pid)), { what: 'the spawner gone', timeoutMs: 5000 });
  // Something that must not happen has no event to wait for: past the time it would have.
  await new Promise((r) => setTimeout(r, Math.max(0, startedMs + 5000 - Date.now())));
  const times = ['term', 'done'].map((f) =>
    existsSync(join(at, f)) ? readFileSync(join(at, f), 'utf8') : '-',
  );
  assert.equal(
    existsSync(join(at, 'done')),
    false,
    `never finished: started ${startedMs}, gone after ${goneMs} ms, term/done: ${times.join(' / ')}`,
  );
  assert.equal(
    readFileSync(join(at, 'config'), 'utf8'),
    `${d.config}\n`,
    "KTIMER_CONFIG: its daemon's config",
  );
});

test('Redis stopped and restarted under a running daemon: it survives and fires what came due', async () => {
  const d = new TestDaemon(writeTestConfig({ redisPort: redis.server.port }));
  daemons.push(d);
  await d.start();
  const kids = [
    await d.add(['-time=3', '-command=echo after-outage']),
    await d.add(['-time=4', '-command=true']),
  ];
  const lastDueMs =
    JSON.parse((await d.cli(['get', kids[1] as string, '--json'])).stdout).run_nexttime * 1000;
  await redis.server.stop();
  const down = await d.cli(['count']);
  assert.equal(down.code, 1, 'the command line fails clearly while Redis is down');
  // What the network said, where: not ioredis' "Stream isn't writeable and enableOfflineQueue...".
  // A command sent while the server is still closing meets a reset or a closed connection, one
  // sent after it a refusal: each is said so, with the address and what to check.
  const unreachable = new RegExp(
    `^cannot reach Redis at 127\\.0\\.0\\.1:${redis.server.port}: (ECONNREFUSED|ECONNRESET|the connection is closed); check \\[redis\\] in ${d.config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} and that redis-server is running$`,
  );
  assert.match(down.stderr, new RegExp(`^ktimer: error: ${unreachable.source.slice(1, -1)}\n$`));
  const [serveDown] = await waitFor(
    () => {
      const found = d.log('serve').filter((e) => e.event === 'redis_down');
      return found.length > 0 ? found : null;
    },
    { what: 'redis_down in serve.log', timeoutMs: 10_000 },
  );
  assert.match(String(serveDown?.err), unreachable);
  assert.match(String(d.log('error').find((e) => e.event === 'redis_down')?.err), unreachable);
  // Both tasks come due while Redis is away.
  await waitFor(() => Date.now() > lastDueMs + 500, { what: 'the tasks to come due', timeoutMs: 10_000 });
  assert.equal(d.alive(), true);
  await redis.server.launch();
  for (const kid of kids) await d.waitForFires(1, 20_000, (e) => e.kid === kid);
  await waitFor(() => d.log('serve').find((e) => e.event === 'redis_up'), { what: 'redis_up in serve.log' });
  for (const kid of kids) assert.equal(d.fires().filter((e) => e.kid === kid).length, 1);
  assert.equal((await d.cli(['status'])).code, 0);
});
