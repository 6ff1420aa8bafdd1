// Schedule shards on one Redis (issue 28, docs/shards.md): with [redis] shards = 6 every task
// lives on its kid's shard (a named one on its name's), one-task commands reach it there, the
// commands over every task merge the shards, and a conf.ini whose count differs from the
// fleet's record is refused before any task is read.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/config.js';
import { KtimerError } from '../../src/errors.js';
import { openServices } from '../../src/service/services.js';
import type { TaskService } from '../../src/service/task-service.js';
import { openStore, type Store } from '../../src/store/open-store.js';
import { storeKeys } from '../../src/store/keys.js';
import { shardKeyNames, shardOf } from '../../src/store/shards.js';
import { SHARD_TICK_MS, ShardKeeper } from '../../src/daemon/shard-keeper.js';
import { writeTestConfig } from '../helpers/cli.js';
import { claimBeginFinish, endingOf } from '../helpers/stores.js';
import { usePrivateRedis } from '../helpers/redis-server.js';

const redis = usePrivateRedis();
const K = 6;
let config: Config;
let store: Store;
let service: TaskService;
let n = 0;

function configWith(shards: number, prefix: string, extra: string[] = []): Config {
  return loadConfig(
    writeTestConfig({
      redisPort: redis.server.port,
      prefix,
      extra: { redis: [`shards = ${shards}`], default: extra },
    }),
  );
}

async function open(c: Config): Promise<Store> {
  const s = openStore(c, 'oneshot');
  await s.connect();
  return s;
}

beforeEach(async () => {
  await redis.ready();
  config = configWith(K, `sh${++n}`);
  await store?.close();
  store = await open(config);
  await store.checkFleet();
  service = openServices({
    config,
    store: async () => store,
    onChange: () => {},
    actor: () => ({ via: 'cli', user: 'test', host: 'test', reason: '' }),
    warn: () => {},
  }).tasks;
});

const shardKeys = () => shardKeyNames(config.keys, K).map(storeKeys);
const storedTimer = () => ({
  type: 'timer' as const,
  time: 60,
  limit: 1,
  command: 'true',
  run_num: 0,
  run_lasttime: 0,
  run_nexttime: 2_000_000_000,
});
const ticker = (name?: string) => ({
  type: 'ticker',
  time: '300',
  command: 'echo hi',
  ...(name ? { name } : {}),
});

test("each task lives on its kid's shard, a named one on its name's; get, update, del reach it", async () => {
  const kids: string[] = [];
  for (let i = 0; i < 24; i++) kids.push((await service.add(ticker(i % 2 ? `job${i}` : undefined))).task.kid);
  const keys = shardKeys();
  const used = new Set<number>();
  for (const kid of kids) {
    const s = shardOf(kid, K);
    used.add(s);
    assert.equal(await redis.client.hexists(keys[s]!.pool, kid), 1, `task ${kid} on shard ${s}`);
    for (const [i, other] of keys.entries())
      if (i !== s) assert.equal(await redis.client.hexists(other.pool, kid), 0);
  }
  assert.ok(used.size >= 4, `tasks spread over the shards: ${[...used].join(',')}`);
  const named = await service.get('job3');
  assert.equal(shardOf(named.kid, K), shardOf('job3', K), "a named task lives on its name's shard");
  assert.equal(await service.count(), 24);
  const updated = await service.update('job3', { time: '600' });
  assert.equal(updated.time, 600);
  assert.deepEqual(await service.del(['job5', kids[0]!]), { removed: 2, dropped: 0 });
  assert.equal(await service.count(), 22);
});

test('names are unique fleet-wide: a second task of a name is refused whatever its shard', async () => {
  await service.add(ticker('backup'));
  await assert.rejects(
    service.add(ticker('backup')),
    (e: unknown) => e instanceof KtimerError && e.code === 'exists',
  );
  assert.equal(await service.count(), 1);
});

test('list merges the shards by next run, one cursor over all; count sums them', async () => {
  for (let i = 0; i < 30; i++)
    await service.add({ type: 'timer', time: String(100 + i * 10), command: 'true' });
  const seen: number[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const res = await service.list({ count: '7', ...(cursor ? { cursor } : {}) });
    assert.equal(res.total, 30);
    seen.push(...res.tasks.map((t) => t.run_nexttime));
    if (!res.next) break;
    cursor = res.next;
  }
  assert.equal(seen.length, 30);
  assert.deepEqual(
    [...seen].sort((a, b) => a - b),
    seen,
    'in order of next run',
  );
  const page2 = await service.list({ count: '5', offset: '5' });
  assert.deepEqual(
    page2.tasks.map((t) => t.run_nexttime),
    seen.slice(5, 10),
  );
});

