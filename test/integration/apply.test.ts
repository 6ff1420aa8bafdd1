// `ktimer apply` through the task service against a real Redis (issue 25): plans, idempotence
// with nothing written, what a change keeps, prune within the group, refusals that change
// nothing, the group's lock, two applies racing, a crash between batches repaired by a re-apply,
// and the commands on many tasks.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/config.js';
import { KtimerError } from '../../src/errors.js';
import { APPLY_PACE } from '../../src/service/apply-jobs.js';
import { openServices, type Services } from '../../src/service/services.js';
import type { TaskChange, TaskService } from '../../src/service/task-service.js';
import {
  type ApplyReply,
  type ApplyRow,
  openStore,
  type Store,
  type TaskStore,
} from '../../src/store/open-store.js';
import { storeKeys, type StoreKeys } from '../../src/store/keys.js';
import { writeTestConfig } from '../helpers/cli.js';
import { usePrivateRedis } from '../helpers/redis-server.js';

const redis = usePrivateRedis();
let config: Config;
let keys: StoreKeys;
let store: Store;
let service: TaskService;
let changes: TaskChange[];
let n = 0;

/**
 * The task service over this test's keys; `tasks` may wrap the store (a crash, a daemon firing),
 * `changes` the change log's.
 */
function servicesOver(
  tasks: (t: TaskStore) => TaskStore = (t) => t,
  changeStore: (c: Store['changes']) => Store['changes'] = (c) => c,
): Services {
  // This test's store, not the module's variable: a change log flushed after the test ended (its
  // timer) went to the next test's keys, and that test saw another's tasks in its log.
  const own = store;
  return openServices({
    config,
    store: async () => ({
      ...own,
      tasks: tasks(own.tasks),
      changes: changeStore(own.changes),
      serverTimeMs: () => own.serverTimeMs(),
    }),
    onChange: (c) => changes.push(c),
    actor: () => ({ via: 'cli', user: 'test', host: 'test', reason: '' }),
    warn: () => {},
  });
}

const serviceOver = (tasks?: (t: TaskStore) => TaskStore): TaskService => servicesOver(tasks).tasks;

beforeEach(async () => {
  await redis.ready();
  config = loadConfig(writeTestConfig({ redisPort: redis.server.port, prefix: `ap${++n}` }));
  keys = storeKeys(config.keys);
  await store?.close();
  store = openStore(config, 'oneshot');
  await store.connect();
  changes = [];
  service = serviceOver();
});

const file = (group: string, tasks: Record<string, string>): string =>
  `group: ${group}\ntasks:\n${Object.entries(tasks)
    .map(([name, fields]) => `  ${name}: {${fields}}`)
    .join('\n')}\n`;
const ticker = (command: string, time = 300) => `type: ticker, time: ${time}, command: "${command}"`;
const apply = (text: string, options = {}) => service.jobs.apply(text, 'f.yaml', options);
const summary = async (text: string, options = {}) => {
  const { plan } = await apply(text, options);
  return [plan.add.length, plan.change.length, plan.remove.length, plan.unchanged.length];
};
const stored = async (name: string) => {
  const [kid] = await store.tasks.kidsOfNames([name]);
  assert.ok(kid, `task ${name} is stored`);
  const task = await store.tasks.get(kid);
  assert.ok(task);
  return { kid, ...task };
};

/** Calls of write commands so far (INFO commandstats): what a no-change apply must not add to. */
async function writes(): Promise<number> {
  const info = await redis.client.info('commandstats');
  const written = ['evalsha', 'eval', 'set', 'hset', 'sadd', 'srem', 'zadd', 'del', 'hdel', 'pexpire'];
  return [...info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)]
    .filter((m) => written.includes(m[1] as string))
    .reduce((sum, m) => sum + Number(m[2]), 0);
}

