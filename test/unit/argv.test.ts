// Go-style options rewritten to the GNU form commander reads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeArgv, VALUE_OPTIONS } from '../../src/cli/argv.js';
import { buildProgram } from '../../src/cli/program.js';

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

test('every option declared with a value is one whose value is never rewritten', () => {
  const program = buildProgram(['help']);
  const declared = new Set<string>();
  for (const cmd of [program, ...program.commands])
    for (const o of cmd.options) if ((o.required || o.optional) && o.long) declared.add(o.long.slice(2));
  assert.deepEqual([...declared].filter((n) => !VALUE_OPTIONS.has(n)).sort(), []);
  assert.deepEqual([...VALUE_OPTIONS].filter((n) => !declared.has(n)).sort(), []);
  // A reason or a date that starts with a dash stays the value it is.
  assert.deepEqual(normalizeArgv(['pause', 'a', 'b', '--reason', '-deploy']), [
    'pause',
    'a',
    'b',
    '--reason',
    '-deploy',
  ]);
});

test('stray words and words after -- are left as they are', () => {
  assert.deepEqual(normalizeArgv(['add', 'abc=x*y=z', 'efg']), ['add', 'abc=x*y=z', 'efg']);
  assert.deepEqual(normalizeArgv(['add', '--', '-time=5']), ['add', '--', '-time=5']);
});

test('a quoted cron expression is one word and survives whole; -n=5 becomes -n 5', () => {
  // The shell hands `-cron="0 30 3 * * *"` over as one word, quotes gone, spaces and stars kept.
  assert.deepEqual(normalizeArgv(['add', '-type=cron', '-cron=0 30 3 * * *', '-tz=Europe/Berlin']), [
    'add',
    '--type=cron',
    '--cron=0 30 3 * * *',
    '--tz=Europe/Berlin',
  ]);
  assert.deepEqual(normalizeArgv(['add', '--cron', '*/5 * * * *', '-misfire=all']), [
    'add',
    '--cron',
    '*/5 * * * *',
    '--misfire=all',
  ]);
  assert.deepEqual(normalizeArgv(['next', 'KID', '-n=5']), ['next', 'KID', '-n', '5']);
  assert.deepEqual(normalizeArgv(['next', 'KID', '-n', '5']), ['next', 'KID', '-n', '5']);
});
