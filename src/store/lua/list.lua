-- list: one page of tasks whose next run lies in a window, in order of next run (then kid, as
-- the sorted set orders them), with the total in the window; one round trip. Rows are reached
-- by their rank in the schedule, never by walking to them (ZRANGEBYSCORE ... LIMIT offset walks
-- `offset` rows), so a page costs O(log n + count) wherever it lies.
-- Paused tasks have no next run: they come after the scheduled ones, in order of kid, in a
-- window without an end, with the score 'inf'.
-- KEYS[1] pool hash, KEYS[2] schedule sorted set, KEYS[3] paused sorted set (kid -> 0)
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
local schedule = KEYS[2]
local paused = KEYS[3]
--#include include/generated.lua

local a = ARGS.list()
local from, to = a.from_sec, a.to_sec
local count, offset = a.count, a.offset
local after_score, after_kid = a.after_score, a.after_kid

-- Rows whose score is below `score` (a score string, or -inf): the rank where it starts.
local function rank_of_score(score)
  if score == '-inf' then return 0 end
  return redis.call('ZCOUNT', schedule, '-inf', '(' .. score)
end

-- Byte order, as the sorted set orders members of one score (Lua's < follows the locale).
local function before(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

-- The rank of the first row after (score, kid).
local function rank_after(score, kid)
  local current = redis.call('ZSCORE', schedule, kid)
  if current and tonumber(current) == tonumber(score) then
    return redis.call('ZRANK', schedule, kid) + 1
  end
  -- Gone or moved: find its place among the rows of that score by bisection on the kid.
  local lo = rank_of_score(score)
  local hi = lo + redis.call('ZCOUNT', schedule, score, score)
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    local member = redis.call('ZRANGE', schedule, mid, mid)[1]
    if before(kid, member) then hi = mid else lo = mid + 1 end
  end
  return lo
end

local scheduled = redis.call('ZCOUNT', schedule, from, to)
local total = scheduled + (to == '+inf' and redis.call('ZCARD', paused) or 0)
local start = rank_of_score(from)
local position = offset
if after_score == 'inf' then
  -- Paused rows share one score: ordered by kid, so the cursor's place is a count by kid.
  position = scheduled + redis.call('ZLEXCOUNT', paused, '-', '[' .. after_kid)
elseif after_score ~= '' then
  position = math.max(start, rank_after(after_score, after_kid)) - start
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
if position < scheduled then
  local first = start + position
  local last_rank = math.min(first + count, start + scheduled) - 1
  local rows = redis.call('ZRANGE', schedule, first, last_rank, 'WITHSCORES')
  for i = 1, #rows, 2 do add(rows[i], rows[i + 1]) end
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