test('a first apply adds the tasks in the group; the same file again changes nothing and writes nothing', async () => {
  const text = file('nightly', { a: ticker('echo a'), b: ticker('echo b', 60) });
  assert.deepEqual(await summary(text, { dryRun: true }), [2, 0, 0, 0]);
  assert.equal(await store.tasks.count(), 0, 'a dry run writes nothing');
  assert.deepEqual(await summary(text), [2, 0, 0, 0]);
  const a = await stored('a');
  assert.equal(a.task.group, 'nightly');
  assert.deepEqual((await store.tasks.groupKids('nightly')).sort(), [a.kid, (await stored('b')).kid].sort());
  assert.equal(await redis.client.exists(`${keys.applyLock}nightly`), 0, 'the lock let go');
  assert.deepEqual(
    changes.map((c) => c.op),
    ['add', 'add'],
    'one runed.log line per task',
  );
  const before = await writes();
  assert.deepEqual(await summary(text), [0, 0, 0, 2]);
  assert.equal(await writes(), before, 'no write command reached Redis');
  assert.equal((await stored('a')).raw, a.raw, 'kid, next run and run count as they were');
});

test('a changed task keeps its kid, run count and history; only a schedule field reschedules it', async () => {
  await apply(file('g', { a: ticker('echo a'), c: 'type: cron, cron: "0 0 3 * * *", tz: UTC, command: x' }));
  const a = await stored('a');
  const c = await stored('c');
  // A daemon fired them meanwhile (run count and next run moved), and a run is on record.
  await redis.client.hset(keys.pool, a.kid, a.raw.replace('"run_num":0', '"run_num":7'));
  await redis.client.lpush(`${keys.history}${a.kid}`, '["x:1"]');
  const { plan } = await apply(
    file('g', { a: ticker('echo A'), c: 'type: cron, cron: "0 0 4 * * *", tz: UTC, command: x' }),
  );
  assert.deepEqual(
    plan.change.map((p) => [p.name, p.reschedule]),
    [
      ['a', false],
      ['c', true],
    ],
  );
  const a2 = await stored('a');
  assert.equal(a2.kid, a.kid);
  assert.equal(a2.task.command, 'echo A');
  assert.equal(a2.task.run_num, 7, 'the run count read again after the daemon moved it');
  assert.equal(a2.task.run_nexttime, a.task.run_nexttime, 'not rescheduled: a command is no schedule field');
  assert.equal(await redis.client.llen(`${keys.history}${a.kid}`), 1, 'its history stays');
  const c2 = await stored('c');
  assert.equal(c2.kid, c.kid);
  assert.notEqual(c2.task.run_nexttime, c.task.run_nexttime, 'a new cron: its runs from now');
  assert.deepEqual(
    changes.slice(-2).map((ch) => ch.op),
    ['update', 'update'],
  );
});

test('a paused task stays paused through a change', async () => {
  await apply(file('g', { a: ticker('echo a') }));
  const { kid } = await stored('a');
  await service.pauses.pause([kid]);
  await apply(file('g', { a: ticker('echo b') }));
  const a = await stored('a');
  assert.equal(a.task.command, 'echo b');
  assert.notEqual(a.task.paused, undefined);
  assert.equal(await redis.client.zscore(keys.schedule, kid), null, 'still out of the schedule');
});

test("--prune removes the group's tasks the file leaves out, and their waiting runs; never others'", async () => {
  await apply(file('g', { a: ticker('a'), b: ticker('b') }));
  await apply(file('other', { c: ticker('c') }));
  await service.add({ type: 'ticker', time: '60', command: 'by hand', name: 'd' });
  const b = await stored('b');
  await redis.client.hset(keys.queued, b.kid, '{"id":"x"}');
  const kept = await apply(file('g', { a: ticker('a') }));
  assert.equal(kept.plan.kept, 1, 'without --prune it is kept');
  assert.deepEqual(await summary(file('g', { a: ticker('a') }), { prune: true }), [0, 0, 1, 1]);
  assert.deepEqual(await store.tasks.kidsOfNames(['a', 'b', 'c', 'd']).then((k) => k.map(Boolean)), [
    true,
    false,
    true,
    true,
  ]);
  assert.equal(await redis.client.hexists(keys.queued, b.kid), 0, 'its queued run dropped, as del drops it');
  assert.equal(await redis.client.sismember(`${keys.group}g`, b.kid), 0);
  const del = changes.find((c) => c.op === 'del');
  assert.deepEqual(del, { op: 'del', kids: [b.kid], removed: 1, dropped: 1 });
  assert.deepEqual(await summary(file('g', {}), { prune: true }), [0, 0, 1, 0], 'an empty file prunes all');
  assert.ok((await store.tasks.kidsOfNames(['c']))[0], "another group's task stays");
});

