// Time inside ktimer is unix ms. Redis keeps some times as unix seconds with ms precision (a
// task's run_* fields, schedule scores, a fire's due, a run record's times) and people read
// seconds: these conversions, and only they, cross that edge. Rounding is half up, whole ms.
// Each rule here has its Lua twin beside it (lua), generated into the scripts' include and
// checked equal on a real Redis (test/integration/run-rules.test.ts).

/** Whole ms of unix seconds: the one rounding (a ticker's period, a score, a fire's due). */
export const msOfSec = (sec: number): number => Math.round(sec * 1000);

/** Whole ms of ms (a time measured with a fraction). */
export const wholeMs = (ms: number): number => Math.round(ms);

/** Unix seconds (3 decimals) of ms: how stored and shown times are written. */
export const secOfMs = (ms: number): number => wholeMs(ms) / 1000;

/** The same rules in Lua (Math.round is floor(x + 0.5)). */
export const UNITS_LUA = `-- Whole ms of unix seconds (units.ts msOfSec): the one rounding.
local function to_ms(sec)
  return math.floor(sec * 1000 + 0.5)
end

-- Whole ms of ms (units.ts wholeMs).
local function whole_ms(ms)
  return math.floor(ms + 0.5)
end

-- Unix seconds (3 decimals) of ms (units.ts secOfMs).
local function to_sec(ms)
  return whole_ms(ms) / 1000
end`;
