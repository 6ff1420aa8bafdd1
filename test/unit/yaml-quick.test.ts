// yaml-quick.ts: where it reads a text, it reads it as js-yaml does (the same nodes, the same
// lines); where it is not sure, it declines, and js-yaml reads it (errors and all).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFileText, type FileTask } from '../../src/jobs/export.js';
import { readQuickYaml } from '../../src/jobs/yaml-quick.js';
import { readYamlEvents, type YamlNode } from '../../src/jobs/yaml-tree.js';
import { seededRandom } from '../helpers/seeded-random.js';

// Keys and values of the subset, and many just outside it (or outside YAML).
const KEYS = [
  'a',
  'b-1',
  'type',
  'null',
  'Null',
  '~',
  '1',
  '010',
  'x.y',
  'a/b',
  'tasks',
  'group',
  '<<',
  'a b',
  '"q"',
  "'s'",
  'a:b',
  '-x',
  '?x',
  '&x',
  '*x',
  '!x',
  'x#y',
  'true',
  '_u',
  'a.',
  '.a',
  'k\t',
  'é',
  '[a]',
  '{a}',
];
const VALUES = [
  'x',
  'echo hi',
  'echo a, b',
  'a #c',
  'a#b',
  'a # c: d',
  'a: b',
  'a:',
  'a::b',
  'a:b',
  '~',
  '~x',
  'null',
  'NULL',
  'nul',
  '""',
  "''",
  '"a\\"b"',
  '"a\\nb"',
  '"a\\tb"',
  '"a\\x41"',
  '"a\\u0041"',
  '"a\\/b"',
  '"a\\\\"',
  '"a\\ b"',
  '"a"b',
  '"a" b',
  '"a" #c',
  '"a"#c',
  '"a',
  "'it''s'",
  "'a'b",
  "'a' # c",
  "'a",
  '[a, b]',
  '[]',
  '[ ]',
  '["x"]',
  '["a,b"]',
  '[a,]',
  '[a b]',
  '[[a]]',
  '[a] b',
  '[a]#c',
  '[a] # c',
  '[null, ~]',
  '{a: 1}',
  '|',
  '>',
  '&a x',
  '*a',
  '!t x',
  '- x',
  '-x',
  '...',
  '---',
  '.5',
  '+1',
  '$x',
  '(x)',
  'a "b"',
  "a 'b'",
  'x,y',
  '%x',
  '@x',
  '`x`',
  'x  ',
  '?x',
  ':x',
  '=x',
  '300',
  '0x1F',
  '1e3',
  'true',
  '/usr/bin/x --n 1',
  'é',
  'a\tb',
  'a\rb',
  '#x',
];

function line(rnd: () => number, depth: number, indents: number[]): string[] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const r = rnd();
  if (r < 0.04) return [pick(['', '   ', '# a comment', '  # indented comment', '---', '...', '%YAML 1.2'])];
  const indent = ' '.repeat(indents[depth] ?? 0) + (rnd() < 0.03 ? ' ' : '');
  const key = rnd() < 0.95 ? pick(KEYS.slice(0, 11)) : pick(KEYS);
  if (depth < 3 && rnd() < 0.25) {
    const comment = rnd() < 0.2 ? ' # c' : '';
    const children = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () =>
      line(rnd, depth + 1, indents),
    ).flat();
    return [`${indent}${key}:${comment}`, ...(rnd() < 0.1 ? [] : children)];
  }
  const value = rnd() < 0.75 ? pick(VALUES.slice(0, 12)) : pick(VALUES);
  // Now and then no space after the colon: `a:b` is one plain scalar, no key.
  const lines = [`${indent}${key}:${rnd() < 0.03 ? '' : ' '}${value}`];
  if (rnd() < 0.03) lines.push(`${indent}  more`);
  return lines;
}

function generated(seed: number): string {
  const rnd = seededRandom(seed);
  const step = 1 + Math.floor(rnd() * 4);
  const indents = [0, step, 2 * step, 3 * step];
  const lines = Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => line(rnd, 0, indents)).flat();
  return lines.join(rnd() < 0.05 ? '\r\n' : '\n') + (rnd() < 0.5 ? '\n' : '');
}

/** js-yaml's tree of the text, or the error it gives. */
function slow(text: string): YamlNode | null | Error {
  try {
    return readYamlEvents(text);
  } catch (err) {
    return err as Error;
  }
}

test('over 20,000 generated files, the quick reader gives js-yaml nodes exactly, or declines', () => {
  let taken = 0;
  for (let seed = 1; seed <= 20_000; seed++) {
    const text = generated(seed);
    const quick = readQuickYaml(text);
    if (quick === undefined) continue;
    taken++;
    const expected = slow(text);
    assert.ok(
      !(expected instanceof Error),
      `seed ${seed}: js-yaml refuses what the quick reader took:\n${text}`,
    );
    assert.deepEqual(quick, expected, `seed ${seed}:\n${text}`);
  }
  // Enough files of the subset to mean something (the generator leans towards it).
  assert.ok(taken > 3000, `${taken} taken`);
});

test('what export prints, and a file like the bench one, are read quickly and alike', () => {
  const tasks: FileTask[] = [
    {
      name: 'db-backup',
      fields: { type: 'cron', cron: '0 30 3 * * *', tz: 'Europe/Berlin', command: '/usr/bin/b "x"' },
    },
    {
      name: 'beat',
      fields: { type: 'ticker', time: 300, command: 'echo a: b # c', on: ['db', 'eu'], retries: 2 },
    },
    { name: 'envy', fields: { type: 'ticker', time: 5, command: "it's", env: { A: '1', B: 'two words' } } },
  ];
  const bench = [
    'group: bench',
    'tasks:',
    '  bench-0:',
    '    type: "ticker"',
    '    time: 3600',
    '    on: [db]',
    '',
  ];
  for (const text of [applyFileText('nightly', tasks, 'yaml'), bench.join('\n')]) {
    const quick = readQuickYaml(text);
    assert.notEqual(quick, undefined, text);
    assert.deepEqual(quick, readYamlEvents(text));
  }
});

test('the forms it leaves to js-yaml: block lists, anchors, block scalars, multi-line values, tabs, JSON', () => {
  for (const text of [
    'a:\n  - x\n',
    'a: &d {b: 1}\nc: *d\n',
    'a: |\n  x\n',
    'a: b\n  c\n',
    'a:\tb\n',
    '{"group": "g"}',
    'a: "\\x41"\n',
    '',
    '# only a comment\n',
  ])
    assert.equal(readQuickYaml(text), undefined, text);
});