test('a bad file, a name held outside the group, a timer: exit 2, and nothing changes', async () => {
  await apply(file('g', { a: ticker('a') }));
  await service.add({ type: 'ticker', time: '60', command: 'by hand', name: 'held' });
  const before = await redis.client.hgetall(keys.pool);
  const refused = async (text: string, pattern: RegExp) =>
    assert.rejects(apply(text), (err: unknown) => {
      assert.ok(err instanceof KtimerError);
      assert.equal(err.code, 'usage');
      assert.match(err.message, pattern);
      return true;
    });
  await refused(
    file('g', { a: ticker('b'), z: 'type: cron, cron: "0 61 * * * *", command: x' }),
    /f\.yaml:4: task z: cron/,
  );
  await refused(
    file('g', { a: ticker('b'), held: ticker('x') }),
    /f\.yaml:4: task held: its name is held by task \w+ with no group/,
  );
  await refused(
    file('g', { t: 'type: timer, time: 60, command: x' }),
    /type timer is not declared state; add a one-shot timer with `ktimer add`/,
  );
  assert.deepEqual(await redis.client.hgetall(keys.pool), before);
});

test("another apply holding the group's lock refuses this one (exit 1), which changes nothing", async () => {
  await redis.client.set(`${keys.applyLock}g`, 'someone');
  await assert.rejects(
    apply(file('g', { a: ticker('a') })),
    /another apply of group g is under way; nothing was changed/,
  );
  assert.equal(await store.tasks.count(), 0);
  assert.deepEqual(await summary(file('h', { a: ticker('a') })), [1, 0, 0, 0], 'another group goes on');
});

test('two applies of one group racing leave one file or the other, never a mix', async () => {
  const tasksOf = (tag: string) =>
    Object.fromEntries(Array.from({ length: 1200 }, (_, i) => [`t${i}`, ticker(`echo ${tag}`)]));
  const [one, two] = [file('g', tasksOf('one')), file('g', tasksOf('two'))];
  const outcomes = await Promise.allSettled([apply(one), serviceOver().jobs.apply(two, 'two.yaml')]);
  const refused = outcomes.filter((o) => o.status === 'rejected');
  for (const r of refused) assert.match(String(r.reason), /another apply of group g is under way/);
  const commands = new Set(
    Object.values(await redis.client.hgetall(keys.pool)).map((raw) => JSON.parse(raw).command),
  );
  assert.equal(commands.size, 1, `one file's commands only: ${[...commands].join(', ')}`);
  assert.equal(await store.tasks.count(), 1200);
});

test('a crash between batches leaves whole tasks; the same file again plans what is left and completes it', async () => {
  const tasks = Object.fromEntries(Array.from({ length: 1300 }, (_, i) => [`t${i}`, ticker(`echo ${i}`)]));
  const text = file('big', tasks);
  const sizes: number[] = [];
  const crashing = serviceOver((t) =>
    Object.assign(Object.create(t) as TaskStore, {
      applyBatch: (b: Parameters<TaskStore['applyBatch']>[0]) => {
        if (b.rows.length > 0 && sizes.push(b.rows.length) === 2)
          throw new KtimerError('redis', 'connection lost');
        return t.applyBatch(b);
      },
    }),
  );
  await assert.rejects(crashing.jobs.apply(text, 'big.yaml'), /connection lost/);
  const written = await store.tasks.count();
  assert.ok(written > 0 && written < 1300, `some batches written: ${written}`);
  assert.equal(written, sizes[0], 'the first batch whole, the second not at all');
  assert.equal(await redis.client.exists(`${keys.applyLock}big`), 0, 'the lock let go after the failure');
  assert.deepEqual(await summary(text), [1300 - written, 0, 0, written]);
  assert.equal(await store.tasks.count(), 1300);
  assert.deepEqual(await summary(text), [0, 0, 0, 1300]);
});

