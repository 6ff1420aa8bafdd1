-- claim-lease (included by claim.lua): what the claim's phases share. Each function takes the
-- claim's state c (claim.lua builds it: keys, now, owner, room, history, ended, overlap, place,
-- held, out).

-- The fire leased to the claiming daemon and put in the reply. Each lease gets its own token: a
-- begin must show it, so a fire claimed again (after a lease ran out, or after a failover undid
-- the first claim) is begun only through its newest claim. With begin_keep_ms the claim begins it
-- too (as begin.lua would, the lease held that long), and notes it unread until the daemon says
-- it read this claim's reply (redeliver below).
local function lease(c, fire_id, fire)
  c.seq = c.seq + 1
  fire.owner = c.owner
  fire.token = c.owner .. '/' .. c.now_int .. '/' .. c.seq
  local deadline = c.now_int + c.lease_ms
  if c.begin_keep_ms > 0 then
    fire.state = FIRE_STATE.started
    fire.started = c.now_ms
    deadline = c.now_int + c.begin_keep_ms
    redis.call('HSET', c.keys.unread, fire_id, c.claim_seq)
    c.unread = true
  else
    fire.state = FIRE_STATE.leased
  end
  local json = cjson.encode(fire)
  redis.call('HSET', c.keys.fires, fire_id, json)
  redis.call('ZADD', c.keys.leases, deadline, fire_id)
  c.out[#c.out + 1] = { 'fire', json }
end

-- The fires an earlier claim of this daemon began whose reply it never read (the connection
-- dropped under it, or the claim was sent again): in this reply again, their lease held from now,
-- so a lost reply leaves no run begun that nobody runs. Those of claims it read are forgotten.
local function redeliver(c)
  if c.begin_keep_ms <= 0 then return end
  local unread = redis.call('HGETALL', c.keys.unread)
  if #unread == 0 then return end
  redis.call('DEL', c.keys.unread)
  for i = 1, #unread, 2 do
    local fire_id, seq = unread[i], tonumber(unread[i + 1])
    local ok, fire = pcall(cjson.decode, redis.call('HGET', c.keys.fires, fire_id) or '')
    if seq > c.acked_seq and ok and type(fire) == 'table' and fire.owner == c.owner
      and fire.state == FIRE_STATE.started and fire.kind and c.room[fire.kind] then
      c.room[fire.kind] = c.room[fire.kind] - 1
      fire.started = c.now_ms
      local json = cjson.encode(fire)
      redis.call('HSET', c.keys.fires, fire_id, json)
      redis.call('ZADD', c.keys.leases, c.now_int + c.begin_keep_ms, fire_id)
      redis.call('HSET', c.keys.unread, fire_id, c.claim_seq)
      c.unread = true
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

local function keep_unread(c)
  if c.unread then redis.call('PEXPIREAT', c.keys.unread, c.now_int + UNREAD_KEEP_MS) end
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
