-- claim: take the fires that are due, atomically, so that each fire goes to exactly one daemon
-- even when many share this Redis. A claimed fire is leased to its daemon until it is begun
-- (begin.lua); a lease that runs out (the daemon died, or its reply was lost) is taken over.
-- KEYS[1] pool hash (kid -> task JSON)
-- KEYS[2] schedule sorted set (kid -> run_nexttime, unix seconds)
-- KEYS[3] leases sorted set (fire id -> deadline, unix ms)
-- KEYS[4] fires hash (fire id -> fire JSON)
-- ARGV[1] now, unix ms (from the daemon's Redis-synchronised clock)
-- ARGV[2] owner: the claiming daemon's id
-- ARGV[3] lease, ms
-- ARGV[4] max shell fires to claim, ARGV[5] max URL fires to claim
-- ARGV[6] task_expire_limit, seconds (0 = never drop)
-- ARGV[7] max skip: how many due tasks whose kind has no room may be passed over to reach
--         tasks of the other kind behind them
-- ARGV[8..] fire ids this owner has started since its last claim: their records are removed
-- Returns { next_due_ms, entry, entry, ... } where next_due_ms is the earliest schedule score or
-- lease deadline left (ms, -1 when none) and each entry is a flat array:
--   { 'fire', fire_json }           claimed: run it after begin.lua; its kind (shell or url)
--                                   is decided here, once
--   { 'expired', kid, task_json }   a timer overdue beyond the expire limit: removed, not run
--   { 'corrupt', kid, raw }         task data that is not a valid task: removed
--   { 'abandoned', fire_json }      begun by a daemon that vanished before finishing: not re-run
local now_ms = tonumber(ARGV[1])
local now = now_ms / 1000
local owner = ARGV[2]
local lease_ms = tonumber(ARGV[3])
local room = { shell = tonumber(ARGV[4]), url = tonumber(ARGV[5]) }
local expire_limit = tonumber(ARGV[6])
local max_skip = tonumber(ARGV[7])
local out = { -1 }

for i = 8, #ARGV do
  redis.call('HDEL', KEYS[4], ARGV[i])
  redis.call('ZREM', KEYS[3], ARGV[i])
end

local function kind_of(command)
  if string.find(command, '^[Hh][Tt][Tt][Pp][Ss]?://') then return 'url' end
  return 'shell'
end

-- Each lease gets its own token: a begin must show it, so a fire claimed again (after a lease
-- ran out, or after a failover undid the first claim) is begun only through its newest claim.
local seq = 0
local function lease(fire_id, fire)
  seq = seq + 1
  fire.owner = owner
  fire.token = owner .. '/' .. now_ms .. '/' .. seq
  fire.state = 'leased'
  local json = cjson.encode(fire)
  redis.call('HSET', KEYS[4], fire_id, json)
  redis.call('ZADD', KEYS[3], now_ms + lease_ms, fire_id)
  out[#out + 1] = { 'fire', json }
end

-- 1. Leases that ran out: take the leased ones over, drop the begun ones.
local overdue = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now_ms, 'LIMIT', 0, room.shell + room.url + 100)
for _, fire_id in ipairs(overdue) do
  local raw = redis.call('HGET', KEYS[4], fire_id)
  local ok, fire = pcall(cjson.decode, raw or '')
  if not ok or type(fire) ~= 'table' or type(fire.kid) ~= 'string' or type(fire.command) ~= 'string'
      or type(fire.due) ~= 'number' or type(fire.run_num) ~= 'number' then
    -- Not a record this script wrote: nothing can be run from it.
    redis.call('ZREM', KEYS[3], fire_id)
    redis.call('HDEL', KEYS[4], fire_id)
  elseif fire.state == 'started' then
    redis.call('ZREM', KEYS[3], fire_id)
    redis.call('HDEL', KEYS[4], fire_id)
    out[#out + 1] = { 'abandoned', raw }
  else
    local kind = (fire.kind == 'url' or fire.kind == 'shell') and fire.kind or kind_of(tostring(fire.command))
    if room[kind] > 0 then
      room[kind] = room[kind] - 1
      fire.kind = kind
      fire.retaken_from = fire.owner
      lease(fire_id, fire)
    end
  end
end

-- 2. Due tasks, in order of due time. A task whose kind has no room stays scheduled; up to
-- max_skip of them are passed over to reach tasks of the other kind. The range is read a page
-- at a time, no more than the claim can use (scores cost Redis more to send than the members):
-- the tasks handled leave it (removed, or rescheduled after now), so the next page starts after
-- the ones passed over. In a burst most
-- claims have room for a few and pass over many, so passing over is kept cheap: no decoding.
local function claim_task(kid, score, task)
  local kind = kind_of(task.command)
  room[kind] = room[kind] - 1
  local run_num = (tonumber(task.run_num) or 0) + 1
  local limit = tonumber(task.limit) or 0
  task.run_num = run_num
  task.run_lasttime = now
  if task.type == 'timer' or (limit > 0 and run_num >= limit) then
    redis.call('ZREM', KEYS[2], kid)
    redis.call('HDEL', KEYS[1], kid)
  else
    task.run_nexttime = now + task.time
    redis.call('HSET', KEYS[1], kid, cjson.encode(task))
    redis.call('ZADD', KEYS[2], task.run_nexttime, kid)
  end
  lease(kid .. ':' .. run_num, {
    id = kid .. ':' .. run_num, kid = kid, type = task.type, kind = kind, command = task.command,
    due = score, run_num = run_num, limit = limit, claimed = now_ms,
  })
end

-- The kind of stored task JSON without decoding it (nil when it is not written the usual way):
-- kind_of on the start of the command, found by a plain search (a pattern search over the whole
-- value costs as much as decoding it); cjson writes the slashes of a URL escaped (\/).
local function raw_kind(raw)
  local at = string.find(raw, '"command":"', 1, true)
  if not at then return nil end
  return kind_of((string.gsub(string.sub(raw, at + 11, at + 22), '\\/', '/')))
end

local skipped = 0
-- Tasks looked at, at most: what there is room for, what may be passed over, and some slack for
-- removing corrupt and expired ones (the rest of those go in the next claims).
local budget = room.shell + room.url + max_skip + 100
-- Pages grow from a few: room for 1,000 URL calls does not mean that any is due.
local page_size = 32
local function going_on()
  return budget > 0 and room.shell + room.url > 0 and skipped <= max_skip
end
while going_on() do
  local page = math.min(budget, room.shell + room.url + max_skip - skipped + 1, page_size)
  page_size = math.min(page_size * 2, 512)
  local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'WITHSCORES', 'LIMIT', skipped, page)
  for i = 1, #due, 2 do
    if not going_on() then break end
    budget = budget - 1
    local kid = due[i]
    local score = tonumber(due[i + 1])
    local raw = redis.call('HGET', KEYS[1], kid)
    local overdue = expire_limit > 0 and now - score > expire_limit
    local kind = raw and raw_kind(raw)
    if not raw then
      redis.call('ZREM', KEYS[2], kid)
    elseif kind and room[kind] <= 0 and not overdue then
      skipped = skipped + 1
    else
      local ok, task = pcall(cjson.decode, raw)
      if not ok or type(task) ~= 'table' or type(task.command) ~= 'string'
          or (task.type ~= 'timer' and task.type ~= 'ticker') or type(task.time) ~= 'number'
          or (task.type == 'ticker' and task.time <= 0) then
        redis.call('ZREM', KEYS[2], kid)
        redis.call('HDEL', KEYS[1], kid)
        out[#out + 1] = { 'corrupt', kid, raw }
      elseif task.type == 'timer' and overdue then
        redis.call('ZREM', KEYS[2], kid)
        redis.call('HDEL', KEYS[1], kid)
        out[#out + 1] = { 'expired', kid, raw }
      elseif room[kind_of(task.command)] > 0 then
        claim_task(kid, score, task)
      else
        skipped = skipped + 1
      end
    end
  end
  if #due < page * 2 then break end
end

-- 3. When to look again: the earliest schedule score or lease deadline.
local head = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if head[2] then out[1] = math.floor(tonumber(head[2]) * 1000 + 0.5) end
local lease_head = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
if lease_head[2] and (out[1] < 0 or tonumber(lease_head[2]) < out[1]) then out[1] = tonumber(lease_head[2]) end
return out
