-- claim-due (included by claim.lua): the claim's third phase, due tasks in order of due time, from
-- the schedule and the schedules of the label sets this daemon may run (include/placement.lua),
-- merged. A task whose kind has no room stays scheduled; up to max_skip of them are passed over
-- to reach tasks of the other kind. Each range is read a page at a time, no more than the claim
-- can use (scores cost Redis more to send than the members): the tasks handled leave it
-- (removed, or rescheduled after now), so the next page starts after the ones passed over; a task
-- rescheduled still due now (a catch-up) is met again further on. In a burst most claims have
-- room for a few and pass over many, so passing over is kept cheap: no decoding. Each function
-- takes the claim's state c.

-- The kind of stored task JSON without decoding it (nil when it is not written the usual way):
-- kind_of on the start of the command, found by a plain search (a pattern search over the whole
-- value costs as much as decoding it); cjson writes the slashes of a URL escaped (\/).
local function raw_kind(raw)
  local at = string.find(raw, '"command":"', 1, true)
  if not at then return nil end
  return kind_of((string.gsub(string.sub(raw, at + 11, at + 22), '\\/', '/')))
end

local function valid(task)
  if type(task) ~= 'table' or type(task.command) ~= 'string' or type(task.time) ~= 'number' then
    return false
  end
  if task.misfire ~= nil and task.misfire ~= 'once' and task.misfire ~= 'skip' and task.misfire ~= 'all' then
    return false
  end
  if task.type == 'timer' then return true end
  if task.type == 'ticker' then return task.time > 0 end
  return task.type == 'cron' and type(task.cron) == 'string'
    and (task.runs == nil or type(task.runs) == 'table')
end

