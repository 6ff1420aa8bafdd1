// Each Lua script and its TypeScript definition describe one contract: the keys in the
// script's header are the definition's keys, in order, and the status codes the script returns
// are those of the one table (STATUS). A script changed on one side only fails here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as fireScripts from '../../src/store/fire-scripts.js';
import * as pauseScripts from '../../src/store/pause-scripts.js';
import { type Script, STATUS } from '../../src/store/script.js';
import { RECORD_FIELDS } from '../../src/store/run-record.js';
import * as taskScripts from '../../src/store/task-scripts.js';

const LUA_DIR = new URL('../../src/store/lua/', import.meta.url);

/** Every script definition the stores use: the exported objects with a name and keys. */
const definitions = (
  [...Object.values(taskScripts), ...Object.values(fireScripts), ...Object.values(pauseScripts)] as unknown[]
).filter(
  (v): v is Script<unknown, unknown> => typeof v === 'object' && v !== null && 'name' in v && 'keys' in v,
);

test('every Lua file has one definition, and every definition a Lua file', () => {
  const files = readdirSync(LUA_DIR)
    .filter((f) => f.endsWith('.lua'))
    .map((f) => f.slice(0, -4))
    .sort();
  assert.deepEqual(definitions.map((d) => d.name).sort(), files);
});

for (const def of definitions) {
  test(`${def.name}.lua: its header names the definition's keys in order, its codes are in STATUS`, () => {
    const lua = readFileSync(new URL(`${def.name}.lua`, LUA_DIR), 'utf8');
    const header = lua
      .split('\n')
      .filter((l) => l.startsWith('--'))
      .join('\n');
    const named = [...header.matchAll(/KEYS\[(\d+)\] (\w+)/g)].map((m) => [Number(m[1]), m[2]]);
    assert.deepEqual(
      named,
      def.keys.map((k, i) => [i + 1, k]),
      'KEYS[i] in the header, by the name of the definition',
    );
    const used = [...lua.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]));
    assert.ok(Math.max(...used) <= def.keys.length, 'no key beyond those defined');
    const codes = [...lua.matchAll(/^\s*return (-?\d+)\s*$/gm)].map((m) => Number(m[1]));
    const known = new Set<number>(Object.values(STATUS));
    for (const code of codes) assert.ok(known.has(code), `return ${code} is not in STATUS`);
  });
}

