// [task] env_file's reader: NAME=VALUE lines, quotes, comments, export, the last line winning, and
// one clear error (file:line) for anything else.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseEnvFile, readEnvFile } from '../../src/config/env-file.js';
import { KtimerError } from '../../src/errors.js';

const parse = (text: string) => parseEnvFile(text, '/etc/ktimer/task.env');

test('NAME=VALUE lines; comments and blank lines skipped; spaces around names and plain values go', () => {
  const text = [
    '# the fleet',
    '',
    'PATH=/usr/local/bin:/usr/bin:/bin',
    '  LANG = C.UTF-8  ',
    'EMPTY=',
    'URL=https://x.example/?a=1&b=2#frag',
    'DOLLAR=$HOME/x',
    '\tINDENTED=yes\r',
  ].join('\n');
  assert.deepEqual(parse(text), {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    EMPTY: '',
    URL: 'https://x.example/?a=1&b=2#frag',
    DOLLAR: '$HOME/x',
    INDENTED: 'yes',
  });
});

test('quotes: double with escapes, single exactly as written; export allowed; the last line wins', () => {
  const text = [
    'A="two words "',
    'B="say \\"hi\\"\\n\\tthen \\$5 \\\\ done"',
    "C=' a \\n $b '",
    'export D=1',
    'D=2',
    'E=""',
  ].join('\n');
  assert.deepEqual(parse(text), {
    A: 'two words ',
    B: 'say "hi"\n\tthen $5 \\ done',
    C: ' a \\n $b ',
    D: '2',
    E: '',
  });
});

test('a bad line is an error naming the file and line, and what to fix', () => {
  const bad: [string, RegExp][] = [
    ['OK=1\njust words', /^\/etc\/ktimer\/task\.env:2: expected NAME=VALUE, got "just words"$/],
    ['1ABC=x', /:1: "1ABC" is not a variable name/],
    ['A-B=x', /:1: "A-B" is not a variable name/],
    ['=x', /:1: "" is not a variable name/],
    ['A="open', /:1: the double quote is not closed on this line/],
    ["A='open", /:1: the single quote is not closed on this line/],
    ['A="x" y', /:1: text after the closing quote; quote the whole value/],
    ['A="\\q"', /:1: unknown escape \\q in a double-quoted value/],
    ['A=a\0b', /:1: A's value holds a NUL byte/],
  ];
  for (const [text, message] of bad) {
    assert.throws(
      () => parse(text),
      (err: unknown) => err instanceof KtimerError && err.code === 'config' && message.test(err.message),
      text,
    );
  }
});

const dir = mkdtempSync(join(tmpdir(), 'kt-env-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('readEnvFile reads the file; a missing one says which and what to do', () => {
  const file = join(dir, 'task.env');
  writeFileSync(file, 'A=1\nB="2"\n');
  assert.deepEqual(readEnvFile(file), { A: '1', B: '2' });
  assert.throws(
    () => readEnvFile(join(dir, 'nope.env')),
    (err: unknown) =>
      err instanceof KtimerError &&
      err.message ===
        `cannot read env_file ${dir}/nope.env (ENOENT); fix the path in [task] env_file, or check its permissions`,
  );
});

test('the example of docs/running-tasks.md reads as it says', () => {
  const doc = readFileSync(new URL('../../docs/running-tasks.md', import.meta.url), 'utf8');
  // The block under its heading (the page's first shows a task's -env at work).
  const section = doc.split('### `[task] env_file`')[1] ?? '';
  const example = section.split('```sh\n')[1]?.split('```')[0] ?? '';
  assert.deepEqual(parseEnvFile(example, 'docs/running-tasks.md'), {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    GREETING: 'two words, a "quote" and a newline\n',
    LITERAL: 'as written: $HOME \\n',
    BACKUP_DIR: '/srv/backup',
  });
});
