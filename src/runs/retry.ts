// The wait before a retry (-retries, -retry_delay), the one definition: the scripts compute it
// (include/retry.lua, for finish.lua's failed runs and the claim's lost ones) through the Lua twin
// below, generated into the scripts' include and checked equal on a real Redis
// (test/integration/run-rules.test.ts); the TypeScript side says the same for the tests and docs.
//
// The jitter comes from the fire id, not from a random source: Redis 6's Lua seeds math.random the
// same at every script call (7.0 no longer does), so the claim could not jitter by it; a hash of
// the fire id spreads tasks that fail together as well, and is the same on both sides.

/** A wait, seconds, at most (a doubled delay is capped here). */
export const MAX_RETRY_WAIT_SEC = 3600;

/** The jitter: each wait is its doubled delay times a factor from 0.8 to 1.2. */
const JITTER = 0.2;
/**
 * The hash's modulus, a prime, and its spreading multiplier (the golden ratio's fraction of it):
 * every product stays below 2^53, exact in a double in both languages.
 */
const HASH_MOD = 1_000_003;
const HASH_SPREAD = 618_036;

/**
 * A number in [0, 1) from a fire id's bytes (UTF-8): a polynomial hash, then multiplied by
 * HASH_SPREAD, so that ids differing only in their last digits (runs 1, 2, 3 ...) spread over the
 * whole range instead of crowding together. The same in Lua.
 */
export function jitterOf(fireId: string): number {
  let h = 0;
  for (const byte of new TextEncoder().encode(fireId)) h = (h * 31 + byte) % HASH_MOD;
  return ((h * HASH_SPREAD) % HASH_MOD) / HASH_MOD;
}

/**
 * The wait before retry number `retry` (1 = the first) of a run, ms: `delaySec` doubling each time,
 * times 0.8 + 0.4 x `unit` (jitterOf the failed attempt's fire id), at most MAX_RETRY_WAIT_SEC.
 */
export function retryWaitMs(delaySec: number, retry: number, unit: number): number {
  const doubled = delaySec * 1000 * 2 ** Math.min(Math.max(0, retry - 1), 30);
  const jittered = doubled * (1 - JITTER + 2 * JITTER * unit);
  return Math.round(Math.min(jittered, MAX_RETRY_WAIT_SEC * 1000));
}

/** The wait before the retry of a failed or lost attempt of `fire` (its id, attempt, delay). */
export const retryWaitOf = (fire: { id: string; attempt?: number; retry_delay: number }): number =>
  retryWaitMs(fire.retry_delay, fire.attempt ?? 1, jitterOf(fire.id));

/** The same rules in Lua (Math.round is floor(x + 0.5) for the positive waits here). */
export const RETRY_LUA = `-- A number in [0, 1) from a fire id's bytes (retry.ts jitterOf).
local function jitter_of(fire_id)
  local h = 0
  for i = 1, #fire_id do h = (h * 31 + string.byte(fire_id, i)) % ${HASH_MOD} end
  return (h * ${HASH_SPREAD}) % ${HASH_MOD} / ${HASH_MOD}
end

-- The wait before retry number n of a run, ms (retry.ts retryWaitMs).
local function retry_wait_ms(delay_sec, n, unit)
  local doubled = delay_sec * 1000 * 2 ^ math.min(math.max(0, n - 1), 30)
  local jittered = doubled * (1 - ${JITTER} + 2 * ${JITTER} * unit)
  return math.floor(math.min(jittered, ${MAX_RETRY_WAIT_SEC * 1000}) + 0.5)
end

-- The wait before the retry of a failed or lost attempt of fire, as the fires hash holds it: its
-- id, attempt and retry_delay (retry.ts retryWaitOf).
local function retry_wait_of(fire)
  return retry_wait_ms(fire.retry_delay, tonumber(fire.attempt) or 1, jitter_of(fire.id))
end`;
