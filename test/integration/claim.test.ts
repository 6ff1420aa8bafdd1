// The claim/begin/finish scripts against a real Redis: each fire goes to one daemon, leases
// are taken over when they run out, timers expire, corrupt data is removed.
import { decodeRunRecord, decodeRunsEntry } from '../../src/store/run-record.js';
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import type { StoreKeys } from '../../src/store/keys.js';
import type { ClaimEntry, ClaimRequest, Fire, FireStore, TaskStore } from '../../src/store/open-store.js';
import { CRON_AHEAD, CRON_LOW_WATER, firstSchedule, refillCron } from '../../src/tasks/schedule.js';
import { decodeTask, type Task } from '../../src/tasks/task.js';
import { CLAIM_AHEAD_MS, POLLER_MS } from '../../src/runs/fire.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';
import { storedTask, storeTasks } from '../helpers/stored-tasks.js';
import {
  endedRun,
  endingOf,
  fireStoresByOwner,
  historyRules,
  storesOn,
  testKeys,
} from '../helpers/stores.js';

const redis = usePrivateRedis();
let keys: StoreKeys;
let tasks: TaskStore;
/** One fire store per daemon (owner): each keeps its own started fires. */
let n = 0;

const T0 = 1_800_000_000_000; // a fixed "now" in unix ms: the scripts take time as an argument

/** A run of `fire` that ended well, as its daemon tells finish.lua. */
const runOf = (fire: Fire) => endedRun(fire, endingOf(fire, { startedMs: fire.dueMs, durationMs: 10 }));

beforeEach(() => {
  n++;
  keys = testKeys(`c${n}`);
  tasks = storesOn(redis.client, keys).tasks;
  ownerStores.reset();
});

/** One fire store per daemon (owner). */
const ownerStores = fireStoresByOwner(
  () => redis.client,
  () => keys,
);
const fires = (owner: string): FireStore => ownerStores.of(owner);

const begin = (nowMs: number, owner: string, keepMs: number, batch: { id: string; token: string }[]) =>
  fires(owner).begin({ nowMs, owner, keepMs, fires: batch });

const task = (over: Partial<Task> = {}): Task =>
  storedTask({ command: 'echo hi', run_nexttime: T0 / 1000, ...over });

/** The claimed fires of a reply, for begin(). */
const firesOf = (reply: Awaited<ReturnType<FireStore['claim']>>) =>
  reply.entries.flatMap((e) => (e.kind === 'fire' ? [e.fire] : []));

const claim = (over: Partial<Omit<ClaimRequest, 'history'>> = {}) => {
  const req = {
    nowMs: T0,
    owner: 'A',
    leaseMs: 5000,
    maxShell: 100,
    maxUrl: 100,
    expireLimitSec: 60,
    ...over,
  };
  return fires(req.owner).claim(req);
};

/** Which runs finish put on record. */
const recorded = (done: { recorded: boolean }[]): boolean[] => done.map((d) => d.recorded);

test('a due timer is claimed once and removed from hash and schedule', async () => {
  await tasks.add('k1', task(), 100);
  const first = await claim();
  assert.equal(first.entries.length, 1);
  const entry = first.entries[0];
  assert.equal(entry?.kind, 'fire');
  if (entry?.kind !== 'fire') return;
  assert.equal(entry.fire.kid, 'k1');
  assert.equal(entry.fire.id, 'k1:1');
  assert.equal(entry.fire.dueMs, T0);
  assert.equal(await redis.client.hlen(keys.pool), 0);
  assert.equal(await redis.client.zcard(keys.schedule), 0);
  const second = await claim({ owner: 'B' });
  assert.equal(second.entries.length, 0);
});

test('a task not yet due is not claimed, and its due time is reported', async () => {
  await tasks.add('k1', task({ run_nexttime: (T0 + 1500) / 1000 }), 100);
  const res = await claim();
  assert.equal(res.entries.length, 0);
  assert.equal(res.nextDueMs, T0 + 1500);
  const later = await claim({ nowMs: T0 + 1499 });
  assert.equal(later.entries.length, 0, 'never early, not even by a millisecond');
  const due = await claim({ nowMs: T0 + 1500 });
  assert.equal(due.entries.length, 1);
});

test('a ticker is rescheduled on its grid (due + time, not from the claim) and removed at its limit', async () => {
  await tasks.add('t', task({ type: 'ticker', time: 10, limit: 2 }), 100);
  const one = await claim({ nowMs: T0 + 300 });
  assert.equal(one.entries.length, 1);
  assert.deepEqual(await begin(T0 + 300, 'A', 60_000, firesOf(one)), [true]);
  const stored = await tasks.get('t');
  assert.equal(stored?.task.run_num, 1);
  assert.equal(stored?.task.run_lasttime, (T0 + 300) / 1000);
  assert.equal(stored?.task.run_nexttime, (T0 + 10_000) / 1000, 'a late claim does not move the grid');
  assert.equal(Number(await redis.client.zscore(keys.schedule, 't')), (T0 + 10_000) / 1000);
  const two = await claim({ nowMs: T0 + 10_000 });
  assert.equal(two.entries.length, 1);
  assert.equal(await tasks.get('t'), null, 'removed after its 2nd fire');
  assert.equal(await redis.client.zcard(keys.schedule), 0);
});