-- One due task of source s: claimed, removed (gone, corrupt, an expired timer), moved to its
-- own label set's schedule, or passed over (false).
local function claim_or_pass(c, s, kid, score)
  local raw = redis.call('HGET', c.keys.pool, kid)
  if not raw then
    unschedule_from(c.place, s.set, kid)
    return true
  end
  local overdue = c.expire_limit_sec > 0 and c.now - score > c.expire_limit_sec
  -- With room for both kinds (as at a steady rate) nothing is passed over: no look at the raw.
  local kind = (c.room.shell <= 0 or c.room.url <= 0) and raw_kind(raw)
  if kind and c.room[kind] <= 0 and not overdue then return false end
  local ok, task = pcall(cjson.decode, raw)
  if not ok or not valid(task) then
    unschedule_from(c.place, s.set, kid)
    redis.call('HDEL', c.keys.pool, kid)
    c.out[#c.out + 1] = { 'corrupt', kid, raw }
  elseif label_set_of(task) ~= s.set then
    -- Not where its labels put it (stored before placement): moved there, for a daemon that may
    -- run it.
    unschedule_from(c.place, s.set, kid)
    schedule_in(c.place, label_set_of(task), score, kid)
  elseif task.type == 'timer' and overdue then
    remove_task(c, kid, task)
    c.out[#c.out + 1] = { 'expired', kid, raw }
  else
    kind = kind_of(task.command)
    if c.room[kind] <= 0 then return false end
    claim_task(c, kid, score, task, raw, kind)
  end
  return true
end

-- A source of due tasks: the schedule, or the schedule of a label set this daemon may run
-- (include/placement.lua). Each is read a page at a time from past the tasks it passed over.
local function source_of(key, set)
  return { key = key, set = set, skipped = 0, buf = {}, i = 1, page_size = 32, read = false, done = false }
end

-- Whether source s has a next due task (s.buf[s.i], its score then in s.head_at), reading a page
-- when the last is used up. A page is at most this source's share of the `cap` tasks the
-- claim may still look at, with `live` sources left, so that many label sets do not each read a
-- page of scores (costly to send) that goes unused. A short page was the last, unless a task met
-- in it moved on to a time still due (a catch-up: met again further on).
local function head_of(c, s, cap, live)
  if s.i > #s.buf then
    if s.read and s.short and not s.catching_up then
      s.done = true
      return false
    end
    local page = math.min(cap, s.page_size, math.max(8, math.ceil(cap / live)))
    -- Pages grow from a few: room for 1,000 URL calls does not mean that any is due.
    s.page_size = math.min(s.page_size * 2, 512)
    s.buf = redis.call('ZRANGEBYSCORE', s.key, '-inf', c.due_by_sec, 'WITHSCORES', 'LIMIT', s.skipped, page)
    s.i, s.read, s.short, s.catching_up = 1, true, #s.buf < page * 2, false
    if #s.buf == 0 then
      s.done = true
      return false
    end
  end
  s.head_at = tonumber(s.buf[s.i + 1])
  return true
end

-- The sources with a head, as a heap by its due time (ties: in the sources' order), so that a
-- pick costs O(log sources) with many label sets, not a look at every source's head. A pick is
-- kept to few function calls (the comparisons are written out): each call costs Redis's Lua more
-- than a comparison does.
local function sift_down(heap, i)
  local n, s = #heap, heap[i]
  local at, order = s.head_at, s.n
  while 2 * i <= n do
    local m = 2 * i
    local child = heap[m]
    if m < n then
      local right = heap[m + 1]
      if right.head_at < child.head_at or (right.head_at == child.head_at and right.n < child.n) then
        m, child = m + 1, right
      end
    end
    if child.head_at > at or (child.head_at == at and child.n > order) then break end
    heap[i], i = child, m
  end
  heap[i] = s
end

local function heap_of(c, sources, cap)
  local heap = {}
  for n, s in ipairs(sources) do
    s.n = n
    if head_of(c, s, cap, #sources) then heap[#heap + 1] = s end
  end
  for i = math.floor(#heap / 2), 1, -1 do sift_down(heap, i) end
  return heap
end

-- The heap once its top source's head was used: that source with its next head, or without it.
local function requeue(c, heap, cap)
  local s = heap[1]
  if s.i <= #s.buf then
    s.head_at = tonumber(s.buf[s.i + 1])
  elseif not head_of(c, s, cap, #heap) then
    heap[1] = heap[#heap]
    heap[#heap] = nil
  end
  if heap[2] then sift_down(heap, 1) end
end

-- Claims what is due in the sources, as room allows, in order of due time across them (a merge
-- of their heads). Returns how many due tasks it passed over.
local function claim_due(c, sources)
  local skipped = 0
  -- Tasks looked at, at most: what there is room for, what may be passed over, and some slack for
  -- removing corrupt and expired ones and parking cron tasks (the rest go in the next claims).
  local budget = c.room.shell + c.room.url + c.max_skip + 100
  local heap
  while budget > 0 and c.room.shell + c.room.url > 0 and skipped <= c.max_skip do
    local cap = c.room.shell + c.room.url + c.max_skip - skipped + 1
    if cap > budget then cap = budget end
    if heap then requeue(c, heap, cap) else heap = heap_of(c, sources, cap) end
    local best = heap[1]
    if not best then break end
    local kid, score = best.buf[best.i], best.head_at
    best.i = best.i + 2
    budget = budget - 1
    if not claim_or_pass(c, best, kid, score) then
      best.skipped = best.skipped + 1
      skipped = skipped + 1
    end
    best.catching_up = best.catching_up or c.catching_up
    c.catching_up = false
  end
  return skipped
end

-- What is still due in the sources (DUE_LEFT): more when tasks beyond those passed over are (the
-- budget ran out with room left: claim again at once), room when only tasks waiting for room are,
-- else none. A source read to its end holds none but those it passed over.
local function due_left(c, sources, room_left)
  local left = DUE_LEFT.none
  for _, s in ipairs(sources) do
    if not s.done then
      if room_left and #redis.call('ZRANGEBYSCORE', s.key, '-inf', c.due_by_sec, 'LIMIT', s.skipped, '1') > 0 then
        return DUE_LEFT.more
      end
      if #redis.call('ZRANGEBYSCORE', s.key, '-inf', c.due_by_sec, 'LIMIT', '0', '1') > 0 then
        -- Nothing beyond what was passed over is looked for without room: room is the answer.
        if not room_left then return DUE_LEFT.room end
        left = DUE_LEFT.room
      end
    elseif s.skipped > 0 then
      if not room_left then return DUE_LEFT.room end
      left = DUE_LEFT.room
    end
  end
  return left
end
