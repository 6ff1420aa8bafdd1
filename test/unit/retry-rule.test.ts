// When a failed run is retried, and after how long (docs/steering.md "Retries"): the delay doubles
// with each retry, with jitter of +-20 % from the fire id, capped at MAX_RETRY_WAIT_SEC; an HTTP
// 4xx is not worth a retry. The Lua twin of the wait: test/integration/run-rules.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRetryable } from '../../src/runner/retry-rule.js';
import { emptyResult, type RunnerResult } from '../../src/runner/runner-result.js';
import { jitterOf, MAX_RETRY_WAIT_SEC, retryWaitMs, retryWaitOf } from '../../src/runs/retry.js';

const MID = 0.5; // no jitter: the factor is 0.8 + 0.4 x 0.5 = 1

test('the wait doubles with each retry, from the delay', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((retry) => retryWaitMs(10, retry, MID)),
    [10_000, 20_000, 40_000, 80_000, 160_000],
  );
  assert.equal(retryWaitMs(1, 1, MID), 1000);
  assert.equal(retryWaitMs(3, 2, MID), 6000);
});

test('the wait is capped at MAX_RETRY_WAIT_SEC, also for huge retry numbers', () => {
  const cap = MAX_RETRY_WAIT_SEC * 1000;
  assert.equal(retryWaitMs(10, 10, MID), cap, '10 x 2^9 s is beyond the cap');
  assert.equal(retryWaitMs(3600, 1, MID), cap);
  assert.equal(retryWaitMs(3600, 1, 0.999), cap, 'jitter never lifts it above the cap');
  assert.equal(retryWaitMs(1, 100, MID), cap);
  assert.equal(retryWaitMs(1, 10_000, MID), cap);
  assert.ok(Number.isFinite(retryWaitMs(3600, 1_000_000, MID)));
  assert.equal(retryWaitMs(10, 9, MID), 2_560_000, 'just below the cap: not capped');
});

test('jitter: the doubled delay times 0.8 to 1.2, by the unit given', () => {
  assert.equal(retryWaitMs(10, 1, 0), 8000);
  assert.equal(retryWaitMs(10, 2, 0), 16_000);
  assert.equal(retryWaitMs(10, 1, 0.25), 9000);
  assert.equal(retryWaitMs(10, 1, 0.75), 11_000);
  assert.ok(Math.abs(retryWaitMs(10, 1, 1 - Number.EPSILON) - 12_000) <= 1);
});

test('jitterOf: from a fire id, in [0, 1), the same for the same id, spread over ids', () => {
  const units: number[] = [];
  for (let run = 1; run <= 1000; run++) {
    const id = `0123456789abcdef0123456789abcdef:${run}`;
    const u = jitterOf(id);
    assert.ok(u >= 0 && u < 1, `${id}: ${u}`);
    assert.equal(jitterOf(id), u);
    units.push(u);
  }
  // Ten buckets of a tenth each, each neither empty nor holding a third of them.
  const buckets = Array.from({ length: 10 }, (_, b) => units.filter((u) => Math.floor(u * 10) === b).length);
  assert.ok(
    buckets.every((n) => n > 30 && n < 300),
    `spread: ${buckets.join(' ')}`,
  );
  assert.notEqual(jitterOf('k:1'), jitterOf('k:1.2'), 'each attempt its own');
  assert.ok(jitterOf('é:1') >= 0, 'bytes, not UTF-16 units');
});

test("retryWaitOf: a fire's next attempt, by its attempt and its id", () => {
  const fire = { id: 'k:3.2', attempt: 2, retry_delay: 5 };
  assert.equal(retryWaitOf(fire), retryWaitMs(5, 2, jitterOf('k:3.2')));
  const wait = retryWaitOf({ id: 'k:3', retry_delay: 5 });
  assert.ok(wait >= 4000 && wait <= 6000 && Number.isInteger(wait), `first attempt: ${wait}`);
});

const result = (over: Partial<RunnerResult>): RunnerResult => ({
  ...emptyResult('shell'),
  durationMs: 5,
  ...over,
});

test('isRetryable: a failed run is, except an HTTP 4xx; a success never', () => {
  assert.equal(isRetryable(result({ exitCode: 1 })), true, 'a non-zero exit');
  assert.equal(isRetryable(result({ exitCode: 137, signal: 'SIGKILL' })), true, 'a signal');
  assert.equal(isRetryable(result({ signal: 'SIGTERM', timedOut: true })), true, 'a timeout');
  const url = { kind: 'url' as const };
  assert.equal(isRetryable(result({ ...url, httpStatus: 503 })), true, 'HTTP 503');
  assert.equal(isRetryable(result({ ...url, httpStatus: 500 })), true, 'HTTP 500');
  assert.equal(isRetryable(result({ ...url, httpStatus: 404 })), false, 'HTTP 404');
  assert.equal(isRetryable(result({ ...url, httpStatus: 400 })), false, 'HTTP 400');
  assert.equal(isRetryable(result({ ...url, httpStatus: 429 })), false, 'HTTP 429: a 4xx');
  assert.equal(
    isRetryable(result({ ...url, error: 'connect ECONNREFUSED 127.0.0.1:9' })),
    true,
    'a connection error',
  );
  assert.equal(isRetryable(result({ ...url, timedOut: true, error: 'timed out' })), true, 'a URL timeout');
  assert.equal(isRetryable(result({ ok: true, exitCode: 0 })), false);
  assert.equal(isRetryable(result({ ...url, ok: true, httpStatus: 200 })), false);
});