/** An apply of `count` tickers through a store whose batches report `msPerRow` each; their sizes. */
async function batchSizes(
  count: number,
  msPerRow: number | null,
): Promise<{ sizes: number[]; us: number[] }> {
  const sizes: number[] = [];
  const us: number[] = [];
  const paced = servicesOver((t) =>
    Object.assign(Object.create(t) as TaskStore, {
      applyBatch: async (b: Parameters<TaskStore['applyBatch']>[0]) => {
        const reply = await t.applyBatch(b);
        if (b.rows.length === 0 || !reply.written) return reply;
        sizes.push(b.rows.length);
        us.push(reply.us);
        return msPerRow === null ? reply : { ...reply, us: Math.round(b.rows.length * msPerRow * 1000) };
      },
    }),
  );
  const tasks = Object.fromEntries(Array.from({ length: count }, (_, i) => [`t${i}`, ticker(`echo ${i}`)]));
  await paced.tasks.jobs.apply(file('paced', tasks), 'paced.yaml');
  await paced.changes.flush();
  assert.equal(await store.tasks.count(), count);
  return { sizes, us };
}

test('each batch is sized by the time the scripts before it held Redis: slow rows make small batches', async () => {
  const { targetMs, first, min, max } = APPLY_PACE;
  const slow = await batchSizes(600, (2 * targetMs) / min);
  // Two batches go before any is answered; the next fit the target, at the least `min`.
  assert.deepEqual(slow.sizes.slice(0, 2), [first, first]);
  assert.ok(
    slow.sizes.slice(2).every((s) => s === min),
    `small batches: ${slow.sizes.join(' ')}`,
  );
  await redis.client.flushall();
  const fast = await batchSizes(3000, targetMs / (4 * max));
  assert.ok(
    fast.sizes.every((s, i) => i < 2 || s <= 2 * (fast.sizes[i - 2] as number)),
    `a batch grows at most 2x: ${fast.sizes.join(' ')}`,
  );
  assert.equal(Math.max(...fast.sizes), max);
  // The script's own figure: whole microseconds, not below 0.
  assert.ok(
    slow.us.every((u) => Number.isSafeInteger(u) && u >= 0),
    slow.us.join(' '),
  );
});

test('the change log of a large apply goes in calls of 100 entries at most, in order', async () => {
  const calls: number[] = [];
  // Batches of many rows (their scripts said to take no time): a turn tells more than 100 changes.
  const logged = servicesOver(
    (t) =>
      Object.assign(Object.create(t) as TaskStore, {
        applyBatch: async (b: Parameters<TaskStore['applyBatch']>[0]) => {
          const reply = await t.applyBatch(b);
          return reply.written ? { ...reply, us: 0 } : reply;
        },
      }),
    (c) =>
      Object.assign(Object.create(c) as Store['changes'], {
        append: (entries: Record<string, string>[], nowMs: number) => {
          calls.push(entries.length);
          return c.append(entries, nowMs);
        },
      }),
  );
  const tasks = Object.fromEntries(Array.from({ length: 450 }, (_, i) => [`t${i}`, ticker(`echo ${i}`)]));
  const { plan } = await logged.tasks.jobs.apply(file('logged', tasks), 'logged.yaml');
  await logged.changes.flush();
  assert.ok(
    calls.every((n) => n <= 100),
    calls.join(' '),
  );
  const names = (await redis.client.xrange(keys.changes, '-', '+')).map(([, f]) => f[f.indexOf('name') + 1]);
  assert.deepEqual(
    names,
    plan.add.map((j) => j.spec.name),
    'every task added on record, in the order written',
  );
  assert.ok(calls.length >= 5, calls.join(' '));
});