test('a claim takes what is due within aheadMs: a ticker moves on from its due, nothing missed, the rest after the horizon (issue 28)', async () => {
  const due = T0 + CLAIM_AHEAD_MS - 1;
  await tasks.add('t', task({ type: 'ticker', time: 0.002, limit: 0, run_nexttime: due / 1000 }), 100);
  await tasks.add('late', task({ run_nexttime: (T0 + CLAIM_AHEAD_MS + 1) / 1000 }), 100);
  const res = await claim({ nowMs: T0, aheadMs: CLAIM_AHEAD_MS, beginKeepMs: 60_000 });
  const fired = firesOf(res);
  // Due at T0 + 3 (a fire) and its next slot, T0 + 5, beyond the horizon T0 + 4: one fire.
  assert.deepEqual(
    fired.map((f) => [f.id, f.dueMs, f.state]),
    [['t:1', due, 'started']],
  );
  assert.equal(
    res.entries.filter((e) => e.kind === 'missed').length,
    0,
    'a task claimed ahead missed nothing',
  );
  assert.equal(await redis.client.xlen(keys.runs), 0, 'no missed record');
  const stored = await tasks.get('t');
  assert.equal(
    stored?.task.run_nexttime,
    (due + 2) / 1000,
    'its next slot is a period after its due, not after now',
  );
  assert.equal(stored?.task.run_lasttime, due / 1000, 'it runs at its due time');
  assert.equal(res.nextDueMs, due + 2, 'the next claim: the earliest due time after the horizon');
  const none = await claim({ nowMs: T0, owner: 'B' });
  assert.equal(firesOf(none).length, 0, 'without aheadMs, nothing due after now is claimed');
});

test('a 1-second ticker claimed late each time stays on its grid: run n is due at first + (n - 1) s', async () => {
  await tasks.add('t', task({ type: 'ticker', time: 1, limit: 0, run_nexttime: (T0 + 123) / 1000 }), 100);
  const dues: number[] = [];
  for (let n = 0; n < 1000; n++) {
    // Every claim 1 to 7 ms late: a drift of a few ms per run would show after 1,000.
    const nowMs = T0 + 123 + n * 1000 + 1 + (n % 7);
    const fired = firesOf(await claim({ nowMs }));
    await begin(nowMs, 'A', 60_000, fired);
    dues.push(...fired.map((f) => f.dueMs / 1000));
  }
  assert.equal(dues.length, 1000);
  assert.equal(dues[999], (T0 + 123 + 999_000) / 1000, 'the last is due at exactly first + 999 s');
  assert.equal((await tasks.get('t'))?.task.run_nexttime, (T0 + 123 + 1_000_000) / 1000);
});

test('misfire once (the default): an overdue ticker fires once, the runs between are reported, the grid goes on', async () => {
  await tasks.add('t', task({ type: 'ticker', time: 1, limit: 0 }), 100);
  const res = await claim({ nowMs: T0 + 3_600_500 });
  assert.deepEqual(
    firesOf(res).map((f) => f.dueMs / 1000),
    [T0 / 1000],
  );
  const missed = res.entries.find((e) => e.kind === 'missed');
  assert.deepEqual(missed, {
    kind: 'missed',
    kid: 't',
    policy: 'once',
    count: 3600,
    firstDueMs: T0 + 1000,
    nextDueMs: T0 + 3_601_000,
  });
  assert.equal((await tasks.get('t'))?.task.run_nexttime, (T0 + 3_601_000) / 1000, 'the next slot after now');
});

test('missed runs are on record, one missed record per gap with its count and span, in history and runs', async () => {
  await tasks.add('t', task({ type: 'ticker', time: 10, limit: 0 }), 100);
  await tasks.add('s', task({ type: 'ticker', time: 10, limit: 0, misfire: 'skip' }), 100);
  const res = await claim({ nowMs: T0 + 35_000 });
  assert.deepEqual(
    firesOf(res).map((f) => f.kid),
    ['t'],
  );
  const once = decodeRunRecord('t', await redis.client.lindex(`${keys.history}t`, 0), 't');
  assert.deepEqual(
    [once.result, once.ok, once.missed, once.due, once.last_due, once.error],
    ['missed', false, 3, (T0 + 10_000) / 1000, (T0 + 30_000) / 1000, 'misfire=once'],
    'once: the runs after the one fired, from the first to the last due',
  );
  const skip = decodeRunRecord('s', await redis.client.lindex(`${keys.history}s`, 0), 's');
  assert.deepEqual(
    [skip.result, skip.missed, skip.due, skip.last_due],
    ['missed', 4, T0 / 1000, (T0 + 30_000) / 1000],
  );
  assert.equal(await redis.client.llen(`${keys.history}s`), 1, 'one record for the whole gap');
  const stream = await redis.client.xrange(keys.runs, '-', '+');
  const missed = stream.map(([, f]) => decodeRunsEntry('runs', f)).filter((r) => r.result === 'missed');
  assert.deepEqual(missed.map((r) => [r.kid, r.missed, r.due, r.last_due]).sort(), [
    ['s', 4, T0 / 1000, (T0 + 30_000) / 1000],
    ['t', 3, (T0 + 10_000) / 1000, (T0 + 30_000) / 1000],
  ]);
  // A claim in time misses nothing: no record more.
  await claim({ nowMs: T0 + 40_001 });
  assert.equal(await redis.client.llen(`${keys.history}s`), 1);
});

test('misfire skip: an overdue ticker fires nothing and waits for its next slot; a timely one fires', async () => {
  await tasks.add('t', task({ type: 'ticker', time: 10, limit: 0, misfire: 'skip' }), 100);
  const late = await claim({ nowMs: T0 + 25_000 });
  assert.deepEqual(firesOf(late), []);
  assert.equal(late.entries.find((e) => e.kind === 'missed' && e.count === 3)?.kind, 'missed');
  assert.equal((await tasks.get('t'))?.task.run_nexttime, (T0 + 30_000) / 1000);
  assert.equal((await tasks.get('t'))?.task.run_num, 0, 'a skipped run does not count');
  const timely = await claim({ nowMs: T0 + 30_004 });
  assert.deepEqual(
    firesOf(timely).map((f) => f.dueMs / 1000),
    [(T0 + 30_000) / 1000],
  );
});

