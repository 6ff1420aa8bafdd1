// web_allow_ip matching: prefixes at address boundaries, CIDR, IPv6, IPv4-mapped IPv6.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AllowList } from '../../src/web/allow-list.js';
import { FailureThrottle, passwordMatches } from '../../src/web/auth.js';

const allows = (entries: string[], address: string) => new AllowList(entries).allows(address);

test('a prefix ending in a separator matches the addresses under it', () => {
  assert.equal(allows(['127.'], '127.0.0.1'), true);
  assert.equal(allows(['127.'], '127.255.0.9'), true);
  assert.equal(allows(['127.'], '128.0.0.1'), false);
  assert.equal(allows(['10.0.0.'], '10.0.0.10'), true);
  assert.equal(allows(['fe80:'], 'fe80::1'), true);
});

test('the prefix trap: 10.0.0.1 lets in 10.0.0.1 only, not 10.0.0.10 or 10.0.0.100', () => {
  assert.equal(allows(['10.0.0.1'], '10.0.0.1'), true);
  assert.equal(allows(['10.0.0.1'], '10.0.0.10'), false);
  assert.equal(allows(['10.0.0.1'], '10.0.0.100'), false);
  assert.equal(allows(['10.0'], '10.0.3.4'), true, 'a partial prefix ends at a dot');
  assert.equal(allows(['10.0'], '10.01.3.4'), false);
  assert.equal(allows(['1'], '10.0.0.1'), false);
});

test('a prefix without a trailing separator matches its own family only', () => {
  assert.equal(allows(['10'], '10.1.2.3'), true);
  assert.equal(allows(['10'], '10::1'), false, 'a bare 10 is IPv4');
  assert.equal(allows(['10'], '10:0:0:0:0:0:0:1'), false);
  assert.equal(allows(['127'], '127::1'), false);
  assert.equal(allows(['10.0'], '10::1'), false);
  assert.equal(allows(['fe80'], 'fe80::1'), true, 'hex letters: IPv6');
  assert.equal(allows(['2001'], '2001:db8::1'), true, 'over 255: IPv6');
  assert.equal(allows(['fe80::1'], 'fe80::1'), true);
  assert.equal(allows(['10:'], '10::1'), true, 'a trailing colon asks for IPv6');
  assert.equal(allows(['10:'], '10.0.0.1'), false);
});

test('CIDR ranges, IPv4 and IPv6', () => {
  assert.equal(allows(['10.0.0.0/8'], '10.200.3.4'), true);
  assert.equal(allows(['10.0.0.0/8'], '11.0.0.1'), false);
  assert.equal(allows(['192.168.1.128/25'], '192.168.1.200'), true);
  assert.equal(allows(['192.168.1.128/25'], '192.168.1.100'), false);
  assert.equal(allows(['0.0.0.0/0'], '8.8.8.8'), true);
  assert.equal(allows(['2001:db8::/32'], '2001:db8:1::5'), true);
  assert.equal(allows(['2001:db8::/32'], '2001:db9::5'), false);
  assert.equal(allows(['::1'], '::1'), true);
  assert.equal(allows(['::1'], '::2'), false);
  assert.equal(allows(['::1/128'], '0:0:0:0:0:0:0:1'), true);
});

test('IPv4-mapped IPv6 addresses are read as IPv4; families never mix', () => {
  assert.equal(allows(['127.'], '::ffff:127.0.0.1'), true);
  assert.equal(allows(['10.0.0.0/8'], '::ffff:10.1.2.3'), true);
  assert.equal(allows(['::1'], '127.0.0.1'), false);
  assert.equal(allows(['127.0.0.0/8'], '::1'), false);
  assert.equal(allows([], '127.0.0.1'), false);
  assert.equal(new AllowList(['127.']).allows(undefined), false);
});

test('passwords compare by value whatever their lengths', () => {
  assert.equal(passwordMatches('secret', 'secret'), true);
  assert.equal(passwordMatches('secret', 'secreT'), false);
  assert.equal(passwordMatches('secret', 'secret-longer'), false);
  assert.equal(passwordMatches('secret', ''), false);
  assert.equal(passwordMatches('secret', undefined), false);
});

test('repeated failures from one address are slowed down, others are not, and state is bounded', () => {
  let now = 0;
  const t = new FailureThrottle(() => now);
  for (let i = 0; i < 5; i++) t.fail('1.1.1.1');
  assert.equal(t.delayMs('1.1.1.1'), 250);
  t.fail('1.1.1.1');
  assert.equal(t.delayMs('1.1.1.1'), 500);
  for (let i = 0; i < 20; i++) t.fail('1.1.1.1');
  assert.equal(t.delayMs('1.1.1.1'), 5000, 'capped');
  assert.equal(t.delayMs('2.2.2.2'), 0);
  now += 61_000;
  assert.equal(t.delayMs('1.1.1.1'), 0, 'forgotten after a minute');
  t.fail('3.3.3.3');
  t.succeed('3.3.3.3');
  assert.equal(t.delayMs('3.3.3.3'), 0);
  for (let i = 0; i < 20_000; i++) t.fail(`10.0.${i >> 8}.${i & 255}`);
  assert.ok((t as unknown as { failures: Map<string, unknown> }).failures.size <= 10_000);
});
