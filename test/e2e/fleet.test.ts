// A fleet with real daemons (docs/fleet.md): labels place tasks (each run on a daemon holding
// them, its name in HOST), a task no live daemon may run is stored with a warning and shown by
// list and check, `ktimer daemons` lists the fleet (a stopped daemon leaves, a killed one shows
// gone), a fleet knows its name (a daemon or command of another refuses and reads nothing), and
// `run` tells the truth (no daemon: exit 1, nothing stored; --queue; --wait --timeout).
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { type CliResult, runCli, writeTestConfig } from '../helpers/cli.js';
import { TestDaemon } from '../helpers/daemon.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const redis = usePrivateRedis();
const daemons: TestDaemon[] = [];
afterEach(() => {
  for (const d of daemons.splice(0)) d.kill();
});

let n = 0;
/** Configs of one fleet: the same keys on the file's Redis, each its own dir, name and labels. */
function fleetOf(size: number, daemon: (i: number) => string[], redisLines: string[] = []) {
  const prefix = `fl${++n}`;
  return Array.from({ length: size }, (_, i) => {
    const d = new TestDaemon(
      writeTestConfig({
        redisPort: redis.server.port,
        prefix,
        extra: { daemon: daemon(i), redis: redisLines },
      }),
    );
    daemons.push(d);
    return d;
  });
}

const json = async (d: TestDaemon, args: string[]) => {
  const res = await d.cli([...args, '--json']);
  assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
  return JSON.parse(res.stdout) as Record<string, unknown>;
};

test('labels place tasks: each run on a daemon holding them, by name in HOST; no daemon with a label: a warning, list and check', async () => {
  const [a, b] = fleetOf(2, (i) => [
    `name = node-${i === 0 ? 'a' : 'b'}`,
    `labels = ${i === 0 ? 'db,eu' : 'web'}`,
  ]);
  assert.ok(a && b);
  await a.start();
  await b.start();
  await waitFor(async () => ((await json(a, ['daemons'])).daemons as unknown[]).length === 2, {
    what: 'two daemons in the registry',
  });
  const db = await a.add(['-type=ticker', '-time=1', '-limit=3', '-on=db', '-command=true']);
  const web = await a.add(['-type=ticker', '-time=1', '-limit=3', '-on=web', '-command=true']);
  const own = await a.add(['-type=ticker', '-time=1', '-limit=2', '-on=host:node-b', '-command=true']);
  const gpu = await a.cli(['add', '-type=ticker', '-time=1', '-on=gpu,db', '-command=true']);
  assert.equal(gpu.code, 0, 'stored');
  assert.match(
    gpu.stderr,
    /warning: no live daemon holds the label gpu; task [0-9a-f]{32} with -on=db,gpu waits/,
  );
  const hosts = async (kid: string, runs: number) =>
    waitFor(
      async () => {
        const h = (await json(a, ['history', kid])).runs as { host: string; pid: number }[];
        return h.length >= runs ? h : null;
      },
      { timeoutMs: 15_000, what: `${runs} runs of ${kid}` },
    );
  assert.deepEqual(new Set((await hosts(db, 3)).map((r) => r.host)), new Set(['node-a']));
  assert.deepEqual(
    new Set((await hosts(web, 3)).map((r) => [r.host, r.pid].join())),
    new Set([`node-b,${b.pid}`]),
  );
  assert.deepEqual(new Set((await hosts(own, 2)).map((r) => r.host)), new Set(['node-b']));
  const list = await a.cli(['list']);
  assert.match(list.stdout, /db,gpu \(no daemon\)/);
  const check = await a.cli(['check']);
  assert.equal(check.code, 0, 'the daemon is healthy all the same');
  assert.match(check.stdout, /warning: -on=db,gpu: 1 task waits; no live daemon holds all of those labels/);
  assert.deepEqual((await json(a, ['check'])).waiting, [{ labels: ['db', 'gpu'], tasks: 1, runs: 0 }]);
});

test('ktimer daemons: name, host, pid, labels, version, start, last claim, running, settings; a stopped daemon leaves, a killed one is gone', async () => {
  const [a, b, c] = fleetOf(3, (i) => [`name = d${i}`, 'labels = x']);
  assert.ok(a && b && c);
  for (const d of [a, b]) await d.start();
  const listed = await waitFor(
    async () => {
      const { daemons: ds } = (await json(a, ['daemons'])) as { daemons: Record<string, unknown>[] };
      return ds.length === 2 && ds.every((d) => d.last_claim_age_ms !== null) ? ds : null;
    },
    { what: 'two daemons that claimed' },
  );
  const first = listed[0] as Record<string, unknown>;
  assert.deepEqual(
    Object.keys(first).sort(),
    [
      'host',
      'labels',
      'last_claim_age_ms',
      'name',
      'owner',
      'pid',
      'running',
      'seen_age_ms',
      'settings',
      'settings_differ',
      'settings_differ_in',
      'started',
      'state',
      'version',
    ].sort(),
  );
  assert.deepEqual(
    listed.map((d) => [d.name, d.pid, d.labels, d.state, d.settings_differ]),
    [
      ['d0', a.pid, ['host:d0', 'x'], 'live', false],
      ['d1', b.pid, ['host:d1', 'x'], 'live', false],
    ],
  );
  assert.ok((first.last_claim_age_ms as number) < 3000);
  const human = await a.cli(['daemons']);
  assert.match(human.stdout, /^fleet default: 2 live daemons\nNAME +STATE +HOST +PID +LABELS/);
  assert.equal((await a.cli(['stop'])).code, 0);
  await waitFor(async () => ((await json(b, ['daemons'])).daemons as unknown[]).length === 1, {
    what: 'the stopped daemon to leave',
  });
  b.kill();
  const gone = await waitFor(
    async () => {
      const [d] = (await json(c, ['daemons'])).daemons as Record<string, unknown>[];
      return d?.state === 'gone' ? d : null;
    },
    { timeoutMs: 10_000, what: 'the killed daemon shown gone' },
  );
  assert.equal(gone.name, 'd1');
  assert.match((await c.cli(['daemons'])).stdout, /no live daemon/);
});

