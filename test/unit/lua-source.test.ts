// A script's source as Redis gets it: its includes spliced in, pruned to what its body reaches
// (src/store/lua-source.ts). Each script keeps every definition it calls, and none it does not.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { scriptDefinitions } from '../../src/store/lua-generated.js';
import { pruneIncluded, scriptSource } from '../../src/store/lua-source.js';
import { readLua } from '../../src/store/script.js';

const included = `-- the helper's comment
local function helper(x)
  return x + 1
end

-- used by nothing
local function unused()
  return helper(2)
end

local LIMIT, OTHER = 10, 20
local T = {}
function T.one() return helper(LIMIT) end
function T.two() return 2 end
local function wants_other()
  return OTHER
end`;

test('pruning keeps what the body reaches, transitively, with its comments, and nothing else', () => {
  const out = pruneIncluded(included, 'return T.one()');
  assert.match(out, /-- the helper's comment\nlocal function helper/);
  assert.match(out, /local LIMIT, OTHER = 10, 20/);
  assert.match(out, /function T\.one\(\)/);
  assert.doesNotMatch(out, /unused|T\.two|wants_other/);
  assert.doesNotMatch(out, /used by nothing/);
});

test('a name in a comment line keeps nothing; a statement defining no name is always kept', () => {
  const out = pruneIncluded(`${included}\nredis.setresp(3)`, '-- helper(1)\nreturn 1');
  assert.doesNotMatch(out, /helper/);
  assert.match(out, /redis\.setresp\(3\)/);
});

test('a file without includes comes back as it is; includes are spliced, nested ones too', () => {
  const files: Record<string, string> = {
    'a.lua': '-- header\n--#include include/b.lua\nreturn f()',
    'include/b.lua': '--#include include/c.lua\nlocal function f() return g() end\nlocal function h() end',
    'include/c.lua': 'local function g() return 1 end',
  };
  const read = (f: string): string => files[f] ?? '';
  assert.equal(scriptSource('include/c.lua', read), files['include/c.lua']);
  const out = scriptSource('a.lua', read);
  assert.match(out, /^-- header\n/);
  assert.match(
    out,
    /local function g\(\) return 1 end\nlocal function f\(\) return g\(\) end\n--#body\nreturn f\(\)$/,
  );
  assert.doesNotMatch(out, /function h/);
});

test('every script carries no local function it never uses', () => {
  for (const def of scriptDefinitions()) {
    const code = readLua(`${def.name}.lua`)
      .split('\n')
      .filter((l) => !/^\s*--/.test(l))
      .join('\n');
    for (const [, name] of code.matchAll(/^local function (\w+)/gm)) {
      const uses = [...code.matchAll(new RegExp(`(?<![\\w.])${name ?? ''}\\b`, 'g'))].length;
      assert.ok(uses >= 2, `${def.name}.lua: ${name ?? ''} is defined and never used`);
    }
    assert.equal([...code.matchAll(/^function ARGS\.(\w+)/gm)].length, 1, `${def.name}.lua: one ARGS layout`);
  }
});

test('no include keeps per-call state in its top level (a Functions library keeps it across calls)', () => {
  const dir = new URL('../../src/store/lua/', import.meta.url);
  const files = [
    ...readdirSync(dir).filter((f) => f.endsWith('.lua')),
    ...readdirSync(new URL('include/', dir)).map((f) => `include/${f}`),
  ];
  const texts = files.map((f) => [f, readFileSync(new URL(f, dir), 'utf8')] as const);
  for (const [file, text] of texts.filter(([f]) => f.startsWith('include/'))) {
    for (const [line, list] of text.matchAll(/^local ([A-Za-z_][\w, ]*?)\s*=(?!=).*$/gm)) {
      for (const name of (list ?? '').split(',').map((x) => x.trim())) {
        const written = new RegExp(
          `(?<![\\w.])${name}\\s*(?:\\[[^\\]]*\\]|\\.\\w+)?\\s*=(?!=)|table\\.\\w+\\(\\s*${name}\\b`,
        );
        for (const [other, code] of texts)
          for (const l of code.split('\n'))
            assert.ok(l === line || !written.test(l), `${other} writes ${file}'s top-level ${name}: ${l}`);
      }
    }
  }
});

test('every script that puts runs on record calls trim_runs: the output count it changed is sent there', () => {
  // run-record.lua adds a script's output byte changes up and sends them in one INCRBY inside
  // trim_runs (drop_oldest_outputs): a script recording runs without it would lose them.
  const recording = scriptDefinitions().filter((def) =>
    /^local function record_run\b/m.test(readLua(`${def.name}.lua`)),
  );
  assert.ok(recording.length >= 3, recording.map((d) => d.name).join(' '));
  for (const def of recording) {
    const calls = readLua(`${def.name}.lua`)
      .split('\n')
      .filter((l) => !/^\s*--/.test(l) && !/^local function trim_runs\b/.test(l))
      .filter((l) => /(?<![\w.])trim_runs\(/.test(l));
    assert.ok(calls.length > 0, `${def.name}.lua records runs and never calls trim_runs`);
  }
});