test('clear and pause --all reach every shard', async () => {
  for (let i = 0; i < 12; i++) await service.add(ticker());
  assert.equal(await service.pauses.pauseAll(), 12);
  assert.equal((await store.tasks.counts()).paused, 12);
  assert.equal(await service.clear(), 12);
  assert.equal(await service.count(), 0);
});

test('the fleet records its shard count; a conf.ini with another is refused, naming both and the key', async () => {
  assert.equal(await redis.client.hget(storeKeys(config.keys).fleet, 'shards'), '6');
  const other = await open(configWith(3, `sh${n}`));
  try {
    await assert.rejects(other.checkFleet(), (e: unknown) => {
      assert.ok(e instanceof KtimerError && e.code === 'fleet');
      assert.match(e.message, /has 6 shards, but .* says \[redis\] shards = 3/);
      return true;
    });
  } finally {
    await other.close();
  }
});

test('one shard: the layout of before, nothing recorded beside the name', async () => {
  const one = configWith(1, `sh1x${n}`);
  const s = await open(one);
  try {
    await s.checkFleet();
    const keys = storeKeys(one.keys);
    assert.deepEqual(await redis.client.hgetall(keys.fleet), { name: 'default' });
    const svc = openServices({
      config: one,
      store: async () => s,
      onChange: () => {},
      actor: () => ({ via: 'cli', user: 'test', host: 'test', reason: '' }),
      warn: () => {},
    }).tasks;
    const { kid } = (await svc.add(ticker('solo'))).task;
    assert.equal(await redis.client.hexists(keys.pool, kid), 1);
    assert.equal(await redis.client.hget(keys.names, 'solo'), kid);
    // A fleet made with one shard refuses a conf.ini that says more: its tasks are on the home keys.
    const six = await open(configWith(6, `sh1x${n}`));
    await assert.rejects(six.checkFleet(), /has 1 shard, but/);
    await six.close();
  } finally {
    await s.close();
  }
});

test('fires over every shard: claimed, begun and finished each on its shard; runs and the live feed merge the streams', async () => {
  const feed = store.runFeed();
  const from = await feed.latestId();
  const nowSec = Math.floor((await store.serverTimeMs()) / 1000);
  const kids: string[] = [];
  for (let i = 0; i < 18; i++)
    kids.push((await service.add({ type: 'timer', time: '1', command: 'true', name: `r${i}` })).task.kid);
  const nowMs = (nowSec + 5) * 1000;
  const { fired, recorded } = await claimBeginFinish(store.fires, {
    nowMs,
    room: 50,
    endingOf: (f) => endingOf(f, { startedMs: nowMs }),
  });
  assert.equal(fired.length, 18);
  assert.ok(recorded.every(Boolean), 'each finished on its own shard');
  assert.equal(new Set(kids.map((k) => shardOf(k, K))).size, K);
  const runs = await store.history.runs({ sinceMs: null, count: 100, failedOnly: false });
  assert.deepEqual(runs.map((r) => r.kid).sort(), [...kids].sort());
  const fed = await feed.after(from, 100);
  assert.deepEqual(fed.map((r) => r.run.kid).sort(), [...kids].sort());
  assert.deepEqual(await feed.after(fed.at(-1)!.id, 10), [], 'the cursor goes on from every shard');
  // A timer that fired is gone; its history by name still leads to it, on its shard.
  const [kid3] = kids.slice(3);
  assert.equal(await store.tasks.historyKidOfName('r3'), kid3);
  assert.equal((await store.history.ofTask(kid3!, 10)).length, 1);
  feed.close();
});

test("a claim over every shard never hands out more than its room, and one shard's due tasks get the room the others left", async () => {
  const nowSec = Math.floor((await store.serverTimeMs()) / 1000);
  // Four shell timers, all due, on one shard only (names drawn until one lands on the last shard).
  const last = K - 1;
  let made = 0;
  for (let i = 0; made < 4; i++) {
    const name = `only${i}`;
    if (shardOf(store.tasks.newKid(name), K) !== last) continue;
    await service.add({ type: 'timer', time: '1', command: 'true', name });
    made++;
  }
  const claim = (maxShell: number) =>
    store.fires.claim({
      nowMs: (nowSec + 5) * 1000,
      owner: 'A',
      leaseMs: 5000,
      maxShell,
      maxUrl: 0,
      expireLimitSec: 0,
    });
  // Room 3 over 6 shards: the last shard's even part is 0, yet it gets the 3 the others left.
  const first = await claim(3);
  const fired = first.entries.filter((e) => e.kind === 'fire');
  assert.equal(fired.length, 3, 'the room, no more, no less');
  assert.equal(first.dueLeft, 'room', 'the fourth waits for room');
  const second = await claim(8);
  assert.equal(second.entries.filter((e) => e.kind === 'fire').length, 1);
  assert.equal(second.dueLeft, null);
});

