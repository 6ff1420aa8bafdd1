// Each Lua script and its TypeScript definition describe one contract: the keys in the
// script's header are the definition's keys, in order; so are its ARGV, by the names of the
// definition's layout, which the script reads only through the accessor generated from it (no
// ARGV[i] of its own); the status codes it returns are those of the one table (STATUS). The
// generated include is what the build writes, and the fire states each script writes are those
// of its transitions (src/runs/fire.ts). A script changed on one side only fails here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DUE_LEFT, FIRE_TRANSITIONS } from '../../src/runs/fire.js';
import * as fireScripts from '../../src/store/fire-scripts.js';
import { GENERATED_INCLUDE, generatedLua, scriptDefinitions } from '../../src/store/lua-generated.js';
import * as pauseScripts from '../../src/store/pause-scripts.js';
import { readLua, STATUS } from '../../src/store/script.js';
import * as taskScripts from '../../src/store/task-scripts.js';

const LUA_DIR = new URL('../../src/store/lua/', import.meta.url);
const INCLUDE_DIR = new URL('include/', LUA_DIR);

/** Every script definition the stores use. */
const definitions = scriptDefinitions();

const headerOf = (lua: string): string =>
  lua
    .split('\n')
    .filter((l) => l.startsWith('--'))
    .join('\n');

test('every Lua file has one definition, and every definition a Lua file', () => {
  const files = readdirSync(LUA_DIR)
    .filter((f) => f.endsWith('.lua'))
    .map((f) => f.slice(0, -4))
    .sort();
  assert.deepEqual(definitions.map((d) => d.name).sort(), files);
});

for (const def of definitions) {
  test(`${def.name}.lua: its header names the definition's keys and ARGV in order, its codes are in STATUS`, () => {
    const lua = readFileSync(new URL(`${def.name}.lua`, LUA_DIR), 'utf8');
    const header = headerOf(lua);
    const named = [...header.matchAll(/KEYS\[(\d+)\] (\w+)/g)].map((m) => [Number(m[1]), m[2]]);
    assert.deepEqual(
      named,
      def.keys.map((k, i) => [i + 1, k]),
      'KEYS[i] in the header, by the name of the definition',
    );
    const used = [...lua.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]));
    assert.ok(Math.max(...used) <= def.keys.length, 'no key beyond those defined');
    const args = [...header.matchAll(/^-- ARGV (each )?(\w+)/gm)];
    assert.deepEqual(
      args.filter((m) => m[1] === undefined).map((m) => m[2]),
      Object.keys(def.argv.fixed),
      'ARGV NAME in the header: the fixed arguments of the layout, in order',
    );
    assert.deepEqual(
      args.filter((m) => m[1] !== undefined).map((m) => m[2]),
      Object.keys(def.argv.each),
      'ARGV each NAME in the header: the arguments repeated per item, in order',
    );
    assert.doesNotMatch(lua, /ARGV\[/, 'ARGV is read by name only (generated.lua)');
    assert.match(lua, new RegExp(`ARGS\\.${def.name}\\(\\)`), 'it reads its own layout');
    assert.match(lua, /^--#include include\/generated\.lua$/m);
    const codes = [...lua.matchAll(/^\s*return (-?\d+)\s*$/gm)].map((m) => Number(m[1]));
    const known = new Set<number>(Object.values(STATUS));
    for (const code of codes) assert.ok(known.has(code), `return ${code} is not in STATUS`);
  });
}

test('include/generated.lua is what the build generates from src/runs/ and the definitions', () => {
  const file = readFileSync(new URL(GENERATED_INCLUDE, LUA_DIR), 'utf8');
  assert.equal(file, generatedLua(), 'stale: run `npm run build`');
});

