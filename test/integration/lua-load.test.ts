// Every script, as it is sent (its includes spliced in and pruned: src/store/lua-source.ts),
// compiles on a real Redis, and the hot ones as Functions libraries (redis-functions.ts). A
// definition pruned away that a script still calls would not show here (Lua resolves it as a
// global, at run time), but a statement cut in two would.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scriptDefinitions } from '../../src/store/lua-generated.js';
import { FUNCTION_SCRIPTS, libraryOf } from '../../src/store/redis-functions.js';
import { readLua } from '../../src/store/script.js';
import { usePrivateRedis } from '../helpers/redis-server.js';

const redis = usePrivateRedis();

test('every script loads with SCRIPT LOAD', async () => {
  for (const def of scriptDefinitions()) {
    const sha = await redis.client.script('LOAD', readLua(`${def.name}.lua`));
    assert.match(String(sha), /^[0-9a-f]{40}$/, def.name);
  }
});

test("every hot script loads as a Functions library (no globals at load, within Lua's limits)", async () => {
  for (const name of FUNCTION_SCRIPTS) {
    const lib = libraryOf(name, readLua(`${name}.lua`));
    assert.equal(await redis.client.call('FUNCTION', 'LOAD', 'REPLACE', lib.code), lib.fn, name);
  }
});