test("a daemon's settings that differ from the fleet's usual ones are said", async () => {
  const prefix = `fl${++n}`;
  const make = (i: number, extra: string[]) => {
    const d = new TestDaemon(
      writeTestConfig({
        redisPort: redis.server.port,
        prefix,
        extra: { daemon: [`name = s${i}`], task: extra },
      }),
    );
    daemons.push(d);
    return d;
  };
  const ds = [make(0, []), make(1, []), make(2, ['timezone = Europe/Berlin'])];
  for (const d of ds) await d.start();
  const listed = await waitFor(
    async () => {
      const got = (await json(ds[0] as TestDaemon, ['daemons'])).daemons as Record<string, unknown>[];
      return got.length === 3 ? got : null;
    },
    { what: 'three daemons' },
  );
  assert.deepEqual(
    listed.map((d) => [d.name, d.settings_differ, d.settings_differ_in]),
    [
      ['s0', false, []],
      ['s1', false, []],
      ['s2', true, ['task']],
    ],
  );
  assert.match((await (ds[0] as TestDaemon).cli(['daemons'])).stdout, /s2 .*differ: task/);
});

test('a fleet knows its name: a daemon or command of another refuses (exit 1), reads and fires nothing', async () => {
  const [a] = fleetOf(1, () => ['name = p'], ['fleet = prod']);
  assert.ok(a);
  await a.start();
  const kid = await a.add(['-type=ticker', '-time=1', '-command=true']);
  const prefix = `fl${n}`;
  const other = writeTestConfig({
    redisPort: redis.server.port,
    prefix,
    extra: { redis: ['redis.fleet = staging'] },
  });
  const refused = (res: CliResult) => {
    assert.equal(res.code, 1, res.stderr);
    assert.equal(res.stderr.trim().split('\n').length, 1, 'one line');
    assert.match(
      res.stderr,
      /holds fleet prod, but .*conf\.ini says \[redis\] fleet = staging: no task was read/,
    );
  };
  refused(await runCli(['get', kid, '--config', other]));
  refused(await runCli(['list', '--config', other]));
  const stranger = new TestDaemon(other);
  daemons.push(stranger);
  const start = await runCli(['start', '-d', '--config', other]);
  assert.equal(start.code, 1, start.stdout);
  assert.match(start.stderr, /holds fleet prod, but .* fleet = staging/);
  const init = await runCli(['init', '--config', other]);
  assert.equal(init.code, 1);
  assert.match(init.stdout, /fleet: +FAILED +Redis at .* holds fleet prod/);
  const ours = await a.cli(['init']);
  assert.match(ours.stdout, /fleet: +ok +prod \(as Redis holds it\); 1 task under/);
  assert.equal(((await json(a, ['daemons'])).daemons as unknown[]).length, 1, 'the stranger never joined');
});

test('run tells the truth: no live daemon that may run it, exit 1 and nothing stored; --queue; --wait --timeout', async () => {
  const [a] = fleetOf(1, () => ['name = r', 'labels = db']);
  assert.ok(a);
  const kid = await a.add(['-type=ticker', '-time=3600', '-command=true']);
  const none = await a.cli(['run', kid]);
  assert.equal(none.code, 1);
  assert.match(
    none.stderr,
    /no daemon of fleet default is live to run task [0-9a-f]{32}; nothing was run\. Start one/,
  );
  assert.equal(((await json(a, ['get', kid])) as { run_num: number }).run_num, 0, 'no run taken');
  const started = Date.now();
  const waited = await a.cli(['run', kid, '--queue', '--wait', '--timeout=1']);
  assert.equal(waited.code, 1);
  assert.match(waited.stderr, new RegExp(`run ${kid}:1 has not ended within 1 s and goes on`));
  assert.ok(Date.now() - started < 10_000);
  await a.start();
  const gpu = await a.add(['-type=ticker', '-time=3600', '-on=gpu', '-command=true']);
  const refused = await a.cli(['run', gpu]);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /no live daemon of fleet default holds the labels task [0-9a-f]{32} needs \(gpu\)/,
  );
  const done = await a.cli(['run', kid, '--wait', '--timeout=20']);
  assert.equal(done.code, 0, done.stderr);
  const runs = (await json(a, ['history', kid])).runs as { fire_id: string; host: string }[];
  assert.deepEqual(runs.map((r) => [r.fire_id, r.host]).sort(), [
    [`${kid}:1`, 'r'],
    [`${kid}:2`, 'r'],
  ]);
});
