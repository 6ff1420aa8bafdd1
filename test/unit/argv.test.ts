// Go-style options rewritten to the GNU form commander reads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeArgv } from '../../src/cli/argv.js';

test('-name=value becomes --name=value; GNU forms and single letters stay', () => {
  assert.deepEqual(normalizeArgv(['add', '-type=ticker', '-time=5', '-command=date --rfc-3339=ns']), [
    'add',
    '--type=ticker',
    '--time=5',
    '--command=date --rfc-3339=ns',
  ]);
  assert.deepEqual(normalizeArgv(['add', '--type', 'timer', '--time=5']), [
    'add',
    '--type',
    'timer',
    '--time=5',
  ]);
  assert.deepEqual(normalizeArgv(['start', '-d']), ['start', '-d']);
  assert.deepEqual(normalizeArgv(['-h']), ['-h']);
  assert.deepEqual(normalizeArgv(['-help']), ['--help']);
  assert.deepEqual(normalizeArgv(['count', '-json']), ['count', '--json']);
});

test('the value after a value-taking option is never rewritten', () => {
  assert.deepEqual(normalizeArgv(['add', '--command', '-rf']), ['add', '--command', '-rf']);
  assert.deepEqual(normalizeArgv(['add', '-command', '-rf=x']), ['add', '--command', '-rf=x']);
  assert.deepEqual(normalizeArgv(['--config', '-weird.ini', 'count']), ['--config', '-weird.ini', 'count']);
});

test('stray words and words after -- are left as they are', () => {
  assert.deepEqual(normalizeArgv(['add', 'abc=x*y=z', 'efg']), ['add', 'abc=x*y=z', 'efg']);
  assert.deepEqual(normalizeArgv(['add', '--', '-time=5']), ['add', '--', '-time=5']);
});
