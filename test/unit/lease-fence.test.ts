// Self-fencing on a manual clock (daemon/lease-fence.ts): a run whose lease this daemon could not
// renew gets SIGTERM at its deadline - 1 s - the stop wait (shutdown_grace, at most a quarter of
// task_lost_after), SIGKILL at its deadline - 1 s; a renewal in time moves both on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { FENCE_MARGIN_MS, type FenceSignal, LeaseFence } from '../../src/daemon/lease-fence.js';

const T0 = 1_800_000_000_000;
const KEEP_MS = 8000;

function setup(graceMs: number) {
  const clock = new ManualClock(T0);
  const stops: [id: string, signal: FenceSignal, atMs: number][] = [];
  const fence = new LeaseFence({
    clock,
    keepMs: KEEP_MS,
    graceMs,
    stop: (id, signal) => stops.push([id, signal, clock.nowMs() - T0]),
  });
  /** Moves the clock to T0 + ms, one ms at a time, letting the fence's loop run at each. */
  const until = async (ms: number) => {
    while (clock.nowMs() < T0 + ms) {
      clock.advance(1);
      await new Promise((r) => setImmediate(r));
    }
  };
  return { clock, fence, stops, until };
}

test('a lease renewed in time: nothing is stopped', async () => {
  const { fence, stops, until } = setup(30_000);
  fence.holds('a', T0 + KEEP_MS);
  for (let t = 2000; t <= 20_000; t += 2000) {
    await until(t);
    fence.holds('a', T0 + t + KEEP_MS);
  }
  fence.ended('a');
  await until(40_000);
  assert.deepEqual(stops, []);
  fence.close();
});

test('unrenewed: SIGTERM a stop wait before deadline - margin, then SIGKILL at it; the wait at most a quarter of the lease', async () => {
  const { fence, stops, until } = setup(30_000);
  assert.equal(fence.stopWaitMs, KEEP_MS / 4, 'shutdown_grace 30 s, capped at a quarter of 8 s');
  fence.holds('a', T0 + KEEP_MS);
  await until(KEEP_MS);
  const killAt = KEEP_MS - FENCE_MARGIN_MS;
  assert.deepEqual(stops, [
    ['a', 'SIGTERM', killAt - 2000],
    ['a', 'SIGKILL', killAt],
  ]);
  fence.close();
});

test('a run that ends on SIGTERM gets no SIGKILL; a renewal after SIGTERM does not save one that goes on', async () => {
  const { fence, stops, until } = setup(1000);
  fence.holds('ends', T0 + KEEP_MS);
  fence.holds('stays', T0 + KEEP_MS);
  const termAt = KEEP_MS - FENCE_MARGIN_MS - 1000;
  await until(termAt);
  assert.deepEqual(stops, [
    ['ends', 'SIGTERM', termAt],
    ['stays', 'SIGTERM', termAt],
  ]);
  fence.ended('ends');
  // Redis came back: the lease is renewed, but the command was told to stop; it is killed a stop
  // wait after its SIGTERM.
  fence.holds('stays', T0 + termAt + KEEP_MS);
  await until(termAt + 5000);
  assert.deepEqual(stops.slice(2), [['stays', 'SIGKILL', termAt + 1000]]);
  fence.close();
});

test('shutdown_grace 0: SIGTERM and SIGKILL at deadline - margin; close stops the fence', async () => {
  const { fence, stops, until } = setup(0);
  fence.holds('a', T0 + KEEP_MS);
  fence.holds('b', T0 + 2 * KEEP_MS);
  await until(KEEP_MS);
  const at = KEEP_MS - FENCE_MARGIN_MS;
  assert.deepEqual(stops, [
    ['a', 'SIGTERM', at],
    ['a', 'SIGKILL', at],
  ]);
  fence.close();
  await until(3 * KEEP_MS);
  assert.equal(stops.length, 2, 'nothing after close');
});

test('a lease added with an earlier deadline than those held is acted on at its own time', async () => {
  const { fence, stops, until } = setup(1000);
  fence.holds('late', T0 + 10 * KEEP_MS);
  await until(100);
  fence.holds('early', T0 + 100 + KEEP_MS);
  const termAt = 100 + KEEP_MS - FENCE_MARGIN_MS - 1000;
  await until(termAt);
  assert.deepEqual(stops, [['early', 'SIGTERM', termAt]]);
  fence.ended('early');
  fence.ended('late');
  await until(12 * KEEP_MS);
  assert.equal(stops.length, 1, 'nothing for leases that ended');
  fence.close();
});

test('revoked (a renewal found the run recorded lost): SIGTERM at once, SIGKILL a stop wait later; no renewal saves it; others untouched', async () => {
  const stopsRevoked: boolean[] = [];
  const clock = new ManualClock(T0);
  const stops: [string, FenceSignal, number][] = [];
  const fence = new LeaseFence({
    clock,
    keepMs: KEEP_MS,
    graceMs: 30_000,
    stop: (id, signal, _until, revoked) => {
      stops.push([id, signal, clock.nowMs() - T0]);
      stopsRevoked.push(revoked);
    },
  });
  const until = async (ms: number) => {
    while (clock.nowMs() < T0 + ms) {
      clock.advance(1);
      await new Promise((r) => setImmediate(r));
    }
  };
  fence.holds('gone', T0 + KEEP_MS);
  fence.holds('kept', T0 + KEEP_MS);
  await until(2000);
  fence.holds('kept', T0 + 2000 + KEEP_MS);
  fence.revoke('gone');
  fence.holds('gone', T0 + 2000 + KEEP_MS);
  await new Promise((r) => setImmediate(r));
  await until(4500);
  assert.deepEqual(stops, [
    ['gone', 'SIGTERM', 2000],
    ['gone', 'SIGKILL', 4000],
  ]);
  assert.deepEqual(stopsRevoked, [true, true]);
  fence.close();
});