test('a task that left the group is forgotten by its set at the next apply that writes', async () => {
  await apply(file('g', { a: ticker('a'), b: ticker('b') }));
  const b = await stored('b');
  // As the claim removes a task at its limit: the hash and the schedule, not the group's set.
  await redis.client.hdel(keys.pool, b.kid);
  assert.equal(await redis.client.sismember(`${keys.group}g`, b.kid), 1);
  assert.deepEqual(await summary(file('g', { a: ticker('a2'), b: ticker('b') })), [1, 1, 0, 0]);
  assert.equal(await redis.client.sismember(`${keys.group}g`, b.kid), 0);
});

test('del, pause, resume on several targets or a group: each reported, the others done all the same', async () => {
  await apply(file('g', { a: ticker('a'), b: ticker('b') }));
  await apply(file('h', { c: ticker('c') }));
  const paused = await service.each.pause({ refs: [], group: 'g' });
  assert.deepEqual(
    paused.map((r) => [r.target, r.ok, r.result?.state]),
    [
      ['a', true, 'paused'],
      ['b', true, 'paused'],
    ],
  );
  const resumed = await service.each.resume({ refs: ['a', 'nope', 'c'] });
  assert.deepEqual(
    resumed.map((r) => [r.target, r.ok, r.result?.state ?? r.error?.code]),
    [
      ['a', true, 'resumed'],
      ['nope', false, 'not_found'],
      ['c', true, 'not_paused'],
    ],
  );
  const deleted = await service.each.del({ refs: [], group: 'g' });
  assert.deepEqual(
    deleted.map((r) => [r.target, r.ok]),
    [
      ['a', true],
      ['b', true],
    ],
  );
  assert.equal(await store.tasks.count(), 1, "group h's task stays");
  await assert.rejects(service.each.del({ refs: [], group: 'g' }), /group g has no tasks/);
  await assert.rejects(service.each.del({ refs: ['c'], group: 'h' }), /not both/);
  assert.deepEqual(
    changes.filter((c) => c.op === 'del').map((c) => c.op === 'del' && c.kids.length),
    [1, 1],
    'one runed.log line per task deleted',
  );
});

test('pause and resume of a group: one script for the lot, a change told per task', async () => {
  await apply(file('g', { a: ticker('a'), b: ticker('b'), c: ticker('c') }));
  const scripts: string[] = [];
  const counting = serviceOver((t) =>
    Object.assign(Object.create(t) as TaskStore, {
      pause: (kids: readonly string[], nowSec: number) => {
        scripts.push(`pause:${kids.length}`);
        return t.pause(kids, nowSec);
      },
      resume: (items: Parameters<TaskStore['resume']>[0]) => {
        scripts.push(`resume:${items.length}`);
        return t.resume(items);
      },
    }),
  );
  const paused = await counting.each.pause({ refs: [], group: 'g' });
  assert.deepEqual(
    paused.map((r) => r.result?.state),
    ['paused', 'paused', 'paused'],
  );
  const resumed = await counting.each.resume({ refs: [], group: 'g' });
  assert.deepEqual(
    resumed.map((r) => r.result?.state),
    ['resumed', 'resumed', 'resumed'],
  );
  assert.deepEqual(scripts, ['pause:3', 'resume:3']);
  assert.deepEqual(
    changes.flatMap((c) => (c.op === 'pause' || c.op === 'resume' ? [`${c.op}:${c.count}`] : [])),
    ['pause:1', 'pause:1', 'pause:1', 'resume:1', 'resume:1', 'resume:1'],
    'a change per task (docs/logs-and-history.md)',
  );
});

