// A ticker's grid: its runs fall on first due + n x period, the period its `time` in whole ms
// (units.ts msOfSec, the one rounding), so a grid never drifts. The claim moves a ticker on by it
// (lua twin), `next` shows it, and resume finds the first slot after now on it.
import { msOfSec } from './units.js';

/** A ticker's period, whole ms. */
export const periodMsOf = (timeSec: number): number => msOfSec(timeSec);

/** Slots of a grid due by `nowMs`, the one at `dueMs` included: 1 when only it is, more after downtime. */
export const slotsDue = (dueMs: number, nowMs: number, periodMs: number): number =>
  Math.floor((nowMs - dueMs) / periodMs) + 1;

/** The first slot after `nowMs` of the grid through `dueMs`, or `dueMs` when it lies ahead. */
export const nextSlotMs = (dueMs: number, nowMs: number, periodMs: number): number =>
  dueMs > nowMs ? dueMs : dueMs + slotsDue(dueMs, nowMs, periodMs) * periodMs;

export const GRID_LUA = `-- A ticker's period, whole ms (grid.ts periodMsOf).
local function period_ms_of(time_sec)
  return to_ms(time_sec)
end

-- Slots of a grid due by now_ms, the one at due_ms included (grid.ts slotsDue).
local function slots_due(due_ms, now_ms, period_ms)
  return math.floor((now_ms - due_ms) / period_ms) + 1
end`;
