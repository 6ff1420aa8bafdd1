// oneLine: user text (a task's command) shown in one line of a terminal, harmless.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { oneLine, printable, safeJson } from '../../src/text.js';

test('C0 and C1 controls, bidi overrides and isolates, LRM/RLM, zero-width space become "?"', () => {
  assert.equal(oneLine('echo a\nb\tc\u001b[31m\u007f', 80), 'echo a?b?c?[31m?');
  // U+009B is CSI: a terminal reads "\u009b2J" as "clear the screen".
  assert.equal(oneLine('echo \u009b2J \u0085 \u0080\u009f', 80), 'echo ?2J ? ??');
  assert.equal(oneLine('rm -rf /tmp/\u202egnp.sh', 80), 'rm -rf /tmp/?gnp.sh');
  for (const c of ['\u202a', '\u202b', '\u202c', '\u202d', '\u2066', '\u2067', '\u2068', '\u2069']) {
    assert.equal(oneLine(`a${c}b`, 80), 'a?b', `U+${c.charCodeAt(0).toString(16)}`);
  }
  for (const c of ['\u200b', '\u200e', '\u200f', '\u061c', '\u2028', '\u2029', '\ufeff']) {
    assert.equal(oneLine(`a${c}b`, 80), 'a?b', `U+${c.charCodeAt(0).toString(16)}`);
  }
});

test('ordinary text stays, emoji with joiners included; long text is cut', () => {
  assert.equal(oneLine('echo héllo wörld 日本 👩‍💻', 80), 'echo héllo wörld 日本 👩‍💻');
  assert.equal(oneLine('x'.repeat(100), 10), 'xxxxxxx...');
});

test('safeJson: every unsafe character a \\u escape; parsed, exactly the value', () => {
  const value = { command: 'echo \u009b2J \u0085 \u202ex \u007f \u001b[0m \u2028', n: 1 };
  const text = safeJson(value, 2);
  assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e\u2028]/);
  assert.match(text, /\\u009b2J \\u0085 \\u202ex \\u007f \\u001b\[0m \\u2028/);
  assert.deepEqual(JSON.parse(text), value);
});

test('printable: newlines and tabs kept, other controls as \\x or \\u escapes', () => {
  assert.equal(
    printable('a\tb\n\u001b]52;c;x\u0007 \u009b \u202e\r'),
    'a\tb\n\\x1b]52;c;x\\x07 \\x9b \\u202e\\x0d',
  );
  assert.equal(printable('héllo 日本 👩‍💻'), 'héllo 日本 👩‍💻');
});
