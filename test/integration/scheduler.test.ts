// The loop against a real Redis: a slot that frees while a claim is under way is claimed again
// at once (its wake-up came mid-pass and woke nobody; the loop once waited for its next second).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import type { Dispatcher } from '../../src/daemon/dispatcher.js';
import { RedisClock } from '../../src/daemon/redis-clock.js';
import { Scheduler } from '../../src/daemon/scheduler.js';
import { type ClaimRequest, FireStore } from '../../src/store/fire-store.js';
import { storeKeys } from '../../src/store/keys.js';
import { usePrivateRedis } from '../helpers/redis-server.js';
import { storedTask, storeTasks } from '../helpers/stored-tasks.js';
import { waitFor } from '../helpers/wait.js';

const redis = usePrivateRedis();

test('a slot freed during a claim is refilled by the next pass at once, not at the next second', async () => {
  const keys = storeKeys({ pool: 's:all', trun: 's:second', lock: 's:lock' });
  const [sec] = await redis.client.time();
  await storeTasks(redis.client, keys, [['a'.repeat(32), storedTask({ run_nexttime: Number(sec) - 1 })]]);

  let shellFree = 0;
  const dispatched: { atMs: number }[] = [];
  const dispatcher = {
    free: (kind: string) => (kind === 'shell' ? shellFree : 0),
    takeStarted: () => [],
    returnStarted: () => {},
    dispatch: async (fires: unknown[]) => {
      dispatched.push(...fires.map(() => ({ atMs: Date.now() })));
    },
  } as unknown as Dispatcher;

  const ref: { sched?: Scheduler } = {};
  let firstClaimDoneMs = 0;
  class SlotFreedMidClaim extends FireStore {
    private calls = 0;
    override async claim(req: ClaimRequest) {
      if (this.calls++ > 0) return super.claim(req);
      // Just past a second boundary, so that "the next second" is far away; the slot frees
      // after this pass computed its room (0) and before its reply is in.
      await new Promise((r) => setTimeout(r, 1020 - (Date.now() % 1000)));
      shellFree = 1;
      ref.sched?.slotFreed();
      const reply = await super.claim(req);
      firstClaimDoneMs = Date.now();
      return reply;
    }
  }
  const fires = new SlotFreedMidClaim(redis.client, keys);
  const silent = pino({ level: 'silent' });
  const sched = new Scheduler({
    fires,
    clock: new RedisClock({ serverTimeMs: () => fires.serverTimeMs() }),
    dispatcher,
    owner: 'test',
    leaseMs: 5000,
    expireLimitSec: 60,
    serve: silent,
    error: silent,
    runed: silent,
  });
  ref.sched = sched;
  sched.start();
  try {
    await waitFor(() => dispatched.length === 1, { what: 'the due task dispatched', timeoutMs: 5000 });
    const after = (dispatched[0]?.atMs ?? 0) - firstClaimDoneMs;
    assert.ok(after < 400, `claimed ${after} ms after the slot freed`);
  } finally {
    await sched.stop();
  }
});

test('a claim looks past 32 waiting tasks of a full kind, and past all the room allows every 100 ms', async () => {
  const keys = storeKeys({ pool: 'k:all', trun: 'k:second', lock: 'k:lock' });
  let localMs = Date.now(); // the daemon's local clock, moved by hand
  const fires = new FireStore(redis.client, keys);
  const clock = new RedisClock({ serverTimeMs: () => fires.serverTimeMs() }, () => localMs);
  await clock.sync();
  const nowSec = clock.nowMs() / 1000;
  // 50 shell tasks due, no shell slot free; a URL task due behind them, URL slots free.
  await storeTasks(
    redis.client,
    keys,
    Array.from({ length: 50 }, (_, i) => [`s${i}`, storedTask({ run_nexttime: nowSec - 5 })] as const),
  );
  const claimed: string[] = [];
  const dispatcher = {
    free: (kind: string) => (kind === 'shell' ? 0 : 10),
    takeStarted: () => [],
    returnStarted: () => {},
    dispatch: async (batch: { kid: string }[]) => {
      claimed.push(...batch.map((f) => f.kid));
    },
  } as unknown as Dispatcher;
  const silent = pino({ level: 'silent' });
  const sched = new Scheduler({
    fires,
    clock,
    dispatcher,
    owner: 'test',
    leaseMs: 5000,
    expireLimitSec: 0,
    serve: silent,
    error: silent,
    runed: silent,
  });
  await sched.pass(); // the first pass looks as far as it may; nothing for it yet
  await storeTasks(redis.client, keys, [
    ['u', storedTask({ command: 'http://127.0.0.1:1/x', run_nexttime: nowSec - 4 })],
  ]);
  localMs += 50;
  await sched.pass();
  assert.deepEqual(claimed, [], '50 shell tasks in front: beyond the 32 of a quick claim');
  localMs += 60;
  await sched.pass();
  assert.deepEqual(claimed, ['u'], '100 ms after the last far look, the next claim looks far');
});
