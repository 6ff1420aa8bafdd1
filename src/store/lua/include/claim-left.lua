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

-- The leases' earliest deadline now: the one read before anything lapsed (c.lease_head, take_lapsed)
-- or the earliest this claim gave, when no other write touched the leases; else read again.
local function lease_head_of(c)
  if c.lease_head and not c.place.pended then
    local given = c.leased_until
    if given and (c.lease_head < 0 or given < c.lease_head) then return given end
    return c.lease_head
  end
  local head = redis.call('ZRANGE', c.keys.leases, '0', '0', 'WITHSCORES')
  return head[2] and tonumber(head[2]) or -1
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
  out[2] = lease_head_of(c)
  -- No label set in the registry when the claim began, and none written since: none to look at.
  if not (c.no_sets and not c.place.placed) then next_placed(c, out) end
  if out[2] >= 0 and out[2] <= c.now_int and out[3] == DUE_LEFT.none then out[3] = DUE_LEFT.room end
  return out
end

-- Who polls: the daemon that claims at each due time of its label set (poller_key), held for
-- poll_ms from its last claim; given up while what is due waits for room (claim.lua's top). The
-- role's value is its holder's owner id and, after a space, when it ends (unix ms). The poller of
-- the caller's last claim (`polling`, as at every due time) keeps it in one SET ... GET, and puts
-- another daemon's back as it was (one that ktimer 4.2 wrote, its owner id alone, until poll_ms
-- from now, the most it has left); the others (a claim every 250 ms) look with a GET and write
-- only to take a role that is free: an idle fleet's non-pollers write nothing.
local function holder_of(role)
  local sp = role and string.find(role, ' ', 1, true)
  return sp and string.sub(role, 1, sp - 1) or role
end

local function who_polls(c, out, poller_key, poll_ms, polling)
  if out[3] == DUE_LEFT.room then
    if holder_of(redis.call('GET', poller_key)) == c.owner then redis.call('DEL', poller_key) end
    return
  end
  local until_text = string.format('%d', c.now_int + poll_ms)
  if not polling then
    local held = holder_of(redis.call('GET', poller_key))
    if held and held ~= c.owner then return end
    redis.call('SET', poller_key, c.owner .. ' ' .. until_text, 'PXAT', until_text)
    out[4] = 1
    return
  end
  local was = redis.call('SET', poller_key, c.owner .. ' ' .. until_text, 'PXAT', until_text, 'GET')
  local holder = holder_of(was)
  if not was or holder == c.owner then
    out[4] = 1
  else
    local was_until = holder ~= was and string.sub(was, #holder + 2) or until_text
    redis.call('SET', poller_key, was, 'PXAT', was_until)
  end
end