test('the shard lease fences a claim: a shard held by another is refused, its tasks left to its holder; K = 1 reads no lease', async () => {
  const nowSec = Math.floor((await store.serverTimeMs()) / 1000);
  const kids: string[] = [];
  for (let i = 0; kids.length < 12; i++)
    kids.push((await service.add({ type: 'timer', time: '1', command: 'true', name: `fence${i}` })).task.kid);
  const onShard = (s: number) => kids.filter((k) => shardOf(k, K) === s).length;
  // A held shard 1 and 2; meanwhile (a pause past its lease) B took shard 2.
  assert.equal(await store.shards.keep(1, 'A', 5000, true), true);
  assert.equal(await store.shards.keep(2, 'B', 5000, true), true);
  const claim = (owner: string, shards: number[]) =>
    store.shards.claimOn(
      shards,
      { nowMs: (nowSec + 5) * 1000, owner, leaseMs: 5000, maxShell: 50, maxUrl: 0, expireLimitSec: 0 },
      new Set(shards),
    );
  const a = await claim('A', [1, 2]);
  assert.deepEqual(a.refused, [2], 'refused where another holds the lease');
  assert.equal(a.entries.length, onShard(1), "only the held shard's tasks");
  const b = await claim('B', [2]);
  assert.deepEqual(b.refused, []);
  assert.equal(b.entries.length, onShard(2), 'left to their holder, each claimed once');
  // A lease that ran out and nobody took: refused too (the claimer holds nothing).
  assert.deepEqual((await claim('C', [3])).refused, [3]);
  // One shard: the claim asks no fence, so claim.lua reads no lease key.
  const single = configWith(1, `shfence${n}`);
  const s1 = await open(single);
  try {
    await redis.client.config('RESETSTAT');
    await s1.shards.claimOn(
      [0],
      {
        nowMs: nowSec * 1000,
        owner: 'A',
        leaseMs: 5000,
        maxShell: 5,
        maxUrl: 0,
        expireLimitSec: 0,
        polling: true,
      },
      new Set([0]),
    );
    const stats = await redis.client.info('commandstats');
    assert.match(stats, /cmdstat_(?:fcall|evalsha|eval):calls=1,/, 'one claim');
    // The poller's role is one SET ... GET (include/claim-left.lua), no GET: a GET is the lease's.
    assert.doesNotMatch(stats, /cmdstat_get:/, 'no lease read');
  } finally {
    await s1.close();
  }
});

test("the keeper's look at the leases runs while a claim's fires are handed out: the next claim waits for it, not this one", async () => {
  let clock = (await store.serverTimeMs()) + 10_000;
  let live: Promise<number> = Promise.resolve(1);
  const keeper = new ShardKeeper({
    shards: store.shards,
    owner: 'A',
    labels: [],
    liveDaemons: () => live,
    nowMs: () => clock,
  });
  const req = () => ({ nowMs: clock, owner: 'A', leaseMs: 5000, maxShell: 5, maxUrl: 0, expireLimitSec: 0 });
  await keeper.claim(req());
  assert.deepEqual(
    keeper.held(),
    [0, 1, 2, 3, 4, 5],
    'the first claim looked first: every shard, one daemon alive',
  );
  // The next look hangs on the fleet's count until `open`.
  let open = () => {};
  live = new Promise((resolve) => (open = () => resolve(1)));
  const within = (p: Promise<unknown>, ms: number) =>
    Promise.race([
      p.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms)),
    ]);
  clock += SHARD_TICK_MS;
  assert.equal(
    await within(keeper.claim(req()), 2000),
    true,
    "a claim's reply is not held by the look it starts",
  );
  clock += 10;
  const next = keeper.claim(req());
  assert.equal(await within(next, 200), false, 'the next claim waits for that look');
  open();
  assert.equal(await within(next, 2000), true);
  await keeper.leave();
});

