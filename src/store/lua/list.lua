-- list: one page of tasks whose next run lies in a window, in order of next run (then kid, as
-- the sorted set orders them), with the total in the window; one round trip. Rows are reached
-- by their rank in the schedule, never by walking to them (ZRANGEBYSCORE ... LIMIT offset walks
-- `offset` rows), so a page costs O(log n + count) wherever it lies.
-- Tasks with labels are in their label set's schedule (include/placement.lua): the window spans
-- the schedule and each of those, merged in the same order (by next run, then kid, in bytes); a
-- page reads each from its own rank on, so it costs O(k log n + k count) for k schedules.
-- Paused tasks have no next run: they come after the scheduled ones, in order of kid, in a
-- window without an end, with the score 'inf'.
-- KEYS[1] pool hash, KEYS[2] schedule sorted set, KEYS[3] paused sorted set (kid -> 0)
-- KEYS[4] placement sorted set (include/placement.lua)
-- ARGV from_sec     the window's start (unix seconds or -inf),
-- ARGV to_sec       its end (unix seconds or +inf)
-- ARGV count        rows at most
-- ARGV offset       rows of the window to skip (when there is no cursor)
-- ARGV after_score  the cursor: the page starts after the row of this score
-- ARGV after_kid    and this kid ('' '' = no cursor; score 'inf': a paused row); the row may be
--                   gone, rescheduled, paused or resumed since: the page starts where it would stand
-- Returns { total, position, kid1, score1, json1, kid2, score2, json2, ... }: position is the
-- first row's index in the window (0-based), each score as Redis writes it ('inf' for a paused
-- task), json false for a kid missing from the hash.
local paused = KEYS[3]
--#include include/generated.lua
--#include include/placement.lua

local a = ARGS.list()
local from, to = a.from_sec, a.to_sec
local count, offset = a.count, a.offset
local after_score, after_kid = a.after_score, a.after_kid

-- Byte order, as the sorted set orders members of one score (Lua's < follows the locale).
local function before(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

-- Rows of `key` whose score is below `score` (a score string, or -inf): the rank where it starts.
local function rank_of_score(key, score)
  if score == '-inf' then return 0 end
  return redis.call('ZCOUNT', key, '-inf', '(' .. score)
end

-- The rank in `key` of the first row after (score, kid).
local function rank_after(key, score, kid)
  local current = redis.call('ZSCORE', key, kid)
  if current and tonumber(current) == tonumber(score) then
    return redis.call('ZRANK', key, kid) + 1
  end
  -- Gone or moved: find its place among the rows of that score by bisection on the kid.
  local lo = rank_of_score(key, score)
  local hi = lo + redis.call('ZCOUNT', key, score, score)
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    local member = redis.call('ZRANGE', key, mid, mid)[1]
    if before(kid, member) then hi = mid else lo = mid + 1 end
  end
  return lo
end

-- Each schedule's part of the window: from rank `start` to `stop` (exclusive), read from `rank`.
local p = placement_of(KEYS[4], KEYS[2], nil)
local sources = {}
local function add_source(key)
  local start = rank_of_score(key, from)
  local n = redis.call('ZCOUNT', key, from, to)
  if n > 0 then sources[#sources + 1] = { key = key, start = start, stop = start + n, rank = start, buf = {}, i = 1 } end
  return n
end
local scheduled = add_source(KEYS[2])
for _, set in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do
  scheduled = scheduled + add_source(schedule_key(p, set))
end

-- The next row of the merged window (kid, score as stored), or nil; pages of `page` rows.
local function next_row(page)
  local best, best_kid, best_score
  for _, s in ipairs(sources) do
    if s.i > #s.buf and s.rank < s.stop then
      s.buf = redis.call('ZRANGE', s.key, s.rank, math.min(s.rank + page, s.stop) - 1, 'WITHSCORES')
      s.rank, s.i = s.rank + #s.buf / 2, 1
    end
    local kid, score = s.buf[s.i], s.buf[s.i + 1]
    if kid then
      local at, best_at = tonumber(score), best and tonumber(best_score)
      if not best or at < best_at or (at == best_at and before(kid, best_kid)) then
        best, best_kid, best_score = s, kid, score
      end
    end
  end
  if not best then return nil end
  best.i = best.i + 2
  return best_kid, best_score
end

local total = scheduled + (to == '+inf' and redis.call('ZCARD', paused) or 0)
local position = offset
if after_score == 'inf' then
  -- Paused rows share one score: ordered by kid, so the cursor's place is a count by kid.
  position = scheduled + redis.call('ZLEXCOUNT', paused, '-', '[' .. after_kid)
  for _, s in ipairs(sources) do s.rank = s.stop end
elseif after_score ~= '' then
  position = 0
  for _, s in ipairs(sources) do
    s.rank = math.min(s.stop, math.max(s.start, rank_after(s.key, after_score, after_kid)))
    position = position + s.rank - s.start
  end
elseif #sources == 1 then
  sources[1].rank = math.min(sources[1].stop, sources[1].start + offset)
else
  -- An offset over several schedules is walked (list keeps offsets shallow: the cursor goes deep).
  for _ = 1, math.min(offset, scheduled) do next_row(math.min(offset, 512)) end
end
local out = { total, position }
if count <= 0 or position >= total then return out end
local kids = {}
local function add(kid, score)
  kids[#kids + 1] = kid
  out[#out + 1] = kid
  out[#out + 1] = score
  out[#out + 1] = false
end
while #kids < count do
  local kid, score = next_row(count)
  if not kid then break end
  add(kid, score)
end
if #kids < count and total > scheduled then
  local from_rank = math.max(0, position - scheduled)
  for _, kid in ipairs(redis.call('ZRANGE', paused, from_rank, from_rank + count - #kids - 1)) do
    add(kid, 'inf')
  end
end
if #kids > 0 then
  local values = redis.call('HMGET', KEYS[1], unpack(kids))
  for i = 1, #kids do out[2 + 3 * i] = values[i] end
end
return out
