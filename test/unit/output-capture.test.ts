// A stream kept within a bound: whole when it fits, else its first and last halves around one
// marker line, a character split by a cut dropped whole; the Node side's keeper of those halves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoundedOutput, boundedText, cutMarker } from '../../src/runner/output-capture.js';

test('boundedText: whole when nothing was cut; else head, marker line, tail', () => {
  assert.equal(boundedText(Buffer.from('ab'), Buffer.from('cd'), 4), 'abcd');
  assert.equal(boundedText(Buffer.from('ab\n'), Buffer.from('yz'), 10), 'ab\n[ktimer: 5 bytes cut]\nyz');
  assert.equal(boundedText(Buffer.from('ab'), Buffer.from('yz'), 10), 'ab\n[ktimer: 6 bytes cut]\nyz');
  assert.equal(boundedText(Buffer.alloc(0), Buffer.alloc(0), 7), '[ktimer: 7 bytes cut]\n');
  assert.equal(cutMarker(12345), '[ktimer: 12345 bytes cut]');
});

test('boundedText: a multi-byte character split at either cut is dropped whole and counted', () => {
  const euro = Buffer.from('€'); // 3 bytes
  const head = Buffer.concat([Buffer.from('a'), euro.subarray(0, 2)]);
  const tail = Buffer.concat([euro.subarray(1), Buffer.from('z')]);
  assert.equal(boundedText(head, tail, 20), `a\n${cutMarker(18)}\nz`);
  const emoji = Buffer.from('😀'); // 4 bytes, whole in the head: kept
  assert.equal(boundedText(emoji, Buffer.from('z'), 9), `😀\n${cutMarker(4)}\nz`);
});

test('BoundedOutput keeps the first and last halves of what was pushed, in any chunking', () => {
  const all = Buffer.from(Array.from({ length: 500 }, (_, i) => `${i}\n`).join(''));
  for (const size of [1, 7, 64, 5000]) {
    const kept = new BoundedOutput(101);
    for (let at = 0; at < all.length; at += size) kept.push(all.subarray(at, at + size));
    assert.equal(
      kept.text(),
      boundedText(all.subarray(0, 50), all.subarray(all.length - 51), all.length),
      `${size}`,
    );
  }
  const small = new BoundedOutput(100);
  small.push(Buffer.from('short\n'));
  assert.equal(small.text(), 'short\n');
  const none = new BoundedOutput(0);
  none.push(Buffer.from('abc'));
  assert.equal(none.text(), `${cutMarker(3)}\n`);
});
