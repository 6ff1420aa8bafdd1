// yaml-tree.ts: YAML and JSON as nodes that know their lines, scalars as written.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readYaml, YamlSyntaxError, type YamlNode } from '../../src/jobs/yaml-tree.js';

/** A node as plain data: scalars as [text, line], maps as objects, lists as arrays. */
function plain(node: YamlNode | null): unknown {
  if (node === null) return null;
  if (node.kind === 'scalar') return [node.text, node.line];
  if (node.kind === 'seq') return node.items.map(plain);
  return Object.fromEntries(
    node.pairs.map((p) => [String((p.key.kind === 'scalar' && p.key.text) || '?'), plain(p.value)]),
  );
}

test('scalars keep their text; YAML nulls are null; every node has its line', () => {
  const root = readYaml(`a: 010
b: true
c: "quoted: 'x'"
d: ~
e:
f: null
g: 'null'
h: |
  two
  lines
i: [1, "two"]
`);
  assert.deepEqual(plain(root), {
    a: ['010', 1],
    b: ['true', 2],
    c: ["quoted: 'x'", 3],
    d: [null, 4],
    e: [null, 5],
    f: [null, 6],
    g: ['null', 7],
    h: ['two\nlines\n', 9],
    i: [
      ['1', 11],
      ['two', 11],
    ],
  });
  assert.equal(root?.line, 1);
});

test('JSON is YAML: numbers as written, lines kept, a key given twice kept twice', () => {
  const root = readYaml('{\n  "time": 1.50,\n  "time": 2\n}');
  assert.equal(root?.kind, 'map');
  if (root?.kind !== 'map') return;
  assert.deepEqual(
    root.pairs.map((p) => [plain(p.key), plain(p.value)]),
    [
      [
        ['time', 2],
        ['1.50', 2],
      ],
      [
        ['time', 3],
        ['2', 3],
      ],
    ],
  );
});

test('an alias stands for its anchored node; an unknown one, a syntax error, two documents say their line', () => {
  const root = readYaml('x: &d {a: 1}\ny: *d\n');
  if (root?.kind !== 'map') return assert.fail('a map');
  assert.equal(root.pairs[1]?.value, root.pairs[0]?.value);
  const fails = (text: string, line: number, message: RegExp) =>
    assert.throws(
      () => readYaml(text),
      (err: unknown) => err instanceof YamlSyntaxError && err.line === line && message.test(err.message),
    );
  fails('a: 1\nb: *nope\n', 2, /unknown alias \*nope/);
  fails('a: [1\nb: 2\n', 2, /^not valid YAML: /);
  fails('a: 1\n---\nb: 2\n', 2, /more than one YAML document/);
  assert.equal(readYaml(''), null);
});
