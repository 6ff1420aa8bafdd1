// "Did you mean ...?" for unknown commands and options.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildProgram } from '../../src/cli/program.js';
import { didYouMean, similar } from '../../src/cli/suggest.js';

const COMMANDS = [...buildProgram([]).commands.map((c) => c.name()), 'help'];

test('a name the word begins comes first, then one- or two-edit slips', () => {
  assert.deepEqual(similar('stat', COMMANDS), ['status', 'start']);
  assert.deepEqual(similar('statu', COMMANDS), ['status']);
  assert.deepEqual(similar('strat', COMMANDS), ['start']);
  assert.deepEqual(similar('stpo', COMMANDS), ['stop']);
  assert.deepEqual(similar('lst', COMMANDS), ['list']);
  assert.deepEqual(similar('upadte', COMMANDS), ['update']);
  assert.deepEqual(similar('bogus', COMMANDS), []);
  assert.deepEqual(similar('s', COMMANDS), []);
  const options = ['type', 'time', 'limit', 'command', 'file', 'config', 'json', 'help'];
  assert.deepEqual(similar('comand', options), ['command']);
  assert.deepEqual(similar('limt', options), ['limit']);
  assert.deepEqual(similar('tim', options), ['time']);
});

test('the hint reads as a sentence', () => {
  assert.equal(didYouMean([]), '');
  assert.equal(didYouMean(['status']), ' (Did you mean status?)');
  assert.equal(didYouMean(['status', 'start']), ' (Did you mean status or start?)');
  assert.equal(didYouMean(['a', 'b', 'c']), ' (Did you mean a, b or c?)');
});
