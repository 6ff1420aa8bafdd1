// beginDurably's lease deadline: the one of its last begin, which a failover can push far past the
// first; the lease fence stops a run at the deadline it is given.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Clock, Sleep } from '../../src/clock.js';
import { beginDurably } from '../../src/store/durable-begin.js';
import type { Fire } from '../../src/store/fire-record.js';

/** beginDurably's options for a daemon `h:1` with an 8 s lease on `clock`, never giving up. */
const optionsOn = (clock: Clock, waitReplicas: number) => ({
  owner: 'h:1',
  keepMs: 8000,
  clock,
  waitReplicas,
  shouldGiveUp: () => false,
  onRetry: () => {},
});

/** A clock whose sleeps pass at once, moving its time on by their length. */
function jumpingClock(startMs: number): Clock & { now: number } {
  const c = {
    now: startMs,
    nowMs: () => c.now,
    sleep(ms: number): Sleep {
      c.now += ms;
      return { done: Promise.resolve(false), wake: () => {} };
    },
  };
  return c;
}

const fire = { id: 'k1:1', kid: 'k1' } as Fire;

test('replicas confirm only after two rounds: the deadline is the last begin "now" + keepMs', async () => {
  const clock = jumpingClock(1_000_000.4);
  const begins: number[] = [];
  let asks = 0;
  const store = {
    begin: (req: { nowMs: number }) => {
      begins.push(req.nowMs);
      return Promise.resolve([true]);
    },
    replicasConfirming: () => Promise.resolve(++asks >= 3 ? 1 : 0),
  };
  const begun = await beginDurably(store, [fire], optionsOn(clock, 1));
  assert.deepEqual(begun.allowed, [true]);
  assert.equal(begins.length, 3);
  assert.ok((begins[2] ?? 0) > (begins[0] ?? 0) + 2000, 'the failover rounds took time');
  assert.equal(begun.leaseUntilMs, Math.floor(begins[2] ?? 0) + 8000);
});

test('without replicas: one begin, its deadline', async () => {
  const clock = jumpingClock(2_000_000);
  const begun = await beginDurably(
    { begin: () => Promise.resolve([true]), replicasConfirming: () => Promise.resolve(0) },
    [fire],
    optionsOn(clock, 0),
  );
  assert.equal(begun.leaseUntilMs, 2_008_000);
});

test("a begin whose reply came late is begun again: the deadline is the prompt one's", async () => {
  const clock = jumpingClock(3_000_000);
  const begins: number[] = [];
  const store = {
    begin: (req: { nowMs: number }) => {
      begins.push(req.nowMs);
      // The first reply waits 6 s (queued through a reconnect); the second comes at once.
      if (begins.length === 1) clock.now += 6000;
      return Promise.resolve([true]);
    },
    replicasConfirming: () => Promise.resolve(0),
  };
  const begun = await beginDurably(store, [fire], optionsOn(clock, 0));
  assert.deepEqual(begins, [3_000_000, 3_006_000]);
  assert.deepEqual(begun.allowed, [true]);
  assert.equal(begun.leaseUntilMs, 3_014_000);
});

test('replies always late (a process starved for good): begun again 3 times at most, then run', async () => {
  const clock = jumpingClock(4_000_000);
  let begins = 0;
  const store = {
    begin: () => {
      begins++;
      clock.now += 6000;
      return Promise.resolve([true]);
    },
    replicasConfirming: () => Promise.resolve(0),
  };
  const begun = await beginDurably(store, [fire], optionsOn(clock, 0));
  assert.equal(begins, 4, 'the first begin and 3 more');
  assert.deepEqual(begun.allowed, [true]);
  assert.equal(begun.leaseUntilMs, 4_018_000 + 8000);
});

test('a late reply for a batch: only the fires it allowed are begun again, each answer in its place', async () => {
  const clock = jumpingClock(5_000_000);
  const fires = ['a', 'b', 'c'].map((k) => ({ ...fire, id: `${k}:1` }));
  const asked: string[][] = [];
  const store = {
    begin: (req: { fires: readonly { id: string }[] }) => {
      asked.push(req.fires.map((f) => f.id));
      // First: b is another's, and the reply comes late; again: c is refused too.
      if (asked.length === 1) {
        clock.now += 6000;
        return Promise.resolve([true, false, true]);
      }
      return Promise.resolve([true, false]);
    },
    replicasConfirming: () => Promise.resolve(0),
  };
  const begun = await beginDurably(store, fires, optionsOn(clock, 0));
  assert.deepEqual(asked, [
    ['a:1', 'b:1', 'c:1'],
    ['a:1', 'c:1'],
  ]);
  assert.deepEqual(begun.allowed, [true, false, false]);
});
