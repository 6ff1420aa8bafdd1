-- claim-lease (included by claim.lua): what the claim's phases share. Each function takes the
-- claim's state c (claim.lua builds it: keys, now, owner, room, history, ended, overlap, out).

-- The fire leased to the claiming daemon and put in the reply. Each lease gets its own token: a
-- begin must show it, so a fire claimed again (after a lease ran out, or after a failover undid
-- the first claim) is begun only through its newest claim.
local function lease(c, fire_id, fire)
  c.seq = c.seq + 1
  fire.owner = c.owner
  fire.token = c.owner .. '/' .. c.now_int .. '/' .. c.seq
  fire.state = FIRE_STATE.leased
  local json = cjson.encode(fire)
  redis.call('HSET', c.keys.fires, fire_id, json)
  redis.call('ZADD', c.keys.leases, c.now_int + c.lease_ms, fire_id)
  c.out[#c.out + 1] = { 'fire', json }
end

-- A task that is done (fired its last run, expired) leaves the hash and the schedule, and frees
-- its name if the name is still its own; the name stays on record as its kid's for history and
-- output by name.
local function remove_task(c, kid, task)
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
