// URL credentials masked in log lines, plain and percent-encoded, and nothing else touched.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskUrlUserinfo } from '../../src/log/mask-userinfo.js';

test('the userinfo of every URL in a line is masked, plain or percent-encoded', () => {
  const line = JSON.stringify({
    command: 'curl "https://u:p%40ss@h.example/x?a=b@c" http://tok@h2/',
    output: 'x',
  });
  assert.equal(
    maskUrlUserinfo(line),
    JSON.stringify({ command: 'curl "https://***@h.example/x?a=b@c" http://***@h2/', output: 'x' }),
  );
  assert.equal(
    maskUrlUserinfo('/?action=add&command=http%3A%2F%2Falice%3As3cret%40example.com%2F&time=5'),
    '/?action=add&command=http%3A%2F%2F***%40example.com%2F&time=5',
  );
});

test('addresses without userinfo, and mail addresses, stay as they are', () => {
  for (const text of [
    'https://example.com/path?to=a@b.c',
    'mail root@localhost',
    'http%3A%2F%2Fh%2Fp%3Fx%3Da%40b',
    '/?command=http%3A%2F%2Fh%2F&mail=a%40b',
  ]) {
    assert.equal(maskUrlUserinfo(text), text);
  }
});
