// The Lua include that scripts/build.mjs generates at every build (lua/include/generated.lua, not
// committed), so that Lua follows the TypeScript by construction: the run's life (src/runs/: fire
// states, outcomes, triggers, a record's field order, the catch-up cap, the URL prefixes, and the
// rules with a Lua twin: units, kinds, ids, the grid, the retry wait) and every script's ARGV, read by the names its definition fills
// (ARGS.<script>()).
// test/unit/lua-contracts.test.ts fails when the file differs from what this makes.
import { FIRE_STATES, MAX_CATCH_UP, RUN_TRIGGERS } from '../runs/fire.js';
import { GRID_LUA } from '../runs/grid.js';
import { IDS_LUA } from '../runs/ids.js';
import { KINDS_LUA, URL_PREFIXES } from '../runs/kinds.js';
import { MISSED_FIELDS, RECORD_FIELDS, ROW_CODES, RUN_OUTCOMES, SUMMARY_FIELDS } from '../runs/record.js';
import { RETRY_LUA } from '../runs/retry.js';
import { UNITS_LUA } from '../runs/units.js';
import * as applyScripts from './apply-scripts.js';
import * as changeScripts from './change-scripts.js';
import * as fireScripts from './fire-scripts.js';
import * as fleetScripts from './fleet-scripts.js';
import * as pauseScripts from './pause-scripts.js';
import type { ArgLayout, Script } from './script.js';
import * as taskScripts from './task-scripts.js';

/** Where it goes, under lua/. */
export const GENERATED_INCLUDE = 'include/generated.lua';

/** Every script's definition, by its name. */
export function scriptDefinitions(): Script<never, unknown>[] {
  const all: unknown[] = [
    ...Object.values(taskScripts),
    ...Object.values(applyScripts),
    ...Object.values(changeScripts),
    ...Object.values(fireScripts),
    ...Object.values(pauseScripts),
    ...Object.values(fleetScripts),
  ];
  return all
    .filter(
      (v): v is Script<never, unknown> => typeof v === 'object' && v !== null && 'name' in v && 'argv' in v,
    )
    .sort((a, b) => a.name.localeCompare(b.name));
}

const quoted = (s: string): string => `'${s}'`;
const list = (items: readonly string[]): string => `{ ${items.map(quoted).join(', ')} }`;
const names = (items: readonly string[]): string => `{ ${items.map((s) => `${s} = '${s}'`).join(', ')} }`;
const codes = (items: readonly string[]): string => `{ ${items.map((s, i) => `${s} = ${i}`).join(', ')} }`;

function constants(): string {
  return `-- Fire states (src/runs/fire.ts FIRE_STATES), run outcomes (record.ts RUN_OUTCOMES) and
-- what started a run (fire.ts RUN_TRIGGERS), by name.
local FIRE_STATE = ${names(FIRE_STATES)}
local OUTCOME = ${names(RUN_OUTCOMES)}
local TRIGGER = ${names(RUN_TRIGGERS)}
-- Most runs a late task fires to catch up, misfire all (fire.ts).
local MAX_CATCH_UP = ${MAX_CATCH_UP}
-- A command starting with one of these, in any case, is a URL (kinds.ts).
local URL_PREFIXES = ${list(URL_PREFIXES)}
-- A history row's fields by position (record.ts RECORD_FIELDS), and a pattern finding its
-- finished time (written out: a Functions library may call no string.rep as it loads).
local RECORD_FIELDS = ${list(RECORD_FIELDS)}
local FINISHED_IN_ROW = '^%[${'[^,]*,'.repeat(RECORD_FIELDS.indexOf('finished'))}([^,%]]*)'
-- A row's type and kind as their codes (record.ts ROW_CODES).
local ROW_CODES = { type = ${codes(ROW_CODES.type)}, kind = ${codes(ROW_CODES.kind)} }
-- What the runs stream and a task's last run keep of a record, in the stream's order (record.ts).
local SUMMARY_FIELDS = ${list(SUMMARY_FIELDS)}
-- A missed record's own fields, after the summary's in its stream entry and last run (record.ts).
local MISSED_FIELDS = ${list(MISSED_FIELDS)}`;
}

/** A layout as Lua data: { { name, kind }, ... }, in ARGV order. */
const layoutOf = (layout: ArgLayout): string =>
  Object.keys(layout).length === 0
    ? '{}'
    : `{ ${Object.entries(layout)
        .map(([name, kind]) => `{ '${name}', '${kind}' }`)
        .join(', ')} }`;

/** One line per script: its ARGV by name, read by the layout its definition fills. */
const accessor = (script: Script<never, unknown>): string =>
  `function ARGS.${script.name}() return named_argv(${layoutOf(script.argv.fixed)}, ${layoutOf(script.argv.each)}) end`;

const ARGV_READER = `-- An argument as the Lua value of its kind (store/script.ts ArgKind): '' is none where it may be.
local function typed(kind, v)
  if kind == 'number' or kind == 'number?' then return tonumber(v) end
  if kind == 'string?' then return v ~= '' and v or nil end
  if kind == 'flag' then return v == '1' or nil end
  return v
end

-- ARGV by name: the fixed arguments from ARGV[1], then a.each, one table per item of the
-- arguments repeated after them. Each layout is { { name, kind }, ... } in ARGV order.
local function named_argv(fixed, each)
  local a = {}
  for i, arg in ipairs(fixed) do a[arg[1]] = typed(arg[2], ARGV[i]) end
  if #each == 0 then return a end
  a.each = {}
  for at = #fixed, #ARGV - 1, #each do
    local item = {}
    for j, arg in ipairs(each) do item[arg[1]] = typed(arg[2], ARGV[at + j]) end
    a.each[#a.each + 1] = item
  end
  return a
end

-- Each script's ARGV by the names its definition fills (src/store/*-scripts.ts): ARGS.NAME().
local ARGS = {}`;

/** The include's text. */
export function generatedLua(): string {
  return (
    [
      `-- GENERATED by scripts/build.mjs (src/store/lua-generated.ts) from src/runs/ and the scripts'
-- definitions, at every build (not committed): do not edit. Included by every script;
-- test/unit/lua-contracts.test.ts fails when it is not what the build writes.`,
      constants(),
      UNITS_LUA,
      KINDS_LUA,
      IDS_LUA,
      GRID_LUA,
      RETRY_LUA,
      ARGV_READER,
      scriptDefinitions().map(accessor).join('\n'),
    ].join('\n\n') + '\n'
  );
}
