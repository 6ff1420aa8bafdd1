-- claim-lease (included by claim.lua): what the claim's phases share. Each function takes the
-- claim's state c (claim.lua builds it: keys, now, owner, room, history, ended, overlap, place,
-- held, out).

-- The fire leased to the claiming daemon and put in the reply. Each lease gets its own token: a
-- begin must show it, so a fire claimed again (after a lease ran out, or after a failover undid
-- the first claim) is begun only through its newest claim. With begin_keep_ms the claim begins it
-- too (as begin.lua would, the lease held that long), and notes it unread until the daemon says
-- it read this claim's reply (redeliver below). The earliest deadline given is kept (what_is_left).
local function lease(c, fire_id, fire)
  c.seq = c.seq + 1
  fire.owner = c.owner
  fire.token = c.owner .. '/' .. c.now_text .. '/' .. c.seq
  local deadline = c.now_int + c.lease_ms
  if c.begin_keep_ms > 0 then
    fire.state = FIRE_STATE.started
    fire.started = c.now_ms
    deadline = c.now_int + c.begin_keep_ms
    c.unread[#c.unread + 1] = fire_id
  else
    fire.state = FIRE_STATE.leased
  end
  if not c.leased_until or deadline < c.leased_until then c.leased_until = deadline end
  local json = cjson.encode(fire)
  redis.call('HSET', c.keys.fires, fire_id, json)
  redis.call('ZADD', c.keys.leases, string.format('%d', deadline), fire_id)
  c.out[#c.out + 1] = { 'fire', json }
end

-- The fire ids of this daemon's unread note (key) that a claim after acked_seq began: the note is
-- one string, that claim's number then its fire ids, separated by spaces. A note written as a hash
-- (ktimer 4.2: fire id -> claim number) is read too, and dropped.
local function unread_ids(key, acked_seq)
  local note = redis.pcall('GET', key)
  if type(note) == 'string' then
    local sp = string.find(note, ' ', 1, true)
    if not sp or (tonumber(string.sub(note, 1, sp - 1)) or 0) <= acked_seq then return {} end
    local ids = {}
    for id in string.gmatch(string.sub(note, sp + 1), '[^ ]+') do ids[#ids + 1] = id end
    return ids
  end
  if type(note) ~= 'table' then return {} end
  local ids, old = {}, redis.call('HGETALL', key)
  redis.call('DEL', key)
  for i = 1, #old, 2 do
    if (tonumber(old[i + 1]) or 0) > acked_seq then ids[#ids + 1] = old[i] end
  end
  return ids
end

-- The fires an earlier claim of this daemon began whose reply it never read (the connection
-- dropped under it, or the claim was sent again): in this reply again, their lease held from now,
-- so a lost reply leaves no run begun that nobody runs. Those of claims it read are forgotten.
local function redeliver(c)
  if c.begin_keep_ms <= 0 then return end
  c.unread = {}
  for _, fire_id in ipairs(unread_ids(c.keys.unread, c.acked_seq)) do
    local ok, fire = pcall(cjson.decode, redis.call('HGET', c.keys.fires, fire_id) or '')
    if ok and type(fire) == 'table' and fire.owner == c.owner
      and fire.state == FIRE_STATE.started and fire.kind and c.room[fire.kind] then
      c.room[fire.kind] = c.room[fire.kind] - 1
      fire.started = c.now_ms
      local json = cjson.encode(fire)
      local deadline = c.now_int + c.begin_keep_ms
      if not c.leased_until or deadline < c.leased_until then c.leased_until = deadline end
      redis.call('HSET', c.keys.fires, fire_id, json)
      redis.call('ZADD', c.keys.leases, string.format('%d', deadline), fire_id)
      c.unread[#c.unread + 1] = fire_id
      c.out[#c.out + 1] = { 'fire', json }
    end
  end
end

-- How long a daemon's unread note outlives its last claim. Not the lease: a claim whose reply was
-- lost as Redis went down must come again when its daemon claims after the outage, however long
-- (a lease that ran out meanwhile is renewed by redeliver, which runs before lapsed leases are
-- taken). A daemon that never claims again leaves its note behind this long, and its fires go
-- lost on their own when their leases run out.
local UNREAD_KEEP_MS = 24 * 3600 * 1000

-- The note of this claim: written when it began fires (or handed some out again). Otherwise the
-- note left is of a claim the daemon read, or will say it did not read (acked_seq): no write.
local function keep_unread(c)
  if c.unread and #c.unread > 0 then
    redis.call('SET', c.keys.unread, c.claim_seq .. ' ' .. table.concat(c.unread, ' '),
      'PXAT', string.format('%d', c.now_int + UNREAD_KEEP_MS))
  end
end

-- A task that is done (fired its last run, expired) leaves the hash and the schedule, and frees
-- its name if the name is still its own; the name stays on record as its kid's for history and
-- output by name.
local function remove_task(c, kid, task)
  -- task_done forgets the schedule's entry; one with labels is in its label set's schedule.
  local set = label_set_of(task)
  if set ~= '' then unschedule_from(c.place, set, kid) end
  task_done(c.ended, c.keys, kid, task)
end

-- A run the claim puts on record itself (lost, skipped): its record (include/run-record.lua), and
-- its name's record kept as long. Returns the record and the task's failures in a row.
local function put_on_record(c, fire, ending)
  local rec = run_record(fire, ending)
  local streak, id = record_run(c.history, rec)
  c.last_id = id or c.last_id
  keep_ended_name(c.ended, fire.name, fire.kid)
  return rec, streak
end
