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

test('the userinfo is the URL parser\'s: up to the last @ of the authority, whatever it holds (@, ", spaces)', () => {
  for (const password of ['p@ss', 'p"ss', 'pa ss', 'a@b"c d@e', 'p\\ss'.replace('\\', '%5C')]) {
    const url = `https://user:${password}@host.example/x?y=1`;
    assert.equal(new URL(url).hostname, 'host.example', url);
    const line = JSON.stringify({ command: url, msg: 'fire' });
    assert.equal(
      maskUrlUserinfo(line),
      JSON.stringify({ command: 'https://***@host.example/x?y=1', msg: 'fire' }),
      url,
    );
  }
  // In a shell command too, and percent-encoded in a query string.
  assert.equal(
    maskUrlUserinfo(JSON.stringify({ command: 'curl -s "https://u:p w@d@h/x"' })),
    JSON.stringify({ command: 'curl -s "https://***@h/x"' }),
  );
  assert.equal(
    maskUrlUserinfo('/?command=http%3A%2F%2Fu%3Ap%40ss%40h%2Fx&time=5'),
    '/?command=http%3A%2F%2F***%40h%2Fx&time=5',
  );
});

test('a URL the parser refuses has its whole authority masked', () => {
  for (const [url, masked] of [
    ['https://u:p@[bad/x', 'https://***/x'],
    ['http://u:s3cret@h:99999/', 'http://***/'],
    ['https://[bad', 'https://***'],
  ] as [string, string][]) {
    assert.throws(() => new URL(url));
    assert.equal(maskUrlUserinfo(JSON.stringify({ command: url })), JSON.stringify({ command: masked }), url);
  }
  assert.equal(
    maskUrlUserinfo('/?command=http%3A%2F%2Fu%3Ap%40%5Bbad%2Fx'),
    '/?command=http%3A%2F%2F***%2Fx',
  );
});
