// A crontab command as ktimer runs it: `%` and `\%` as cron reads them (cronie's do_command.c),
// the input handed over byte for byte by `printf '%s' '...' |`, to all of a compound command,
// under the crontab's SHELL. Checked by running the commands in bash, as the runner does.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { shellCommand, shellQuote, splitPercent } from '../../src/jobs/crontab-command.js';

/** What bash makes of a stored command: its stdout. */
const run = (command: string): string => execFileSync('/bin/bash', ['-c', command], { encoding: 'utf8' });

test('% ends the command; the rest is its input, % as newlines, with a final newline', () => {
  assert.deepEqual(splitPercent('mail -s hi root%line one%line two'), {
    command: 'mail -s hi root',
    stdin: 'line one\nline two\n',
  });
  assert.deepEqual(splitPercent('cat%ends with newline%'), { command: 'cat', stdin: 'ends with newline\n' });
  assert.deepEqual(splitPercent('cat%%'), { command: 'cat', stdin: '\n' });
  assert.deepEqual(splitPercent('cat%'), { command: 'cat', stdin: null }, 'nothing after %: no input at all');
  assert.deepEqual(splitPercent('no percent'), { command: 'no percent', stdin: null });
});

test('\\% is a % in the command and in the input; other backslashes stay', () => {
  assert.deepEqual(splitPercent('date +\\%Y-\\%m-\\%d'), { command: 'date +%Y-%m-%d', stdin: null });
  assert.deepEqual(splitPercent('printf "a\\tb\\n" \\\\%x'), {
    command: 'printf "a\\tb\\n" \\\\',
    stdin: 'x\n',
  });
  assert.deepEqual(splitPercent('cat%100\\% sure\\n%'), { command: 'cat', stdin: '100% sure\\n\n' });
  // cron's quirks, kept: `\\` in the input is one backslash that escapes what follows again,
  // and a final lone backslash is written after the newline check.
  assert.deepEqual(splitPercent('cat%a\\\\%b'), { command: 'cat', stdin: 'a\\%b\n' });
  assert.deepEqual(splitPercent('cat%a%\\'), { command: 'cat', stdin: 'a\n\\' });
});

test('the input reaches the command byte for byte, whatever it holds', () => {
  const texts = [
    "it's",
    '"double" and $HOME and `date` and $(id)',
    'back\\slash and \\n',
    '  leading and trailing  ',
    'émoji 🎉',
    '\t tab',
    "''''",
    '!history',
    'EOF',
  ];
  for (const text of texts) {
    const field = `cat%${text}`;
    const { command } = shellCommand(field, undefined);
    assert.equal(run(command), splitPercent(field).stdin, `${JSON.stringify(text)} -> ${command}`);
  }
});

test('a compound command gets the input as a whole; a simple one plainly', () => {
  assert.equal(shellCommand('wc -c%abc', undefined).command, "printf '%s' 'abc\n' | wc -c");
  const compound = shellCommand('read a; read b; echo "$b $a" # swap%one%two', undefined).command;
  assert.equal(compound, `printf '%s' 'one\ntwo\n' | { read a; read b; echo "$b $a" # swap\n}`);
  assert.equal(run(compound), 'two one\n');
  assert.equal(run(shellCommand('cd / && cat%in /', undefined).command), 'in /\n');
  assert.equal(run(shellCommand('true && tr a-z A-Z%shout', undefined).command), 'SHOUT\n');
});

test('SHELL: bash and sh run as they are; another shell runs the command itself', () => {
  assert.deepEqual(shellCommand('echo $0', '/bin/bash'), { command: 'echo $0' });
  assert.deepEqual(shellCommand('echo $0', '/bin/sh'), { command: 'echo $0' });
  const dash = shellCommand(`echo "$0" 'quoted'`, '/bin/dash');
  assert.deepEqual(dash, { command: `/bin/dash -c 'echo "$0" '\\''quoted'\\'''`, shell: '/bin/dash' });
  assert.equal(run(dash.command), '/bin/dash quoted\n');
  assert.equal(run(shellCommand('read x; echo "$0 $x"%fed', '/bin/dash').command), '/bin/dash fed\n');
});

test('shellQuote keeps every character', () => {
  const all = Array.from({ length: 255 }, (_, i) => String.fromCharCode(i + 1)).join('');
  assert.equal(run(`printf '%s' ${shellQuote(all)}`), all);
});
