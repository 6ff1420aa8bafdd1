-- run: fire a task once, now, by hand (`ktimer run`), leaving its schedule as it is (a paused
-- task too). The run takes the task's next run number and is handed out as a pending fire (no
-- owner) whose lease has run out, so the next claim of one daemon that may run it (holding its
-- labels: include/placement.lua) takes it: exactly once. Unless told to queue it anyway, a run
-- that no live daemon may take is refused, and nothing is stored.
-- A run by hand counts as a run (docs/schedules.md "How many runs"): a timer's is its one run,
-- and a ticker's or cron task's that makes up its -limit is its last; the task is then done at
-- once, as after its last scheduled run (it leaves the hash, its schedule, the paused set, its
-- name), and runs no more.
-- A task with -overlap=skip whose run is under way is not run; with queue, the run waits for it
-- (include/overlap.lua).
-- KEYS[1] pool hash, KEYS[2] leases sorted set, KEYS[3] fires hash
-- KEYS[4] running hash, KEYS[5] queued hash
-- KEYS[6] schedule sorted set, KEYS[7] paused sorted set, KEYS[8] names hash: where a task that is
--         done leaves (include/ended-name.lua)
-- KEYS[9] placement sorted set (include/placement.lua)
-- KEYS[10] daemons hash (owner -> the daemon, with its labels)
-- KEYS[11] daemonsSeen sorted set (owner -> when it was last heard of, ms)
-- ARGV kid                the task
-- ARGV now_ms             now, unix ms (whole)
-- ARGV live_after         a daemon seen since this (unix ms) is live; '' = hand the run out whether
--                         or not one is (run --queue)
-- ARGV ended_name_prefix  a task done holding a name records it as this + name -> kid,
-- ARGV keep_ms            kept this long (history_max_age)
-- Returns 0 (no such task), or { how, fire id, done }: how is 'fire' (handed out), 'queued' (waits
-- for the run under way), 'busy' (overlap=skip: not run; the fire id is the run under way's),
-- 'corrupt' (the task's data is not a task; the fire id is ''), or 'no_daemon' (no live daemon
-- holds the task's labels, or none is live: nothing stored; in place of the fire id, the labels);
-- done is 1 when this run was the task's last (it is done, gone from the task list), else 0.
--#include include/generated.lua
--#include include/placement.lua
--#include include/overlap.lua
--#include include/fire-of.lua
--#include include/ended-name.lua

local a = ARGS.run()
local kid, now_ms = a.kid, a.now_ms
local p = placement_of(KEYS[9], KEYS[6], KEYS[2])
local overlap = { running_key = KEYS[4], queued_key = KEYS[5], fires_key = KEYS[3], placement = p, now_ms = now_ms }

-- Whether a daemon seen since live_after holds every label of `set` ('' : any live daemon).
local function live_daemon_for(set, live_after)
  for _, owner in ipairs(redis.call('ZRANGEBYSCORE', KEYS[11], live_after, '+inf')) do
    local ok, d = pcall(cjson.decode, redis.call('HGET', KEYS[10], owner) or '')
    if ok and type(d) == 'table' and type(d.labels) == 'table' then
      local held = {}
      for _, label in ipairs(d.labels) do held[label] = true end
      if holds_all(held, set) then return true end
    end
  end
  return false
end

local raw = redis.call('HGET', KEYS[1], kid)
if not raw then return 0 end
local ok, task = pcall(cjson.decode, raw)
if not ok or type(task) ~= 'table' or type(task.command) ~= 'string' then return { 'corrupt', '' } end
local set = label_set_of(task)
if a.live_after and not live_daemon_for(set, a.live_after) then return { 'no_daemon', set, 0 } end
-- busy() may hand out a queued run whose turn came: each reply from here on keeps the registry.
local function reply(how, id, done)
  placed_done(p)
  return { how, id, done and 1 or 0 }
end
if keeps_one(task) and busy(overlap, kid) then
  if task.overlap == 'skip' then return reply('busy', redis.call('HGET', KEYS[4], kid), false) end
  local queued = redis.call('HGET', KEYS[5], kid)
  if queued then return reply('queued', cjson.decode(queued).id, false) end
end
local run_num = (tonumber(task.run_num) or 0) + 1
local limit = tonumber(task.limit) or 0
local done = task.type == 'timer' or (limit > 0 and run_num >= limit)
task.run_num = run_num
if done then
  local ended = { prefix = a.ended_name_prefix, keep_ms = a.keep_ms }
  -- task_done forgets the schedule's entry; one with labels is in its label set's schedule.
  unschedule_from(p, set, kid)
  task_done(ended, { pool = KEYS[1], schedule = KEYS[6], paused = KEYS[7], names = KEYS[8] }, kid, task)
else
  -- cjson would write an empty list as {}: none is stored instead.
  if type(task.runs) == 'table' and #task.runs == 0 then task.runs = nil end
  redis.call('HSET', KEYS[1], kid, cjson.encode(task))
end
local fire = fire_of(kid, task, kind_of(task.command), now_ms, run_num, limit, now_ms)
fire.trigger = TRIGGER.manual
if keeps_one(task) and busy(overlap, kid) then
  fire.state = FIRE_STATE.queued
  redis.call('HSET', KEYS[5], kid, cjson.encode(fire))
  return reply('queued', fire.id, done)
end
fire.state = FIRE_STATE.pending
redis.call('HSET', KEYS[3], fire.id, cjson.encode(fire))
pend_in(p, set, now_ms, fire.id)
if keeps_one(task) then mark_running(overlap, kid, fire.id) end
return reply('fire', fire.id, done)