test('a shard without room in a claim is skipped while its last claim, under a second ago, left nothing due', async () => {
  const nowSec = Math.floor((await store.serverTimeMs()) / 1000);
  const claim = (atMs: number) =>
    store.fires.claim({ nowMs: atMs, owner: 'A', leaseMs: 5000, maxShell: 1, maxUrl: 0, expireLimitSec: 0 });
  const claims = async () =>
    Number(/cmdstat_(?:fcall|evalsha):calls=(\d+)/.exec(await redis.client.info('commandstats'))?.[1] ?? 0);
  // Room 1 over 6 shards: shard 0 has it, the 5 others a part of none.
  const t0 = (nowSec + 10) * 1000;
  await claim(t0);
  await redis.client.config('RESETSTAT');
  await claim(t0 + 100);
  assert.equal(await claims(), 1, 'only the shard with the room: the 5 others were quiet');
  // A timer due on the last shard, added since: its claim of t0 stands for it under a second.
  let name = '';
  for (let i = 0; name === '' || shardOf(store.tasks.newKid(name), K) !== K - 1; i++) name = `quiet${i}`;
  await service.add({ type: 'timer', time: '1', command: 'true', name });
  assert.equal((await claim(t0 + 900)).entries.length, 0, 'not claimed under a second on');
  await redis.client.config('RESETSTAT');
  const later = await claim(t0 + 1000);
  assert.equal(later.entries.filter((e) => e.kind === 'fire').length, 1, 'a second on, it is claimed');
  assert.equal(await claims(), K + 1, 'every shard, then the last one again with the room left');
});

test('task_max_num counts every shard', async () => {
  const small = configWith(K, `shmax${n}`, ['task_max_num = 5']);
  const s = await open(small);
  try {
    for (let i = 0; i < 5; i++) await s.tasks.add(s.tasks.newKid(), { ...storedTimer() }, 5);
    assert.equal(await s.tasks.add(s.tasks.newKid(), storedTimer(), 5), 'full');
    assert.equal(await s.tasks.count(), 5);
  } finally {
    await s.close();
  }
});

test("apply writes a group over every shard, each part under its shard's lock; a second apply changes nothing", async () => {
  const tasks = Array.from(
    { length: 12 },
    (_, i) => `  a${i}: {type: ticker, time: 300, command: "echo ${i}"}`,
  );
  const text = `group: g\ntasks:\n${tasks.join('\n')}\n`;
  const first = await service.jobs.apply(text, 'g.yaml', {});
  assert.equal(first.plan.add.length, 12);
  assert.equal(await service.count(), 12);
  const again = await service.jobs.apply(text, 'g.yaml', {});
  assert.equal(again.plan.unchanged.length, 12);
  const kids = await store.tasks.kidsOfNames(tasks.map((_, i) => `a${i}`));
  assert.ok(kids.every((k, i) => k !== null && shardOf(k, K) === shardOf(`a${i}`, K)));
  const keys = shardKeys();
  for (const k of keys) assert.equal(await redis.client.exists(`${k.applyLock}g`), 0, 'every lock let go');
});

test('a rename to a name of another shard: the name lives with its task, found from every shard, and stays unique', async () => {
  const { kid } = (await service.add(ticker('base'))).task;
  const names = Array.from({ length: 40 }, (_, i) => `n${i}`);
  const far = names.find((x) => shardOf(x, K) !== shardOf(kid, K))!;
  assert.equal((await service.update(kid, { name: far })).name, far);
  assert.equal((await service.get(far)).kid, kid, "found by name on the kid's shard");
  await assert.rejects(
    service.add(ticker(far)),
    (e: unknown) => e instanceof KtimerError && e.code === 'exists',
  );
  const other = (await service.add(ticker('other'))).task.kid;
  await assert.rejects(
    service.update(other, { name: far }),
    (e: unknown) => e instanceof KtimerError && e.code === 'exists',
  );
  assert.equal(await service.count(), 2);
});