test('includes take what they use as arguments: no KEYS or ARGV of their own', () => {
  for (const name of readdirSync(INCLUDE_DIR)) {
    if (`include/${name}` === GENERATED_INCLUDE) continue;
    const lua = readFileSync(new URL(name, INCLUDE_DIR), 'utf8');
    assert.doesNotMatch(lua, /\b(KEYS|ARGV)\[/, name);
  }
});

test('each script writes the fire states of its transitions (src/runs/fire.ts), no other', () => {
  for (const def of definitions) {
    const written = new Set(
      [...readLua(`${def.name}.lua`).matchAll(/state = FIRE_STATE\.(\w+)/g)].map((m) => m[1]),
    );
    const declared = new Set(
      FIRE_TRANSITIONS.filter((t) => t.to !== null && (t.by as readonly string[]).includes(def.name)).map(
        (t) => t.to,
      ),
    );
    assert.deepEqual([...written].sort(), [...declared].sort(), `${def.name}.lua`);
  }
  for (const def of definitions)
    assert.doesNotMatch(
      readLua(`${def.name}.lua`),
      /state [=~]=? '/,
      `${def.name}.lua: states by name (FIRE_STATE)`,
    );
});

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
    state: 'leased',
    due: 1.234,
    run_num: 1,
    limit: 1,
    claimed: 1000,
    owner: 'A',
    token: 't',
  };
  // As the daemon holds it: its due in ms.
  const { due: _, claimed: __, ...rest } = fire;
  const held = { ...rest, dueMs: 1234, claimedMs: 1000 };
  const reply = fireScripts.CLAIM.decode(['0.005', -1, 0, 1, ['fire', JSON.stringify(fire)]]);
  assert.deepEqual(reply, {
    nextDueMs: 5,
    dueLeft: null,
    poller: true,
    entries: [{ kind: 'fire', fire: held }],
  });
  assert.equal(fireScripts.CLAIM.decode(['5', -1, 0, 0]).poller, false);
  internal(() => fireScripts.CLAIM.decode(['5', -1, 0, 2]));
  internal(() => fireScripts.CLAIM.decode(['5', -1, 0]));
  internal(() =>
    fireScripts.CLAIM.decode(['5', -1, 0, 1, ['fire', JSON.stringify({ ...fire, state: 'done' })]]),
  );
  assert.equal(
    fireScripts.CLAIM.decode(['1.0004', 900, 2, 1]).nextDueMs,
    900,
    'the earlier of score and lease',
  );
  assert.equal(fireScripts.CLAIM.decode([null, -1, 1, 1]).dueLeft, 'room');
  internal(() => fireScripts.CLAIM.decode([5, -1, 0, 1]));
  assert.equal(fireScripts.CLAIM.decode([null, -1, 3, 0]).fenced, true, "refused by the shard's fence");
  internal(() => fireScripts.CLAIM.decode(['5', -1, 3, 1]));
  internal(() => fireScripts.CLAIM.decode([null, -1, 3, 0, ['fire', '{}']]));
  internal(() =>
    fireScripts.CLAIM.decode(['5', -1, 0, 1, ['fire', JSON.stringify({ ...fire, kind: 'ftp' })]]),
  );
  internal(() =>
    fireScripts.CLAIM.decode(['5', -1, 0, 1, ['fire', JSON.stringify({ ...fire, token: undefined })]]),
  );
  const timed = fireScripts.CLAIM.decode(['5', -1, 0, 1, ['fire', JSON.stringify({ ...fire, timeout: 7 })]]);
  assert.deepEqual(timed.entries, [{ kind: 'fire', fire: { ...held, timeout: 7 } }]);
  internal(() =>
    fireScripts.CLAIM.decode(['5', -1, 0, 1, ['fire', JSON.stringify({ ...fire, timeout: 0.5 })]]),
  );
  internal(() => fireScripts.CLAIM.decode(['5', -1, 0, 1, ['mystery', 'x']]));
  internal(() => fireScripts.CLAIM.decode(['5', -1, 0, 1, ['missed', 'k', 'sometimes', 1, 2, 3]]));
  assert.deepEqual(
    fireScripts.CLAIM.decode([null, -1, 0, 1, ['missed', 'k', 'skip', 3, 1000, 4000]]).entries,
    [{ kind: 'missed', kid: 'k', policy: 'skip', count: 3, firstDueMs: 1000, nextDueMs: 4000 }],
  );
  const lost = { fire_id: 'k:1', kid: 'k', result: 'lost', ok: false, host: 'h', due: 1, finished: 2 };
  assert.deepEqual(fireScripts.CLAIM.decode([null, -1, 0, 1, ['lost', JSON.stringify(lost), 2]]), {
    nextDueMs: null,
    dueLeft: null,
    poller: true,
    entries: [{ kind: 'lost', record: { ...lost, trigger: 'schedule', attempt: 1 }, streak: 2 }],
  });
  internal(() => fireScripts.CLAIM.decode([null, -1, 0, 1, ['lost', JSON.stringify(lost)]]));
  internal(() => fireScripts.CLAIM.decode([null, -1, 0, 1, ['lost', '{"kid":"k"}', 1]]));
  // What Redis keeps leaves out the kid, ok, and the usual trigger and attempt: read back whole.
  assert.deepEqual(
    fireScripts.CLAIM.decode([null, -1, 0, 1, ['lost', '{"fire_id":"k:1","result":"lost"}', 1]]).entries,
    [
      {
        kind: 'lost',
        record: { fire_id: 'k:1', kid: 'k', result: 'lost', ok: false, trigger: 'schedule', attempt: 1 },
        streak: 1,
      },
    ],
  );
  const skipped = { ...lost, result: 'skipped' };
  assert.deepEqual(fireScripts.CLAIM.decode([null, -1, 0, 1, ['skipped', JSON.stringify(skipped)]]).entries, [
    { kind: 'skipped', record: { ...skipped, trigger: 'schedule', attempt: 1 } },
  ]);
  internal(() =>
    fireScripts.CLAIM.decode([null, -1, 0, 1, ['skipped', JSON.stringify({ ...lost, result: 'meh' })]]),
  );
  const retry = { trigger: 'retry', attempt: 2, first: 'k:1', retries: 3, retry_delay: 5 };
  assert.deepEqual(
    fireScripts.CLAIM.decode(['5', -1, 0, 1, ['fire', JSON.stringify({ ...fire, ...retry })]]).entries,
    [{ kind: 'fire', fire: { ...held, ...retry } }],
  );
  internal(() =>
    fireScripts.CLAIM.decode(['5', -1, 0, 1, ['fire', JSON.stringify({ ...fire, trigger: 'cosmic ray' })]]),
  );
  internal(() =>
    fireScripts.CLAIM.decode(['5', -1, 0, 1, ['fire', JSON.stringify({ ...fire, attempt: 0 })]]),
  );
  assert.deepEqual(pauseScripts.PAUSE.decode([1, 0, -4]), ['done', 'missing', 'already']);
  internal(() => pauseScripts.PAUSE.decode([-3]));
  internal(() => pauseScripts.PAUSE.decode(1));
  assert.deepEqual(pauseScripts.RESUME.decode([1, -3, -4, 0]), ['done', 'changed', 'already', 'missing']);
  internal(() => pauseScripts.RESUME.decode([-1]));
  // finish replies the record it kept, as a history row: retried when it has a retry_at.
  const failedRow = JSON.stringify(['k:1', 'timer', 'shell', 1, 1.1, 1.2, 100, 100, 'failed', 1]);
  const okRow = JSON.stringify(['k:4', 0, 0, 1, 1.1, 1.2, 100, 100, 'ok', 0, 'h', 9]);
  const retriedRow = JSON.stringify([
    'k:1',
    'timer',
    'shell',
    1,
    1.1,
    1.2,
    100,
    100,
    'failed',
    1,
    ...Array(9).fill(null),
    11.2,
  ]);
  const finish = (reply: unknown, rows: (string | null)[] = []) =>
    fireScripts.finishedOf(fireScripts.FINISH.decode(reply), rows);
  // 1 in place of the row: recorded with the row the daemon sent (its fast path).
  const finished = finish(
    [
      [1, 0, retriedRow],
      [0, 0, null],
      [1, 3, failedRow],
      [1, -2, 1],
    ],
    [null, null, null, okRow],
  );
  assert.deepEqual(
    finished.map((f) => [f.recorded, f.streak, f.retried, f.record?.retry_at]),
    [
      [true, 0, true, 11.2],
      [false, 0, false, undefined],
      [true, 3, false, undefined],
      [true, -2, false, undefined],
    ],
  );
  assert.deepEqual([finished[2]?.record?.kid, finished[2]?.record?.exit_code], ['k', 1]);
  assert.deepEqual([finished[3]?.record?.fire_id, finished[3]?.record?.result], ['k:4', 'ok']);
  internal(() => finish([[1, 0, 1]], [null]));
  internal(() => fireScripts.FINISH.decode([[1, 0, 2]]));
  internal(() => fireScripts.FINISH.decode(2));
  internal(() => fireScripts.FINISH.decode([1, 0]));
  internal(() => fireScripts.FINISH.decode([[2, 0, failedRow]]));
  internal(() => fireScripts.FINISH.decode([[1, 0]]));
  internal(() => finish([[1, 0, '{"kid":"k"}']]));
  internal(() => fireScripts.FINISH.decode([[0, 0, failedRow]]));
  assert.deepEqual(fireScripts.RUN.decode(0), 'missing');
  assert.deepEqual(fireScripts.RUN.decode(['fire', 'k:3', 0]), { how: 'fire', fireId: 'k:3', done: false });
  assert.deepEqual(fireScripts.RUN.decode(['queued', 'k:3', 1]), {
    how: 'queued',
    fireId: 'k:3',
    done: true,
  });
  assert.deepEqual(fireScripts.RUN.decode(['busy', 'k:2']), { how: 'busy', fireId: 'k:2', done: false });
  assert.deepEqual(fireScripts.RUN.decode(['corrupt', '']), 'corrupt');
  internal(() => fireScripts.RUN.decode(['later', 'k:3', 0]));
  internal(() => fireScripts.RUN.decode(['fire', 'k:3']));
  internal(() => fireScripts.RUN.decode(['fire', 'k:3', 2]));
  internal(() => fireScripts.RUN.decode(1));
  internal(() => fireScripts.BEGIN.decode([1, 2]));
});

