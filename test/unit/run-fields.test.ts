// Issue 24's task fields as pure rules (on, cwd, env, user, output_max, notify) and issue 25's
// group: what a command line or a file may give, and the one line that says what is wrong.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KtimerError } from '../../src/errors.js';
import {
  formatOutputMax,
  MAX_OUTPUT_BYTES,
  parseCwd,
  parseEnv,
  parseEnvAssignment,
  parseLabels,
  parseNotify,
  parseOutputMax,
  parseUser,
} from '../../src/tasks/run-fields.js';
import { parseGroup } from '../../src/tasks/task-group.js';

const usage = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(
    fn,
    (err: unknown) => err instanceof KtimerError && err.code === 'usage' && pattern.test(err.message),
  );

test('on: labels from -on=a,b or a list, sorted and each once; host:NAME is a label', () => {
  assert.deepEqual(parseLabels('eu,db'), ['db', 'eu']);
  assert.deepEqual(parseLabels(['db', ' eu ', 'db', 'host:web-1.example.com']), [
    'db',
    'eu',
    'host:web-1.example.com',
  ]);
  usage(() => parseLabels('db,,eu'), /empty label/);
  usage(() => parseLabels(['two words']), /label "two words" is invalid/);
  usage(() => parseLabels(Array.from({ length: 17 }, (_, i) => `l${i}`)), /at most 16/);
});

test('env: NAME=VALUE, names as a shell has them, values any text but NUL', () => {
  assert.deepEqual(parseEnvAssignment('PATH=/usr/bin:/bin'), ['PATH', '/usr/bin:/bin']);
  assert.deepEqual(parseEnvAssignment('EMPTY='), ['EMPTY', '']);
  assert.deepEqual(parseEnvAssignment('EQ=a=b'), ['EQ', 'a=b']);
  usage(() => parseEnvAssignment('=x'), /expected NAME=VALUE/);
  usage(() => parseEnvAssignment('1X=y'), /env name "1X" is invalid/);
  usage(() => parseEnvAssignment('X=a\0b'), /env X contains a NUL byte/);
  assert.deepEqual(
    Object.keys(
      parseEnv([
        ['B', '1'],
        ['A', '2'],
      ]),
    ),
    ['A', 'B'],
  );
  usage(
    () =>
      parseEnv([
        ['A', '1'],
        ['A', '2'],
      ]),
    /env A is given twice/,
  );
});

test('output_max: bytes, k or M, up to 16M; written back as the shortest', () => {
  assert.equal(parseOutputMax('8k'), 8192);
  assert.equal(parseOutputMax('1M'), 1_048_576);
  assert.equal(parseOutputMax('1000'), 1000);
  assert.equal(parseOutputMax('16M'), MAX_OUTPUT_BYTES);
  usage(() => parseOutputMax('17M'), /at most 16M/);
  usage(() => parseOutputMax('1.5M'), /output_max "1.5M" is invalid/);
  usage(() => parseOutputMax('8kb'), /invalid/);
  assert.deepEqual([8192, 1_048_576, 3072, 1000, 0, 1536].map(formatOutputMax), [
    '8k',
    '1M',
    '3k',
    1000,
    0,
    1536,
  ]);
});

test('notify on|off; cwd absolute; user a user name', () => {
  assert.equal(parseNotify('off'), 'off');
  assert.equal(parseNotify('ON'), 'on');
  assert.equal(parseNotify('false'), 'off');
  usage(() => parseNotify('mail'), /expected on or off/);
  assert.equal(parseCwd('/srv/app'), '/srv/app');
  usage(() => parseCwd('srv'), /not an absolute path/);
  assert.equal(parseUser('www-data'), 'www-data');
  assert.equal(parseUser('host$'), 'host$');
  usage(() => parseUser('root;id'), /user "root;id" is invalid/);
});

test('group: written as a name is', () => {
  assert.equal(parseGroup('nightly.db-1'), 'nightly.db-1');
  usage(() => parseGroup('night shift'), /group "night shift" is invalid/);
  usage(() => parseGroup(''), /group "" is invalid/);
});
