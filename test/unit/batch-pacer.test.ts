// The size of a bulk write's next batch (service/batch-pacer.ts): about a target time of the
// server's per batch, from the times the batches before it reported.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchPacer } from '../../src/service/batch-pacer.js';

const options = { targetMs: 1, first: 50, min: 10, max: 500 };

test('the first batch, before any is measured, is `first` rows', () => {
  assert.equal(new BatchPacer(options).size(), 50);
});

test('rows that take 20 us each make batches of 50; 100 us each, of 10', () => {
  const pacer = new BatchPacer(options);
  pacer.took(50, 1);
  assert.equal(pacer.size(), 50);
  const slow = new BatchPacer(options);
  for (let i = 0; i < 20; i++) slow.took(slow.size(), slow.size() * 0.1);
  assert.equal(slow.size(), 10);
});

test('a slow batch makes the next smaller at once; fast rows grow them at most 2x a batch, up to max', () => {
  const pacer = new BatchPacer(options);
  pacer.took(50, 5);
  assert.equal(pacer.size(), 10, 'past the target: the least');
  const sizes: number[] = [];
  for (let i = 0; i < 20; i++) {
    const size = pacer.size();
    sizes.push(size);
    pacer.took(size, size * 0.0001);
  }
  sizes.forEach((s, i) => assert.ok(i === 0 || s <= 2 * (sizes[i - 1] as number), sizes.join(' ')));
  assert.equal(pacer.size(), 500, sizes.join(' '));
});

test('one slow batch among fast ones weighs, but does not alone set the size', () => {
  const pacer = new BatchPacer(options);
  for (let i = 0; i < 10; i++) pacer.took(pacer.size(), pacer.size() * 0.01);
  assert.equal(pacer.size(), 100);
  pacer.took(100, 3);
  const after = pacer.size();
  assert.ok(after > 10 && after < 100, String(after));
});

test('a batch of no rows, or one measured at 0 ms, leaves the size sane', () => {
  const pacer = new BatchPacer(options);
  pacer.took(0, 5);
  assert.equal(pacer.size(), 50);
  pacer.took(50, 0);
  assert.equal(pacer.size(), 100, 'no time: grows by 2x');
});