test('run on several targets: a run by hand each, counting against -limit; a task done is refused', async () => {
  await apply(file('g', { a: `${ticker('a')}, limit: 1`, b: ticker('b') }));
  // No daemon is live here: each run is refused and nothing stored, unless queued (issue 25 item 5).
  const refused = await service.each.run({ refs: [], group: 'g' });
  assert.deepEqual(
    refused.map((r) => [r.target, r.ok, r.error?.code]),
    [
      ['a', false, 'no_daemon'],
      ['b', false, 'no_daemon'],
    ],
  );
  assert.equal((await stored('b')).task.run_num, 0);
  const ran = await service.each.run({ refs: [], group: 'g' }, { queue: true });
  assert.deepEqual(
    ran.map((r) => [r.target, r.ok, r.result?.state, r.result?.task_done]),
    [
      ['a', true, 'started', true],
      ['b', true, 'started', false],
    ],
  );
  assert.equal((await store.tasks.kidsOfNames(['a']))[0], null, 'a made its limit: done');
  const again = await service.each.run({ refs: ['a', 'b'] }, { queue: true });
  assert.deepEqual(
    again.map((r) => [r.target, r.ok, r.error?.code ?? r.result?.state]),
    [
      ['a', false, 'not_found'],
      ['b', true, 'started'],
    ],
  );
  assert.equal((await stored('b')).task.run_num, 2);
});

test("export prints the group's file, which applies back to no change", async () => {
  await apply(
    file('g', {
      a: 'type: cron, cron: "0 30 3 * * *", tz: Europe/Berlin, command: backup, retries: 2, on: [db, eu]',
      b: ticker('echo b'),
    }),
  );
  const exported = await service.export('g', 'yaml');
  assert.equal(exported.count, 2);
  assert.deepEqual(await summary(exported.text), [0, 0, 0, 2]);
  const json = await service.export(undefined, 'json');
  assert.equal(json.group, 'g', 'the one group there is');
  assert.deepEqual(await summary(json.text), [0, 0, 0, 2]);
  await apply(file('h', { c: ticker('c') }));
  await assert.rejects(
    service.export(undefined, 'yaml'),
    /the tasks are of 2 groups \(g, h\); give -group=G/,
  );
});

test('a batch apply.lua refuses writes nothing: a name a live task took meanwhile, a kid that exists, a lock not its own', async () => {
  const t = store.tasks;
  const task = (name: string) => ({
    type: 'ticker' as const,
    time: 60,
    limit: 0,
    command: 'echo',
    name,
    run_num: 0,
    run_lasttime: 0,
    run_nexttime: 1_800_000_000,
  });
  assert.equal(await t.add('held', task('db'), 100), 'added');
  assert.equal(await t.lockApply('g', 'tok', 30_000), true);
  const batch = (rows: ApplyRow[], token = 'tok') =>
    t.applyBatch({ group: 'g', token, lockMs: 30_000, release: false, maxNum: 100, rows });
  const add = (kid: string, name: string): ApplyRow => ({
    op: 'add',
    kid,
    task: { ...task(name), group: 'g' },
  });
  assert.deepEqual(await batch([add('k1', 'web'), add('k2', 'db'), add('k3', 'eu')]), {
    written: false,
    why: 'taken',
    taken: [{ index: 1, takenBy: 'held' }],
  });
  assert.deepEqual(await batch([add('k1', 'web'), add('held', 'x')]), { written: false, why: 'exists' });
  assert.deepEqual(await batch([add('k1', 'web')], 'other'), { written: false, why: 'unlocked' });
  assert.equal(await t.count(), 1, 'nothing written');
  assert.equal(await redis.client.exists(`${keys.group}g`), 0);
  const { us, ...written } = (await batch([add('k1', 'web')])) as ApplyReply & { written: true };
  assert.deepEqual(written, { written: true, statuses: ['done'], dropped: [0] });
  assert.ok(Number.isSafeInteger(us) && us >= 0, `the script's time, us: ${us}`);
  assert.equal(await t.count(), 2);
});
