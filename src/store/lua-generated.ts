// The Lua include that scripts/build.mjs generates at every build (lua/include/generated.lua, not
// committed), so that Lua follows the TypeScript by construction: the run's life (src/runs/: fire
// states, outcomes, triggers, a record's field order, the catch-up cap, the URL prefixes, and the
// rules with a Lua twin: units, kinds, ids, the grid, the retry wait) and every script's ARGV, read by the names its definition fills
// (ARGS.<script>()).
// test/unit/lua-contracts.test.ts fails when the file differs from what this makes.
import { DUE_LEFT, FIRE_STATES, MAX_CATCH_UP, RUN_TRIGGERS } from '../runs/fire.js';
import { GRID_LUA } from '../runs/grid.js';
import { IDS_LUA } from '../runs/ids.js';
import { KINDS_LUA, URL_PREFIXES } from '../runs/kinds.js';
import { RECORD_FIELDS, ROW_CODES, RUN_OUTCOMES } from '../runs/record.js';
import { RETRY_LUA } from '../runs/retry.js';
import { UNITS_LUA } from '../runs/units.js';
import * as applyScripts from './apply-scripts.js';
import * as changeScripts from './change-scripts.js';
import * as fireScripts from './fire-scripts.js';
import * as fleetScripts from './fleet-scripts.js';
import * as pauseScripts from './pause-scripts.js';
import type { ArgKind, ArgLayout, Script } from './script.js';
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
-- What a claim says is still due, by code (fire.ts DUE_LEFT: its reply's third field).
local DUE_LEFT = ${codes(DUE_LEFT)}
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
-- A row of RECORD_FIELDS, each \`null\` (cjson.null), made at its full size at once (a table grown
-- a field at a time is resized five times on the way).
local function null_row(null)
  return { ${RECORD_FIELDS.map(() => 'null').join(', ')} }
end`;
}

/** Argument `at` (a Lua expression for its ARGV index) as the Lua value of its kind (ArgKind). */
function valueOf(kind: ArgKind, at: string): string {
  const v = `ARGV[${at}]`;
  if (kind === 'number' || kind === 'number?') return `tonumber(${v})`;
  if (kind === 'string?') return `(${v} ~= '' and ${v} or nil)`;
  if (kind === 'flag') return `(${v} == '1' or nil)`;
  return v;
}

/** A layout's arguments as the fields of one Lua table constructor, from ARGV[at(1)] on. */
const fieldsOf = (layout: ArgLayout, at: (i: number) => string): string =>
  Object.entries(layout)
    .map(([name, kind], i) => `${name} = ${valueOf(kind, at(i + 1))}`)
    .join(', ');

/**
 * One script's reader: its ARGV by name, one table made by one constructor (no layout tables, no
 * call per argument: a generic reader of layouts was a sixth of the claim's Lua time, issue 28),
 * then `each`, one table per item of the arguments repeated after the fixed ones.
 */
function accessor(script: Script<never, unknown>): string {
  const { fixed, each } = script.argv;
  const head = `function ARGS.${script.name}()`;
  const fields = fieldsOf(fixed, String);
  if (Object.keys(each).length === 0) return `${head} return { ${fields} } end`;
  const n = Object.keys(fixed).length;
  return [
    head,
    `  local a = { ${fields}${fields === '' ? '' : ', '}each = {} }`,
    `  for at = ${n}, #ARGV - 1, ${Object.keys(each).length} do`,
    `    a.each[#a.each + 1] = { ${fieldsOf(each, (i) => `at + ${i}`)} }`,
    '  end',
    '  return a',
    'end',
  ].join('\n');
}

const ARGV_READER = `-- Each script's ARGV by the names its definition fills (src/store/*-scripts.ts): ARGS.NAME(),
-- each argument as the Lua value of its kind (store/script.ts ArgKind): a number, '' as none where
-- it may be, a flag true or nil, a score or a setting as its text; the arguments repeated after
-- the fixed ones (a batch) as a.each, one table per item.
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