test('claim.lua stays 150 lines or fewer: its phases live in includes (issue 22)', () => {
  const lines = readFileSync(new URL('claim.lua', LUA_DIR), 'utf8').trimEnd().split('\n').length;
  assert.ok(lines <= 150, `claim.lua has ${lines} lines; move a phase into include/claim-*.lua`);
});

test("the claim's due_left codes are DUE_LEFT's (src/runs/fire.ts), by name on both sides: no literal left behind", () => {
  const files = [
    'claim.lua',
    ...readdirSync(INCLUDE_DIR)
      .filter((f) => f.startsWith('claim-'))
      .map((f) => `include/${f}`),
  ];
  for (const file of files) {
    const code = readFileSync(new URL(file, LUA_DIR), 'utf8')
      .split('\n')
      .filter((l) => !l.trimStart().startsWith('--'))
      .join('\n');
    assert.doesNotMatch(
      code,
      /out\[3\]\s*(?:[=~]=|=(?!=))(?!\s*(?:DUE_LEFT\.|due_left\())/,
      `${file}: due_left by name`,
    );
    assert.doesNotMatch(code, /\{\s*false,\s*-1,(?!\s*DUE_LEFT\.)/, `${file}: a reply's due_left by name`);
    const dueLeft = /function due_left\b[\s\S]*?\nend/.exec(code)?.[0] ?? '';
    assert.doesNotMatch(dueLeft, /(?:return|left =)\s*\d/, `${file}: due_left returns DUE_LEFT's names`);
  }
  const ts = readFileSync(new URL('../../src/store/fire-scripts.ts', import.meta.url), 'utf8');
  assert.doesNotMatch(ts, /FENCED = \d|left === \d|\[0, 1, 2\]/, 'fire-scripts.ts reads DUE_LEFT');
  assert.deepEqual(
    DUE_LEFT.map((_, code) => {
      const reply = fireScripts.CLAIM.decode([null, -1, code, 0]);
      return reply.fenced ? 'fenced' : (reply.dueLeft ?? 'none');
    }),
    [...DUE_LEFT],
  );
  assert.throws(() => fireScripts.CLAIM.decode([null, -1, DUE_LEFT.length, 0]), { code: 'internal' });
});