test('misfire all: every missed slot fires, in order, at most the latest 100', async () => {
  await tasks.add('a', task({ type: 'ticker', time: 1, limit: 0, misfire: 'all' }), 100);
  const res = await claim({ nowMs: T0 + 4_500 });
  assert.deepEqual(
    firesOf(res).map((f) => f.dueMs - T0),
    [0, 1000, 2000, 3000, 4000],
  );
  assert.equal((await tasks.get('a'))?.task.run_nexttime, (T0 + 5000) / 1000);
  await tasks.add('b', task({ type: 'ticker', time: 1, limit: 0, misfire: 'all' }), 100);
  const long = await claim({ nowMs: T0 + 5000 + 150_000, maxShell: 1000 });
  const dues = firesOf(long)
    .filter((f) => f.kid === 'b')
    .map((f) => f.dueMs - T0);
  assert.equal(dues.length, 100);
  assert.deepEqual([dues[0], dues[99]], [56_000, 155_000], 'the latest 100 of 156');
  const missed = long.entries.find((e) => e.kind === 'missed' && e.kid === 'b');
  assert.ok(missed?.kind === 'missed' && missed.count === 56 && missed.firstDueMs === T0);
});

test('a timer overdue beyond task_expire_limit is dropped; 0 never drops', async () => {
  await tasks.add('old', task(), 100);
  await tasks.add('fresh', task({ run_nexttime: (T0 + 30_000) / 1000 }), 100);
  const res = await claim({ nowMs: T0 + 61_000 });
  const kinds = res.entries
    .map((e) => `${e.kind}:${'kid' in e ? e.kid : e.kind === 'fire' ? e.fire.kid : '?'}`)
    .sort();
  assert.deepEqual(kinds, ['expired:old', 'fire:fresh']);
  assert.equal(await redis.client.hlen(keys.pool), 0);
  await tasks.add('older', task(), 100);
  const keep = await claim({ nowMs: T0 + 86_400_000, expireLimitSec: 0 });
  assert.equal(keep.entries[0]?.kind, 'fire');
});

test('corrupt task JSON is removed and reported, and does not block the others', async () => {
  await redis.client.hset(keys.pool, 'bad', '{not json');
  await redis.client.zadd(keys.schedule, T0 / 1000, 'bad');
  await redis.client.hset(keys.pool, 'worse', JSON.stringify({ type: 'weird', time: 1, command: 'x' }));
  await redis.client.zadd(keys.schedule, T0 / 1000, 'worse');
  await tasks.add('good', task(), 100);
  const res = await claim();
  const kinds = res.entries.map((e) => e.kind).sort();
  assert.deepEqual(kinds, ['corrupt', 'corrupt', 'fire']);
  assert.equal(await redis.client.hlen(keys.pool), 0);
  assert.equal(await redis.client.zcard(keys.schedule), 0);
});

test('a schedule entry without its task is dropped silently', async () => {
  await redis.client.zadd(keys.schedule, T0 / 1000, 'ghost');
  const res = await claim();
  assert.equal(res.entries.length, 0);
  assert.equal(await redis.client.zcard(keys.schedule), 0);
});

test('room per kind: URL and shell fires are counted apart; the rest stays scheduled', async () => {
  for (let i = 0; i < 3; i++) await tasks.add(`s${i}`, task(), 100);
  for (let i = 0; i < 3; i++) await tasks.add(`u${i}`, task({ command: 'http://127.0.0.1:1/x' }), 100);
  const res = await claim({ maxShell: 1, maxUrl: 2 });
  const fired = res.entries.flatMap((e) => (e.kind === 'fire' ? [e.fire.kid[0]] : []));
  assert.equal(fired.filter((k) => k === 's').length, 1);
  assert.equal(fired.filter((k) => k === 'u').length, 2);
  assert.equal(await redis.client.zcard(keys.schedule), 3);
  assert.equal(res.nextDueMs, T0, 'what is left is due now');
});

test('a claim passes over at most maxSkip due tasks of a full kind to reach the other kind', async () => {
  // 300 shell tasks due first, one URL task due behind them; room for shell runs out at once.
  await storeTasks(redis.client, keys, [
    ...Array.from({ length: 300 }, (_, i) => [`s${i}`, task({ run_nexttime: T0 / 1000 - 10 })] as const),
    ['u', task({ command: 'https://127.0.0.1:1/x', run_nexttime: T0 / 1000 - 1 })] as const,
  ]);
  const kinds = (res: Awaited<ReturnType<typeof claim>>) => firesOf(res).map((f) => f.kid[0]);
  // Two shell tasks claimed, 298 left in front of the URL task: passing over 297 is not enough.
  assert.deepEqual(kinds(await claim({ maxShell: 2, maxUrl: 10, maxSkip: 297 })), ['s', 's']);
  assert.equal(await redis.client.zscore(keys.schedule, 'u'), String(T0 / 1000 - 1), 'not reached');
  assert.deepEqual(kinds(await claim({ maxShell: 0, maxUrl: 10, maxSkip: 298 })), ['u']);
  assert.equal(await redis.client.zcard(keys.schedule), 298, 'the shell tasks passed over stay');
  assert.equal((await claim({ maxShell: 0, maxUrl: 10, maxSkip: 0 })).entries.length, 0);
});