test('replies are checked: anything a script would not send is an internal error, never a guess', () => {
  const internal = (fn: () => unknown) => assert.throws(fn, { name: 'KtimerError', code: 'internal' });
  assert.equal(taskScripts.ADD.decode(STATUS.exists), 'exists');
  internal(() => taskScripts.ADD.decode(STATUS.changed));
  internal(() => taskScripts.UPDATE.decode(7));
  // A name taken: the scripts reply the holder's kid; add_many each task taken, by its index.
  assert.deepEqual(taskScripts.ADD.decode('k1'), { takenBy: 'k1' });
  assert.deepEqual(taskScripts.UPDATE.decode('k2'), { takenBy: 'k2' });
  internal(() => taskScripts.ADD.decode(''));
  assert.deepEqual(taskScripts.ADD_MANY.decode([1, 'k1', 3, 'k2']), [
    { index: 0, takenBy: 'k1' },
    { index: 2, takenBy: 'k2' },
  ]);
  internal(() => taskScripts.ADD_MANY.decode([1]));
  internal(() => taskScripts.ADD_MANY.decode([]));
  assert.equal(taskScripts.ADD_MANY.decode(3), 3);
  internal(() => taskScripts.ADD_MANY.decode(-7));
  internal(() => taskScripts.DEL.decode('2'));
  assert.deepEqual(taskScripts.LIST.decode([5, 3, 'a', '1.5', '{}', 'b', '2', null]), {
    total: 5,
    position: 3,
    rows: [
      { kid: 'a', score: '1.5', raw: '{}' },
      { kid: 'b', score: '2', raw: null },
    ],
  });
  internal(() => taskScripts.LIST.decode([1, 0, 'a', '{}']));
  internal(() => taskScripts.LIST.decode([1, 0, 'a', 1.5, '{}']));
  const fire = {
    id: 'k:1',
    kid: 'k',
    type: 'timer',
    kind: 'url',
    command: 'http://x/',
    due: 1,
    run_num: 1,
    limit: 1,
    claimed: 1000,
    owner: 'A',
    token: 't',
  };
  const reply = fireScripts.CLAIM.decode(['0.005', -1, 0, ['fire', JSON.stringify(fire)]]);
  assert.deepEqual(reply, { nextDueMs: 5, dueLeft: null, entries: [{ kind: 'fire', fire }] });
  assert.equal(fireScripts.CLAIM.decode(['1.0004', 900, 2]).nextDueMs, 900, 'the earlier of score and lease');
  assert.equal(fireScripts.CLAIM.decode([null, -1, 1]).dueLeft, 'room');
  internal(() => fireScripts.CLAIM.decode([5, -1, 0]));
  internal(() => fireScripts.CLAIM.decode(['5', -1, 3]));
  internal(() => fireScripts.CLAIM.decode(['5', -1, 0, ['fire', JSON.stringify({ ...fire, kind: 'ftp' })]]));
  internal(() =>
    fireScripts.CLAIM.decode(['5', -1, 0, ['fire', JSON.stringify({ ...fire, token: undefined })]]),
  );
  const timed = fireScripts.CLAIM.decode(['5', -1, 0, ['fire', JSON.stringify({ ...fire, timeout: 7 })]]);
  assert.deepEqual(timed.entries, [{ kind: 'fire', fire: { ...fire, timeout: 7 } }]);
  internal(() => fireScripts.CLAIM.decode(['5', -1, 0, ['fire', JSON.stringify({ ...fire, timeout: 0.5 })]]));
  internal(() => fireScripts.CLAIM.decode(['5', -1, 0, ['mystery', 'x']]));
  internal(() => fireScripts.CLAIM.decode(['5', -1, 0, ['missed', 'k', 'sometimes', 1, 2, 3]]));
  assert.deepEqual(fireScripts.CLAIM.decode([null, -1, 0, ['missed', 'k', 'skip', 3, 1000, 4000]]).entries, [
    { kind: 'missed', kid: 'k', policy: 'skip', count: 3, firstDueMs: 1000, nextDueMs: 4000 },
  ]);
  const lost = { fire_id: 'k:1', kid: 'k', result: 'lost', ok: false, host: 'h', due: 1, finished: 2 };
  assert.deepEqual(fireScripts.CLAIM.decode([null, -1, 0, ['lost', JSON.stringify(lost), 2]]), {
    nextDueMs: null,
    dueLeft: null,
    entries: [{ kind: 'lost', record: { ...lost, trigger: 'schedule', attempt: 1 }, streak: 2 }],
  });
  internal(() => fireScripts.CLAIM.decode([null, -1, 0, ['lost', JSON.stringify(lost)]]));
  internal(() => fireScripts.CLAIM.decode([null, -1, 0, ['lost', '{"kid":"k"}', 1]]));
  // What Redis keeps leaves out the kid, ok, and the usual trigger and attempt: read back whole.
  assert.deepEqual(
    fireScripts.CLAIM.decode([null, -1, 0, ['lost', '{"fire_id":"k:1","result":"lost"}', 1]]).entries,
    [
      {
        kind: 'lost',
        record: { fire_id: 'k:1', kid: 'k', result: 'lost', ok: false, trigger: 'schedule', attempt: 1 },
        streak: 1,
      },
    ],
  );
  const skipped = { ...lost, result: 'skipped' };
  assert.deepEqual(fireScripts.CLAIM.decode([null, -1, 0, ['skipped', JSON.stringify(skipped)]]).entries, [
    { kind: 'skipped', record: { ...skipped, trigger: 'schedule', attempt: 1 } },
  ]);
  internal(() =>
    fireScripts.CLAIM.decode([null, -1, 0, ['skipped', JSON.stringify({ ...lost, result: 'meh' })]]),
  );
  const retry = { ...fire, trigger: 'retry', attempt: 2, first: 'k:1', retries: 3, retry_delay: 5 };
  assert.deepEqual(fireScripts.CLAIM.decode(['5', -1, 0, ['fire', JSON.stringify(retry)]]).entries, [
    { kind: 'fire', fire: retry },
  ]);
  internal(() =>
    fireScripts.CLAIM.decode(['5', -1, 0, ['fire', JSON.stringify({ ...fire, trigger: 'cosmic ray' })]]),
  );
  internal(() => fireScripts.CLAIM.decode(['5', -1, 0, ['fire', JSON.stringify({ ...fire, attempt: 0 })]]));
  assert.deepEqual(pauseScripts.PAUSE.decode([1, 0, -4]), ['done', 'missing', 'already']);
  internal(() => pauseScripts.PAUSE.decode([-3]));
  internal(() => pauseScripts.PAUSE.decode(1));
  assert.deepEqual(pauseScripts.RESUME.decode([1, -3, -4, 0]), ['done', 'changed', 'already', 'missing']);
  internal(() => pauseScripts.RESUME.decode([-1]));
  assert.deepEqual(
    fireScripts.FINISH.decode([
      [1, 0, 1],
      [0, 0, 0],
      [1, -3, 0],
    ]),
    [
      { recorded: true, streak: 0, retried: true },
      { recorded: false, streak: 0, retried: false },
      { recorded: true, streak: -3, retried: false },
    ],
  );
  internal(() => fireScripts.FINISH.decode(2));
  internal(() => fireScripts.FINISH.decode([1, 0]));
  internal(() => fireScripts.FINISH.decode([[2, 0, 0]]));
  internal(() => fireScripts.FINISH.decode([[1, 0]]));
  internal(() => fireScripts.FINISH.decode([[1, 0, 2]]));
  assert.deepEqual(fireScripts.RUN.decode(0), 'missing');
  assert.deepEqual(fireScripts.RUN.decode(['fire', 'k:3']), { how: 'fire', fireId: 'k:3' });
  assert.deepEqual(fireScripts.RUN.decode(['busy', 'k:2']), { how: 'busy', fireId: 'k:2' });
  assert.deepEqual(fireScripts.RUN.decode(['corrupt', '']), 'corrupt');
  internal(() => fireScripts.RUN.decode(['later', 'k:3']));
  internal(() => fireScripts.RUN.decode(1));
  internal(() => fireScripts.BEGIN.decode([1, 2]));
});

test('include/record-run.lua stores a record in the field order run-record.ts reads it in', () => {
  const lua = readFileSync(new URL('include/record-run.lua', LUA_DIR), 'utf8');
  const list = /local RECORD_FIELDS = \{([^}]*)\}/.exec(lua)?.[1] ?? '';
  assert.deepEqual(
    [...list.matchAll(/'(\w+)'/g)].map((m) => m[1]),
    [...RECORD_FIELDS],
  );
  const at = Number(/local FINISHED_AT = (\d+)/.exec(lua)?.[1]);
  assert.equal(RECORD_FIELDS[at - 1], 'finished', 'FINISHED_AT is the position (from 1) of finished');
});
