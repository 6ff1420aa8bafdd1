// The recorder's batches of finished runs (daemon/run-recorder.ts): runs that end within
// FINISH_LINGER_MS of the first go on record in one finish call (one round trip, one script),
// not one call each; at shutdown nothing waits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { FINISH_LINGER_MS, RunRecorder } from '../../src/daemon/run-recorder.js';
import { emptyResult } from '../../src/runner/runner-result.js';
import type { Fire, FireStore } from '../../src/store/open-store.js';
import { memoryLogs } from '../helpers/memory-logs.js';
import { waitFor } from '../helpers/wait.js';

const T0 = 1_800_000_000_000;

const fire = (i: number): Fire => ({
  id: `k${i}:1`,
  kid: `k${i}`,
  type: 'timer',
  kind: 'url',
  command: 'http://x/',
  state: 'started',
  dueMs: T0,
  run_num: 1,
  limit: 1,
  claimedMs: T0,
  owner: 'h:1:a',
  token: 't',
});

function setup(lingerMs?: number) {
  const calls: string[][] = [];
  const fires: Pick<FireStore, 'finish' | 'renew'> = {
    finish: (req) => {
      calls.push(req.runs.map((r) => r.fire.id));
      return Promise.resolve(
        req.runs.map(() => ({ recorded: false, record: null, streak: 0, retried: false })),
      );
    },
    renew: (req) => Promise.resolve(req.fires.map(() => true)),
  };
  const recorder = new RunRecorder({
    fires,
    clock: new ManualClock(T0),
    owner: 'h:1:a',
    keepMs: 60_000,
    logs: memoryLogs(),
    lingerMs,
  });
  const end = (i: number) => recorder.finished(fire(i), T0, { ...emptyResult('url'), ok: true });
  return { calls, recorder, end };
}

test(`runs that end within the linger (FINISH_LINGER_MS, ${FINISH_LINGER_MS} ms) go on record in one finish call`, async () => {
  assert.ok(FINISH_LINGER_MS > 0);
  // A linger far longer than the gap below, so that a loaded machine cannot split the batch.
  const { calls, end } = setup(1000);
  end(1);
  await new Promise((r) => setImmediate(r)); // a later turn of the event loop
  end(2);
  await waitFor(() => calls.length > 0, { what: 'the finish call', intervalMs: 5 });
  assert.deepEqual(calls, [['k1:1', 'k2:1']]);
});

test('without a linger, runs that end in different turns of the event loop go in calls of their own', async () => {
  const { calls, end } = setup(0);
  end(1);
  await new Promise((r) => setTimeout(r, 1));
  end(2);
  await waitFor(() => calls.length === 2, { what: 'two finish calls', intervalMs: 1 });
  assert.deepEqual(calls, [['k1:1'], ['k2:1']]);
});

test('at shutdown, what is queued goes at once (its linger cut short), and close() waits for it', async () => {
  const { calls, recorder, end } = setup(60_000);
  end(1);
  await recorder.close();
  assert.deepEqual(calls, [['k1:1']], 'a run that ended before close() goes without its linger');
  end(2);
  await recorder.close();
  assert.deepEqual(calls, [['k1:1'], ['k2:1']], 'one that ends while closing does not wait');
});