test('a URL ticker rescheduled by a claim (its JSON rewritten by Redis) is still known as a URL task', async () => {
  await tasks.add('t', task({ type: 'ticker', time: 1, limit: 0, command: 'http://127.0.0.1:1/x' }), 100);
  await tasks.add('s', task({ run_nexttime: T0 / 1000 + 0.5 }), 100);
  assert.equal(firesOf(await claim()).length, 1);
  assert.match((await redis.client.hget(keys.pool, 't')) ?? '', /http:\\\/\\\//, 'cjson escapes the slashes');
  // One second on: the shell task comes first and has no room, the URL ticker behind it has.
  const res = await claim({ nowMs: T0 + 1000, maxShell: 0, maxUrl: 1, maxSkip: 1 });
  assert.deepEqual(
    firesOf(res).map((f) => f.kid),
    ['t'],
  );
});

test('a ticker whose interval is not above 0 is corrupt: removed and reported, not fired in a loop', async () => {
  await redis.client.hset(keys.pool, 'z', JSON.stringify(task({ type: 'ticker', time: 0, limit: 0 })));
  await redis.client.zadd(keys.schedule, T0 / 1000, 'z');
  const res = await claim();
  assert.deepEqual(
    res.entries.map((e) => e.kind),
    ['corrupt'],
  );
  assert.equal(await redis.client.zcard(keys.schedule), 0);
});

test('only the lease holder may begin; begin again by the holder succeeds', async () => {
  await tasks.add('k', task(), 100);
  const held = firesOf(await claim({ owner: 'A' }));
  assert.deepEqual(await begin(T0, 'B', 60_000, held), [false]);
  assert.deepEqual(await begin(T0, 'A', 60_000, [{ id: 'k:1', token: 'forged' }]), [false]);
  assert.deepEqual(await begin(T0, 'A', 60_000, held), [true]);
  assert.deepEqual(await begin(T0, 'A', 60_000, held), [true], 'a lost reply can be retried');
  assert.deepEqual(await begin(T0, 'A', 60_000, [{ id: 'nope:1', token: 'x' }]), [false]);
});

test('a lease that runs out is taken over by another daemon, and the old holder cannot begin it', async () => {
  await tasks.add('k', task(), 100);
  const first = firesOf(await claim({ owner: 'A' }));
  const early = await claim({ owner: 'B', nowMs: T0 + 4999 });
  assert.equal(early.entries.length, 0, 'the lease still holds');
  assert.equal(early.nextDueMs, T0 + 5000, 'the lease deadline is when to look again');
  const taken = await claim({ owner: 'B', nowMs: T0 + 5000 });
  assert.equal(taken.entries.length, 1);
  const entry = taken.entries[0];
  assert.ok(entry?.kind === 'fire' && entry.fire.retaken_from === 'A' && entry.fire.owner === 'B');
  assert.deepEqual(await begin(T0 + 5001, 'A', 60_000, first), [false]);
  assert.deepEqual(await begin(T0 + 5001, 'B', 60_000, firesOf(taken)), [true]);
});

test('a fire claimed again by the same daemon is begun only through its newest lease', async () => {
  await tasks.add('k', task(), 100);
  const first = firesOf(await claim({ owner: 'A' }));
  const again = firesOf(await claim({ owner: 'A', nowMs: T0 + 5000 }));
  assert.equal(again[0]?.id, first[0]?.id);
  assert.notEqual(again[0]?.token, first[0]?.token);
  assert.deepEqual(await begin(T0 + 5001, 'A', 60_000, first), [false], 'the older lease is void');
  assert.deepEqual(await begin(T0 + 5001, 'A', 60_000, again), [true]);
});

test('a begun fire is never handed out again: its run is put on record, or recorded lost when its lease runs out', async () => {
  await tasks.add('k', task(), 100);
  await tasks.add('j', task(), 100);
  const A = 'host:42:ab'; // host:pid:tag, as a daemon names itself
  const both = firesOf(await claim({ owner: A }));
  assert.deepEqual(await begin(T0, A, 60_000, both), [true, true]);
  const byKid = (kid: string) => both.find((f) => f.kid === kid) as Fire;
  const [k, j] = [byKid('k'), byKid('j')];
  // A puts k on record; j's daemon "dies" before it ends.
  assert.deepEqual(recorded(await fires(A).finish({ owner: A, nowMs: T0 + 10, runs: [runOf(k)] })), [true]);
  assert.equal(await redis.client.hexists(keys.fires, k.id), 0);
  const early = await claim({ owner: 'B', nowMs: T0 + 59_999 });
  assert.deepEqual(early.entries, [], 'the lease of a begun fire holds');
  const later = await claim({ owner: 'B', nowMs: T0 + 60_000 });
  assert.deepEqual(
    later.entries.map((e) => (e.kind === 'lost' ? `lost:${e.record.fire_id}` : e.kind)),
    [`lost:${j.id}`],
  );
  assert.equal(await redis.client.hlen(keys.fires), 0);
  assert.equal(await redis.client.zcard(keys.leases), 0);
  const lost = decodeRunRecord('test', await redis.client.lindex(`${keys.history}j`, 0), 'j');
  assert.equal(lost.result, 'lost');
  assert.equal(lost.host, 'host', 'from the owner host:pid:tag');
  assert.equal(lost.pid, 42);
});

test('finish records only the runs whose lease its owner holds, and each only once', async () => {
  await tasks.add('k', task(), 100);
  const [k] = firesOf(await claim({ owner: 'A' })) as [Fire];
  await begin(T0, 'A', 60_000, [k]);
  const run = runOf(k);
  assert.deepEqual(recorded(await fires('B').finish({ owner: 'B', nowMs: T0, runs: [run] })), [false]);
  assert.deepEqual(
    recorded(
      await fires('A').finish({ owner: 'A', nowMs: T0, runs: [{ ...run, fire: { ...k, token: 'x' } }] }),
    ),
    [false],
  );
  assert.deepEqual(recorded(await fires('A').finish({ owner: 'A', nowMs: T0, runs: [run] })), [true]);
  assert.deepEqual(
    recorded(await fires('A').finish({ owner: 'A', nowMs: T0, runs: [run] })),
    [false],
    'a retried finish records nothing again',
  );
  assert.equal(await redis.client.llen(`${keys.history}k`), 1);
  assert.equal(await redis.client.xlen(keys.runs), 1);
});

test('a run twice in one finish is recorded once; the batch leaves the fires and the leases', async () => {
  for (const kid of ['k1', 'k2']) await tasks.add(kid, task(), 100);
  const claimed = firesOf(await claim({ owner: 'A' }));
  await begin(T0, 'A', 60_000, claimed);
  const [k1, k2] = claimed as [Fire, Fire];
  const runs = [runOf(k1), runOf(k2), runOf(k1)];
  assert.deepEqual(recorded(await fires('A').finish({ owner: 'A', nowMs: T0, runs })), [true, true, false]);
  assert.equal(await redis.client.llen(`${keys.history}k1`), 1);
  assert.equal(await redis.client.xlen(keys.runs), 2);
  assert.deepEqual([await redis.client.hlen(keys.fires), await redis.client.zcard(keys.leases)], [0, 0]);
});

test('concurrent claims by many owners hand each fire out once', async () => {
  for (let i = 0; i < 500; i++) await tasks.add(`k${i}`, task({ run_nexttime: (T0 - i) / 1000 }), 1000);
  const owners = ['A', 'B', 'C', 'D'];
  const replies = await Promise.all(
    Array.from({ length: 20 }, (_, i) => claim({ owner: owners[i % 4], maxShell: 40 })),
  );
  const kids = replies.flatMap((r) => r.entries.flatMap((e) => (e.kind === 'fire' ? [e.fire.kid] : [])));
  assert.equal(kids.length, 500);
  assert.equal(new Set(kids).size, 500);
});

/** A cron task as `add` stores it: its first run and the runs it carries, from `nowMs`. */
const cronTask = (cron: string, nowMs: number, over: Partial<Task> = {}): Task => {
  const spec = { type: 'cron' as const, time: 0, limit: 0, command: 'echo hi', cron, tz: 'UTC', ...over };
  return { ...spec, run_num: 0, run_lasttime: 0, ...firstSchedule(spec, 100, nowMs), ...over };
};

test('a cron task fires at the runs it carries, takes them in turn, and asks for more when low', async () => {
  await tasks.add('c', cronTask('* * * * * *', T0 - 500), 100); // every second: T0, T0+1 s, ...
  const stored = (await tasks.get('c'))?.task;
  assert.equal(stored?.run_nexttime, T0 / 1000);
  assert.equal(stored?.runs?.length, CRON_AHEAD);
  const dues: number[] = [];
  let refill: ClaimEntry | undefined;
  for (let s = 0; s <= CRON_AHEAD - CRON_LOW_WATER + 1 && !refill; s++) {
    const res = await claim({ nowMs: T0 + s * 1000 + 2 });
    await begin(T0 + s * 1000 + 2, 'A', 60_000, firesOf(res));
    dues.push(...firesOf(res).map((f) => f.dueMs - T0));
    refill = res.entries.find((e) => e.kind === 'refill');
  }
  // 10 carried: the 8th claim leaves 2, under the low water of 3.
  assert.deepEqual(dues, [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000]);
  assert.ok(refill?.kind === 'refill' && refill.kid === 'c');
  const asked = decodeTask('c', refill.raw);
  assert.equal(asked.runs?.length, CRON_LOW_WATER - 1);
  // The daemon's refill: computed from the task as the claim left it, written only if unchanged.
  const planned = refillCron(asked, T0 + 7002);
  assert.ok(planned);
  assert.equal(
    await tasks.refill([{ kid: 'c', expectedRaw: refill.raw, task: planned.task }], {
      owner: 'A',
      nowMs: T0,
    }),
    1,
  );
  assert.equal((await tasks.get('c'))?.task.runs?.length, CRON_AHEAD);
  assert.equal(
    await tasks.refill([{ kid: 'c', expectedRaw: refill.raw, task: planned.task }], {
      owner: 'A',
      nowMs: T0,
    }),
    0,
    'changed: not written again',
  );
});

test('a cron task whose runs are all past is parked (nothing fires) until its runs are computed; misfire once fires one', async () => {
  await tasks.add('c', cronTask('0 * * * * *', T0 - 1), 100); // every minute on the minute
  const downUntil = T0 + 3_600_000 + 30_000; // an hour down
  const parked = await claim({ nowMs: downUntil });
  assert.deepEqual(firesOf(parked), []);
  const ask = parked.entries.find((e) => e.kind === 'refill');
  assert.ok(ask?.kind === 'refill');
  const task = decodeTask('c', ask.raw);
  assert.equal(task.parked, (await tasks.get('c'))?.task.parked);
  assert.equal(task.run_nexttime, Math.floor(downUntil + 5000) / 1000, 'looked at again 5 s later');
  const again = await claim({ nowMs: downUntil + 5000 });
  assert.deepEqual(firesOf(again), [], 'still parked: nothing fires while its next run is unknown');
  assert.deepEqual(
    again.entries.find((e) => e.kind === 'refill'),
    { kind: 'refill', kid: 'c', raw: ask.raw },
    'asked again, with the same JSON: a refill computed meanwhile still applies',
  );
  assert.equal(Number(await redis.client.zscore(keys.schedule, 'c')), Math.floor(downUntil + 10_000) / 1000);
  const planned = refillCron(decodeTask('c', ask.raw), downUntil + 5000);
  assert.ok(planned?.missed && planned.missed.policy === 'once');
  assert.equal(
    await tasks.refill([{ kid: 'c', expectedRaw: ask.raw, task: planned.task }], { owner: 'A', nowMs: T0 }),
    1,
  );
  const one = await claim({ nowMs: downUntil + 5001 });
  const fired = firesOf(one).map((f) => f.dueMs / 1000);
  assert.equal(fired.length, 1, 'once: one run for the hour missed');
  assert.equal((await tasks.get('c'))?.task.run_nexttime, (T0 + 3_660_000) / 1000, 'then the next minute');
});

test('cron misfire skip and all, within the runs carried', async () => {
  await tasks.add('s', cronTask('* * * * * *', T0 - 1, { misfire: 'skip' }), 100);
  await tasks.add('a', cronTask('* * * * * *', T0 - 1, { misfire: 'all' }), 100);
  const res = await claim({ nowMs: T0 + 3500 });
  assert.deepEqual(
    firesOf(res).map((f) => `${f.kid}@${f.dueMs - T0}`),
    ['a@0', 'a@1000', 'a@2000', 'a@3000'],
  );
  const skipped = res.entries.find((e) => e.kind === 'missed' && e.kid === 's');
  assert.ok(skipped?.kind === 'missed' && skipped.count === 4 && skipped.nextDueMs === T0 + 4000);
  assert.equal((await tasks.get('s'))?.task.run_nexttime, (T0 + 4000) / 1000);
  assert.equal((await tasks.get('a'))?.task.run_nexttime, (T0 + 4000) / 1000);
});

test('misfire skip: the only run due, claimed more than task_expire_limit late, is missed too', async () => {
  // A daily job whose daemons were down for 12 hours: its one run due is not fired 12 hours late.
  await tasks.add('d', cronTask('0 0 * * *', T0 - 1, { misfire: 'skip' }), 100);
  const dueMs = ((await tasks.get('d'))?.task.run_nexttime ?? 0) * 1000;
  const late = await claim({ nowMs: dueMs + 12 * 3_600_000, expireLimitSec: 60 });
  assert.deepEqual(firesOf(late), []);
  const missed = late.entries.find((e) => e.kind === 'missed' && e.kid === 'd');
  assert.ok(missed?.kind === 'missed' && missed.count === 1 && missed.nextDueMs === dueMs + 86_400_000);
  assert.equal((await tasks.get('d'))?.task.run_num, 0);
  // A ticker every hour, 50 minutes late: the same.
  await tasks.add('h', task({ type: 'ticker', time: 3600, limit: 0, misfire: 'skip' }), 100);
  assert.deepEqual(firesOf(await claim({ nowMs: T0 + 3_000_000, expireLimitSec: 60 })), []);
  assert.equal((await tasks.get('h'))?.task.run_nexttime, (T0 + 3_600_000) / 1000);
  // Within the limit, or with the limit off (0), the run fires: it is late, not missed.
  await tasks.add('w', task({ type: 'ticker', time: 3600, limit: 0, misfire: 'skip' }), 100);
  assert.equal(firesOf(await claim({ nowMs: T0 + 3_000_000, expireLimitSec: 0 })).length, 1);
  await tasks.add('x', task({ type: 'ticker', time: 3600, limit: 0, misfire: 'skip' }), 100);
  assert.equal(firesOf(await claim({ nowMs: T0 + 30_000, expireLimitSec: 60 })).length, 1);
});

test('beginning a begun fire again keeps its lease (a daemon waiting for replicas begins again)', async () => {
  await tasks.add('r', task(), 100);
  const A = 'host:7:ab';
  const held = firesOf(await claim({ owner: A }));
  assert.deepEqual(await begin(T0, A, 5000, held), [true]);
  // Waiting for replicas, the daemon begins again every ~2 s: the lease moves on each time...
  assert.deepEqual(await begin(T0 + 4000, A, 5000, held), [true]);
  assert.deepEqual((await claim({ owner: 'B', nowMs: T0 + 8999 })).entries, [], 'still held at T0 + 9 s');
  // ...and never back: a begin with an older "now" leaves a later deadline alone.
  assert.deepEqual(await begin(T0 + 1000, A, 5000, held), [true]);
  assert.equal(Number(await redis.client.zscore(keys.leases, held[0]?.id ?? '')), T0 + 9000);
  const lost = await claim({ owner: 'B', nowMs: T0 + 9000 });
  assert.deepEqual(
    lost.entries.map((e) => e.kind),
    ['lost'],
  );
});

test('within task_lost_after of a Redis restart a run-out lease of a begun fire is kept, not recorded lost', async () => {
  // Nobody could renew while Redis was down: its daemon, reconnecting, renews or begins it again.
  const [sec, usec] = await redis.client.time();
  const nowMs = Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
  const up = Number(/uptime_in_seconds:(\d+)/.exec(await redis.client.info('server'))?.[1]);
  await tasks.add('g', task({ run_nexttime: nowMs / 1000 }), 100);
  const A = 'host:9:ab';
  const held = firesOf(await claim({ owner: A, nowMs }));
  assert.deepEqual(await begin(nowMs, A, 1000, held), [true]);
  const withGrace = (lostAfterMs: number) =>
    storesOn(redis.client, keys, 0, historyRules(keys, { lostAfterMs })).fires.claim({
      nowMs: nowMs + 6000,
      owner: 'B',
      leaseMs: 5000,
      maxShell: 100,
      maxUrl: 100,
      expireLimitSec: 60,
    });
  // The server started `up` s ago: a grace of up + 30 s has not passed.
  assert.deepEqual((await withGrace((up + 30) * 1000)).entries, []);
  const deadline = Number(await redis.client.zscore(keys.leases, held[0]?.id ?? ''));
  assert.ok(deadline > nowMs + 20_000, `kept until the grace ends (${deadline - nowMs} ms on)`);
  assert.deepEqual(await begin(nowMs + 6500, A, 1000, held), [true], 'its daemon begins it again');
  // Without the grace (task_lost_after long past the restart) it is recorded lost.
  await redis.client.zadd(keys.leases, nowMs, held[0]?.id ?? '');
  assert.deepEqual(
    (await withGrace(0)).entries.map((e) => e.kind),
    ['lost'],
  );
});

test("runs by hand count toward a ticker's limit; a timer run by hand is its one run", async () => {
  await tasks.add('t', task({ type: 'ticker', time: 10, limit: 2, run_nexttime: (T0 + 5000) / 1000 }), 100);
  await tasks.add('m', task({ run_nexttime: (T0 + 5000) / 1000 }), 100);
  assert.deepEqual(await tasks.runNow('t', T0), { how: 'fire', fireId: 't:1', done: false });
  assert.deepEqual(await tasks.runNow('t', T0), { how: 'fire', fireId: 't:2', done: true });
  assert.deepEqual(await tasks.runNow('m', T0), { how: 'fire', fireId: 'm:1', done: true });
  const byHand = firesOf(await claim());
  assert.deepEqual(byHand.map((f) => `${f.id} ${f.trigger}`).sort(), [
    'm:1 manual',
    't:1 manual',
    't:2 manual',
  ]);
  await begin(T0, 'A', 60_000, byHand);
  // Both are done at once: nothing fires at their time.
  assert.deepEqual(firesOf(await claim({ nowMs: T0 + 5000 })), []);
  for (const kid of ['t', 'm']) {
    assert.equal(await redis.client.hexists(keys.pool, kid), 0);
    assert.equal(await redis.client.zscore(keys.schedule, kid), null);
  }
  // Stored by an older ktimer, whose run by hand did not end it: the claim ends it at its time.
  await tasks.add(
    'o',
    task({ type: 'ticker', time: 10, limit: 2, run_num: 2, run_nexttime: (T0 + 5000) / 1000 }),
    100,
  );
  assert.deepEqual(firesOf(await claim({ nowMs: T0 + 5000 })), []);
  assert.equal(await redis.client.hexists(keys.pool, 'o'), 0);
});

test('one daemon of a label set is its poller, until it stops claiming or waits for room (issue 28)', async () => {
  assert.equal((await claim({ owner: 'A' })).poller, true);
  assert.equal((await claim({ owner: 'B' })).poller, false, 'A polls: B claims once a second');
  assert.equal((await claim({ owner: 'A', nowMs: T0 + 2000 })).poller, true, 'A keeps it while it claims');
  assert.equal(
    (await claim({ owner: 'B', labels: ['db'] })).poller,
    true,
    'a label set has a poller of its own',
  );
  // A waits for room with a shell task due: it gives the role up, and B, with room, takes it.
  await tasks.add('k1', task(), 100);
  const starved = await claim({ owner: 'A', nowMs: T0 + 2000, maxShell: 0 });
  assert.deepEqual([starved.dueLeft, starved.poller], ['room', false]);
  assert.equal((await claim({ owner: 'B', nowMs: T0 + 2000 })).poller, true);
  assert.equal((await claim({ owner: 'A', nowMs: T0 + 2000 })).poller, false);
});

test('a poller that stops claiming is replaced once its role runs out (POLLER_MS from its last claim)', async () => {
  // The role's end is on the script's clock: a claim 200 ms short of POLLER_MS ago holds it 200 ms.
  const realNow = Date.now();
  await claim({ owner: 'A', nowMs: realNow - POLLER_MS + 200 });
  assert.equal((await claim({ owner: 'B', nowMs: realNow })).poller, false);
  await waitFor(async () => (await claim({ owner: 'B', nowMs: Date.now() })).poller, {
    what: 'B to take the role over',
    timeoutMs: 3000,
  });
});

test('a claim that begins (no wait_replicas) hands out started fires, leased for begin_keep_ms: no claim takes them over at 5 s', async () => {
  await tasks.add('k1', task(), 100);
  const [fire] = firesOf(await claim({ beginKeepMs: 60_000 }));
  assert.equal(fire?.state, 'started');
  assert.equal(fire?.startedMs, T0);
  assert.equal(Number(await redis.client.zscore(keys.leases, 'k1:1')), T0 + 60_000);
  const other = await claim({ owner: 'B', nowMs: T0 + 6000 });
  assert.deepEqual(other.entries, [], 'begun: neither taken over nor lost within its lease');
  assert.deepEqual(await begin(T0 + 10, 'A', 60_000, [{ id: 'k1:1', token: fire?.token ?? '' }]), [true]);
  // With wait_replicas the begin waits for replicas: the claim only leases.
  await tasks.add('k2', task(), 100);
  const durable = storesOn(redis.client, keys, 1).fires;
  const reply = await durable.claim({
    nowMs: T0,
    owner: 'C',
    leaseMs: 5000,
    beginKeepMs: 60_000,
    maxShell: 9,
    maxUrl: 9,
    expireLimitSec: 60,
  });
  assert.equal(firesOf(reply)[0]?.state, 'leased');
});

test("fires begun by a claim whose reply was not read come again in its daemon's next claim, and only then", async () => {
  await tasks.add('k1', task(), 100);
  const lost = firesOf(await claim({ beginKeepMs: 60_000, seq: { claim: 1, acked: 0 } }));
  assert.deepEqual(
    lost.map((f) => f.id),
    ['k1:1'],
  );
  // The same claim sent again (ioredis resends a command whose reply it lost): it comes again.
  const resent = await claim({ nowMs: T0 + 5, beginKeepMs: 60_000, seq: { claim: 1, acked: 0 } });
  assert.deepEqual(
    firesOf(resent).map((f) => [f.id, f.token, f.startedMs]),
    [['k1:1', lost[0]?.token, T0 + 5]],
  );
  assert.equal(Number(await redis.client.zscore(keys.leases, 'k1:1')), T0 + 5 + 60_000, 'its lease from now');
  // Another daemon's claim never gets it; this daemon's next claim, having read claim 1, neither.
  assert.deepEqual(
    firesOf(await claim({ owner: 'B', beginKeepMs: 60_000, seq: { claim: 1, acked: 0 } })),
    [],
  );
  assert.deepEqual(firesOf(await claim({ beginKeepMs: 60_000, seq: { claim: 2, acked: 1 } })), []);
  assert.deepEqual(firesOf(await claim({ beginKeepMs: 60_000, seq: { claim: 3, acked: 2 } })), []);
});

test('an unread claim outlives its lease: after an outage longer than begin_keep_ms, its daemon still gets its fires again', async () => {
  // A claim's reply lost as Redis went down (the reliability suite's 10 s outage, with leases of
  // 5 s): when the daemon claims again after it, its begun fires must come back to it, not lapse
  // into lost runs that never ran.
  const start = Date.now();
  await tasks.add('k1', task({ run_nexttime: start / 1000 - 1 }), 100);
  const lost = firesOf(await claim({ nowMs: start, beginKeepMs: 200, seq: { claim: 1, acked: 0 } }));
  assert.deepEqual(
    lost.map((f) => f.id),
    ['k1:1'],
  );
  assert.ok((await redis.client.pttl(`${keys.unread}A`)) > 60_000, 'the note is kept well past the lease');
  await waitFor(() => Date.now() > start + 400, { what: 'the lease to run out', timeoutMs: 2000 });
  const again = await claim({ nowMs: Date.now(), beginKeepMs: 200, seq: { claim: 2, acked: 0 } });
  assert.deepEqual(
    firesOf(again).map((f) => [f.id, f.token]),
    [['k1:1', lost[0]?.token]],
  );
  assert.equal(
    again.entries.filter((e) => e.kind === 'lost').length,
    0,
    'not recorded lost: its own daemon had it again',
  );
});

test('a FireStore counts its claims: a claim that failed leaves its fires to the next one', async () => {
  await tasks.add('k1', task(), 100);
  const store = fires('A');
  const req = {
    nowMs: T0,
    owner: 'A',
    leaseMs: 5000,
    beginKeepMs: 60_000,
    maxShell: 9,
    maxUrl: 9,
    expireLimitSec: 60,
  };
  assert.equal(firesOf(await store.claim(req)).length, 1);
  assert.equal(firesOf(await store.claim(req)).length, 0, 'read: not handed out again');
});

test("a claim's next time counts the leases it gave: earlier than any lease there was, it is when to look again", async () => {
  await tasks.add('k1', task(), 100);
  await tasks.add('k2', task({ run_nexttime: (T0 + 1) / 1000 }), 100);
  assert.equal(firesOf(await claim({ beginKeepMs: 60_000 })).length, 1);
  const second = await claim({ owner: 'B', nowMs: T0 + 1 });
  assert.equal(firesOf(second).length, 1);
  assert.equal(second.nextDueMs, T0 + 5001, "its own lease, not the begun fire's deadline");
});

test("the unread note is one string, that claim's number then its fire ids, written only by a claim that began fires", async () => {
  await tasks.add('k1', task(), 100);
  await tasks.add('k2', task(), 100);
  const note = `${keys.unread}A`;
  await claim({ beginKeepMs: 60_000, seq: { claim: 1, acked: 0 } });
  assert.equal(await redis.client.get(note), '1 k1:1 k2:1');
  assert.ok((await redis.client.pttl(note)) > 3_600_000, 'kept long past its claim');
  await claim({ beginKeepMs: 60_000, seq: { claim: 2, acked: 1 } });
  assert.equal(
    await redis.client.get(note),
    '1 k1:1 k2:1',
    'nothing begun, nothing written: read, it is past',
  );
  assert.deepEqual(firesOf(await claim({ beginKeepMs: 60_000, seq: { claim: 3, acked: 2 } })), []);
});

test('an unread note of ktimer 4.2 (a hash: fire id -> claim number) is read: its unread fires come again', async () => {
  await tasks.add('k1', task(), 100);
  await tasks.add('k2', task(), 100);
  const note = `${keys.unread}A`;
  const begun = firesOf(await claim({ beginKeepMs: 60_000, seq: { claim: 1, acked: 0 } }));
  assert.equal(begun.length, 2);
  // As 4.2 left it: k1:1 by claim 1 (read), k2:1 by claim 2 (whose reply was lost).
  await redis.client.del(note);
  await redis.client.hset(note, 'k1:1', '1', 'k2:1', '2');
  const again = await claim({ nowMs: T0 + 5, beginKeepMs: 60_000, seq: { claim: 3, acked: 1 } });
  assert.deepEqual(
    firesOf(again).map((f) => f.id),
    ['k2:1'],
  );
  assert.equal(await redis.client.get(note), '3 k2:1', 'written anew, as one string');
  // A 4.2 note of claims all read: dropped, nothing handed out.
  await redis.client.del(note);
  await redis.client.hset(note, 'k1:1', '1');
  assert.deepEqual(firesOf(await claim({ beginKeepMs: 60_000, seq: { claim: 4, acked: 3 } })), []);
  assert.equal(await redis.client.exists(note), 0);
});

test('a claim of a daemon that did not poll looks at the role and writes it only to take it free', async () => {
  const role = keys.poller;
  const sets = async () =>
    Number(/cmdstat_set:calls=(\d+)/.exec(await redis.client.info('commandstats'))?.[1] ?? 0);
  assert.equal((await claim({ owner: 'A', polling: true })).poller, true);
  const before = await sets();
  assert.equal((await claim({ owner: 'B', nowMs: T0 + 250 })).poller, false);
  assert.equal((await claim({ owner: 'B', nowMs: T0 + 500 })).poller, false);
  assert.equal(await sets(), before, 'no write while another polls');
  assert.equal(await redis.client.get(role), `A ${T0 + POLLER_MS}`);
  await redis.client.del(role);
  assert.equal((await claim({ owner: 'B', nowMs: T0 + 750 })).poller, true, 'a free role is taken');
  assert.equal(await redis.client.get(role), `B ${T0 + 750 + POLLER_MS}`);
  assert.equal((await claim({ owner: 'B', nowMs: T0 + 800 })).poller, true, 'and kept by its holder');
  assert.equal(await redis.client.get(role), `B ${T0 + 800 + POLLER_MS}`);
});

test("the poller role is its holder and its end; another daemon's is put back as it was, ktimer 4.2's too", async () => {
  const role = keys.poller;
  const endOf = async () => Number(await redis.client.call('PEXPIRETIME', role));
  assert.equal((await claim({ owner: 'A' })).poller, true);
  assert.equal(await redis.client.get(role), `A ${T0 + POLLER_MS}`);
  // B polled at its last claim (a role lost meanwhile): SET ... GET, then A's put back.
  assert.equal((await claim({ owner: 'B', nowMs: T0 + 500, polling: true })).poller, false);
  assert.deepEqual([await redis.client.get(role), await endOf()], [`A ${T0 + POLLER_MS}`, T0 + POLLER_MS]);
  // As 4.2 writes it: the owner id alone. Its end is not known: at most POLLER_MS from now.
  await redis.client.set(role, 'C', 'PXAT', T0 + 1000);
  assert.equal((await claim({ owner: 'B', nowMs: T0 + 500, polling: true })).poller, false);
  assert.deepEqual([await redis.client.get(role), await endOf()], ['C', T0 + 500 + POLLER_MS]);
  assert.equal((await claim({ owner: 'C', nowMs: T0 + 600 })).poller, true, 'its holder keeps it');
  assert.equal(await redis.client.get(role), `C ${T0 + 600 + POLLER_MS}`);
});