test('reshard 1 -> 6 -> 1 keeps tasks, names, paused state, groups, history and last runs', async () => {
  const prefix = `shre${n}`;
  const one = await open(configWith(1, prefix));
  await one.checkFleet();
  const svc1 = openServices({
    config: configWith(1, prefix),
    store: async () => one,
    onChange: () => {},
    actor: () => ({ via: 'cli', user: 'test', host: 'test', reason: '' }),
    warn: () => {},
  }).tasks;
  const nowSec = Math.floor((await one.serverTimeMs()) / 1000);
  for (let i = 0; i < 20; i++)
    await svc1.add({ ...ticker(`re${i}`), time: '1', group: i % 2 ? 'odd' : 'even' });
  await svc1.pauses.pause(['re0', 're1']);
  const nowMs = (nowSec + 3) * 1000;
  const { fired } = await claimBeginFinish(one.fires, {
    nowMs,
    room: 50,
    endingOf: (f) => endingOf(f, { startedMs: nowMs }),
  });
  assert.equal(fired.length, 18, 'the unpaused ones ran once');
  const before = await svc1.list({ count: '100' });
  const kidOf = async (s: Store, name: string) => (await s.tasks.kidsOfNames([name]))[0];
  const kid5 = await kidOf(one, 're5');
  const history5 = (await one.history.ofTask(kid5!, 10)).length;
  assert.ok(history5 >= 1);
  const runs = (await one.history.runs({ sinceMs: null, count: 100, failedOnly: false })).length;

  const toSix = one.resharder(K);
  assert.deepEqual(await toSix.count(), { from: 1, to: 6, tasks: 20, moving: (await toSix.count()).moving });
  assert.ok((await toSix.count()).moving >= 10);
  await toSix.run();
  await one.fleet.recordShards(K);
  await one.close();

  const six = await open(configWith(K, prefix));
  await six.checkFleet();
  assert.equal(await six.tasks.count(), 20);
  assert.equal((await six.tasks.counts()).paused, 2);
  assert.equal(await kidOf(six, 're5'), kid5);
  assert.equal((await six.history.ofTask(kid5!, 10)).length, history5, 'its history moved with it');
  assert.equal((await six.tasks.lastRuns([kid5!]))[0]?.kid, kid5);
  assert.equal((await six.tasks.groupKids('odd')).length, 10);
  assert.equal((await six.history.runs({ sinceMs: null, count: 100, failedOnly: false })).length, runs);
  const svc6 = openServices({
    config: configWith(K, prefix),
    store: async () => six,
    onChange: () => {},
    actor: () => ({ via: 'cli', user: 'test', host: 'test', reason: '' }),
    warn: () => {},
  }).tasks;
  const after = await svc6.list({ count: '100' });
  const rows = (l: typeof after) => l.tasks.map((t) => `${t.kid} ${t.run_nexttime}`);
  assert.deepEqual(rows(after), rows(before), 'the schedule as it was, paused tasks last');
  await assert.rejects(svc6.add(ticker('re7')), /re7/, 'names still unique');

  await six.resharder(1).run();
  await six.fleet.recordShards(1);
  await six.close();
  const back = await open(configWith(1, prefix));
  await back.checkFleet();
  assert.equal(await back.tasks.count(), 20);
  assert.equal((await back.history.ofTask(kid5!, 10)).length, history5);
  assert.deepEqual(await redis.client.hgetall(storeKeys(configWith(1, prefix).keys).fleet), {
    name: 'default',
  });
  await back.close();
});

test('a run by hand on any shard sees the daemons alive on the home keys, and their labels', async () => {
  const nowMs = await store.serverTimeMs();
  const plain: string[] = [];
  for (let i = 0; i < 12; i++) plain.push((await service.add(ticker())).task.kid);
  const gpu = (await service.add({ ...ticker(), on: 'gpu' })).task.kid;
  assert.equal(new Set(plain.map((k) => shardOf(k, K))).size > 1, true);
  const liveAfter = nowMs - 5000;
  assert.deepEqual(await store.tasks.runNow(plain[0]!, nowMs, liveAfter), { how: 'no_daemon', labels: [] });
  const daemon = {
    name: 'a',
    host: 'a',
    pid: 1,
    labels: ['host:a'],
    version: 'x',
    started_ms: nowMs,
    last_claim_ms: null,
    running: 0,
    settings: { task: '', notify: '' },
  };
  await store.fleet.beat('a:1:x', daemon, nowMs);
  for (const kid of plain)
    assert.equal(((await store.tasks.runNow(kid, nowMs, liveAfter)) as { how: string }).how, 'fire');
  assert.deepEqual(await store.tasks.runNow(gpu, nowMs, liveAfter), { how: 'no_daemon', labels: ['gpu'] });
  await store.fleet.beat('b:1:x', { ...daemon, name: 'b', labels: ['gpu', 'host:b'] }, nowMs);
  assert.equal(((await store.tasks.runNow(gpu, nowMs, liveAfter)) as { how: string }).how, 'fire');
  assert.deepEqual(
    (await store.fleet.labelSets()).map((l) => [l.labels.join(','), l.scheduled]),
    [['gpu', 1]],
    'label sets read from every shard',
  );
});
