-- claim-left (included by claim.lua, after claim-due.lua): the claim's last phase, what is left
-- and when to look again. It takes the claim's state c (claim.lua) and writes c.out.

-- The earliest time of the first label set in the registry this daemon may run, merged into the
-- reply (its schedule's score as stored, its pending runs' deadline in ms).
local function next_placed(c, out)
  for from = 0, math.huge, 64 do
    local page = redis.call('ZRANGE', c.place.registry, from, from + 63)
    if #page == 0 then return end
    for _, set in ipairs(page) do
      if holds_all(c.held, set) then
        local head = redis.call('ZRANGE', schedule_key(c.place, set), 0, 0, 'WITHSCORES')
        if head[2] and (not out[1] or tonumber(head[2]) < tonumber(out[1])) then out[1] = head[2] end
        local waiting = redis.call('ZRANGE', pending_key(c.place, set), 0, 0, 'WITHSCORES')
        if waiting[2] and (out[2] < 0 or tonumber(waiting[2]) < out[2]) then out[2] = tonumber(waiting[2]) end
        return
      end
    end
  end
end

-- The reply: the earliest schedule score (exact, as stored) and lease deadline. Due tasks beyond
-- those passed over (`skipped` by claim_due), with room and allowance left, mean the budget ran
-- out: go on at once. Anything else still due (passed over, or a lease that ran out) waits for
-- room.
local function what_is_left(c, sources, skipped)
  local out = c.out
  out[3] = due_left(c, sources, c.room.shell + c.room.url > 0 and skipped <= c.max_skip)
  -- '0' as a string: a Lua number is formatted (%.17g) at every call.
  local head = redis.call('ZRANGE', c.keys.schedule, '0', '0', 'WITHSCORES')
  if head[2] then out[1] = head[2] end
  local lease_head = redis.call('ZRANGE', c.keys.leases, '0', '0', 'WITHSCORES')
  if lease_head[2] then out[2] = tonumber(lease_head[2]) end
  next_placed(c, out)
  if out[2] >= 0 and out[2] <= c.now_int and out[3] == DUE_LEFT.none then out[3] = DUE_LEFT.room end
  return out
end

-- Who polls: the daemon that claims at each due time of its label set (poller_key), held for
-- poll_ms from its last claim; given up while what is due waits for room (claim.lua's top).
local function who_polls(c, out, poller_key, poll_ms)
  local poller = redis.call('GET', poller_key)
  if out[3] == DUE_LEFT.room then
    if poller == c.owner then redis.call('DEL', poller_key) end
  elseif not poller or poller == c.owner then
    redis.call('SET', poller_key, c.owner, 'PXAT', c.now_int + poll_ms)
    out[4] = 1
  end
end
