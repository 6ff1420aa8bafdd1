-- claim-due (included by claim.lua): the claim's third phase, due tasks in order of due time. A
-- task whose kind has no room stays scheduled; up to max_skip of them are passed over to reach
-- tasks of the other kind. The range is read a page at a time, no more than the claim can use
-- (scores cost Redis more to send than the members): the tasks handled leave it (removed, or
-- rescheduled after now), so the next page starts after the ones passed over; a task rescheduled
-- still due now (a catch-up) is met again further on. In a burst most claims have room for a few
-- and pass over many, so passing over is kept cheap: no decoding. Each function takes the
-- claim's state c.

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

-- One due task: claimed, removed (gone, corrupt, an expired timer), or passed over (false).
local function claim_or_pass(c, kid, score)
  local raw = redis.call('HGET', c.keys.pool, kid)
  if not raw then
    redis.call('ZREM', c.keys.schedule, kid)
    return true
  end
  local overdue = c.expire_limit_sec > 0 and c.now - score > c.expire_limit_sec
  local kind = raw_kind(raw)
  if kind and c.room[kind] <= 0 and not overdue then return false end
  local ok, task = pcall(cjson.decode, raw)
  if not ok or not valid(task) then
    redis.call('ZREM', c.keys.schedule, kid)
    redis.call('HDEL', c.keys.pool, kid)
    c.out[#c.out + 1] = { 'corrupt', kid, raw }
  elseif task.type == 'timer' and overdue then
    remove_task(c, kid, task)
    c.out[#c.out + 1] = { 'expired', kid, raw }
  elseif c.room[kind_of(task.command)] > 0 then
    claim_task(c, kid, score, task, raw)
  else
    return false
  end
  return true
end

-- Claims what is due, as room allows. Returns how many due tasks it passed over.
local function claim_due(c)
  local skipped = 0
  -- Tasks looked at, at most: what there is room for, what may be passed over, and some slack for
  -- removing corrupt and expired ones and parking cron tasks (the rest go in the next claims).
  local budget = c.room.shell + c.room.url + c.max_skip + 100
  -- Pages grow from a few: room for 1,000 URL calls does not mean that any is due.
  local page_size = 32
  local function going_on()
    return budget > 0 and c.room.shell + c.room.url > 0 and skipped <= c.max_skip
  end
  while going_on() do
    local page = math.min(budget, c.room.shell + c.room.url + c.max_skip - skipped + 1, page_size)
    page_size = math.min(page_size * 2, 512)
    local due = redis.call('ZRANGEBYSCORE', c.keys.schedule, '-inf', c.now, 'WITHSCORES', 'LIMIT', skipped, page)
    for i = 1, #due, 2 do
      if not going_on() then break end
      budget = budget - 1
      if not claim_or_pass(c, due[i], tonumber(due[i + 1])) then skipped = skipped + 1 end
    end
    if #due < page * 2 and not c.catching_up then break end
    c.catching_up = false
  end
  return skipped
end
