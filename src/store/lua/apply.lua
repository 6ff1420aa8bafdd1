-- apply: one batch of `ktimer apply` (issue 25), written whole or not at all, and only by the
-- apply that holds its group's lock (another apply of the group under way cannot mix its tasks
-- with these). Tasks added take their names (which must be free) and join the group's set;
-- tasks changed are written only if they still hold what the apply read (compare-and-set: a
-- daemon firing one meanwhile is not overwritten; the apply reads it again); tasks removed go as
-- del removes them (include/delete-task.lua), and only while they are of the group. A task with
-- labels is scheduled in, moved to, or removed from its label set's schedule, as add, update and
-- del do (include/placement.lua).
-- KEYS[1] pool hash, KEYS[2] schedule sorted set, KEYS[3] last-run hash, KEYS[4] paused sorted set
--         (a paused task changed stays paused), KEYS[5] names hash (task name -> kid)
-- KEYS[6] queued hash, KEYS[7] retrying hash, KEYS[8] leases sorted set, KEYS[9] fires hash:
--         a removed task's runs that wait are dropped with it
-- KEYS[10] placement sorted set (label set -> its earliest time: include/placement.lua)
-- ARGV group              the group applied
-- ARGV token              the apply's token: the lock (lock_prefix + group) must hold it
-- ARGV lock_prefix        a group's lock is this + group,
-- ARGV lock_ms            kept this long again from now, ms, after the batch
-- ARGV release            the last batch: the lock is let go after it
-- ARGV max_tasks          task_max_num: the tasks added must fit
-- ARGV group_prefix       a group's set of kids is this + group
-- ARGV ended_name_prefix  a removed task's name's record is this + name (include/ended-name.lua),
-- ARGV keep_ms            kept this long, ms (history_max_age), as is
-- ARGV no_retry_prefix    its no-retry mark, this + kid
-- ARGV each op            per task: add, change, remove, or forget (a kid in the group's set
--                         whose task is gone or of another group: it leaves the set),
-- ARGV each kid           its kid,
-- ARGV each task_json     add, change: its JSON,
-- ARGV each next_run_sec  add, change: its run_nexttime, unix seconds (its score),
-- ARGV each name          add: its name,
-- ARGV each expected_json change: its JSON as the apply read it
-- Returns -5 when the lock is not this apply's (it ran out: nothing written), -2 when a kid
-- added exists, -1 when the tasks added would pass task_max_num, { i, kid, ... } for the tasks
-- added (i from 1) whose names those kids hold (nothing written in these cases); else
-- { statuses, dropped, us }, one of each per task in order: status 1 written, 0 its task is gone
-- (change, remove), -3 it changed since it was read (change) or left the group (remove), and how
-- many waiting runs a removal dropped; then how long the batch held Redis, microseconds (the
-- apply sizes its next batches by it: service/batch-pacer.ts).
--#include include/generated.lua
--#include include/placement.lua
--#include include/name-holder.lua
--#include include/cancel-waiting.lua
--#include include/ended-name.lua
--#include include/delete-task.lua

local started = redis.call('TIME')
local a = ARGS.apply()
local lock = a.lock_prefix .. a.group
if redis.call('GET', lock) ~= a.token then
  return -5
end
local rows = a.each or {}
local group_key = a.group_prefix .. a.group

-- Nothing is written unless every task added can be.
local adds = 0
for _, r in ipairs(rows) do
  if r.op == 'add' then
    adds = adds + 1
    if redis.call('HEXISTS', KEYS[1], r.kid) == 1 then
      return -2
    end
  end
end
local taken = names_taken(KEYS[1], KEYS[5], rows, function(r) return r.op == 'add' and r.name or nil end)
if #taken > 0 then
  return taken
end
if adds > 0 and redis.call('HLEN', KEYS[1]) + adds > a.max_tasks then
  return -1
end

local d = deletion_of(KEYS, a)
local p = d.placement

local function add(r)
  redis.call('HSET', KEYS[1], r.kid, r.task_json)
  schedule_in(p, label_set_of_raw(r.task_json), r.next_run_sec, r.kid)
  redis.call('HSET', KEYS[5], r.name, r.kid)
  redis.call('SADD', group_key, r.kid)
  return 1, 0
end

local function change(r)
  local current = redis.call('HGET', KEYS[1], r.kid)
  if not current then return 0, 0 end
  if current ~= r.expected_json then return -3, 0 end
  redis.call('HSET', KEYS[1], r.kid, r.task_json)
  reschedule(p, KEYS[4], r.kid, current, r.task_json, r.next_run_sec)
  return 1, 0
end

local function remove(r)
  local raw = redis.call('HGET', KEYS[1], r.kid)
  if not raw then
    redis.call('SREM', group_key, r.kid)
    return 0, 0
  end
  local _, group = name_and_group(raw)
  if group ~= a.group then return -3, 0 end
  local _, dropped = delete_task(d, r.kid, raw)
  return 1, dropped
end

local function forget(r)
  local raw = redis.call('HGET', KEYS[1], r.kid)
  local _, group = name_and_group(raw or '')
  if group ~= a.group then redis.call('SREM', group_key, r.kid) end
  return 1, 0
end

local ops = { add = add, change = change, remove = remove, forget = forget }
local statuses, dropped = {}, {}
for i, r in ipairs(rows) do
  statuses[i], dropped[i] = ops[r.op](r)
end
placed_done(p)
if a.release then
  redis.call('DEL', lock)
else
  redis.call('PEXPIRE', lock, a.lock_ms)
end
local ended = redis.call('TIME')
-- (never below 0: the server's clock may be stepped back meanwhile)
return { statuses, dropped, math.max(0, (ended[1] - started[1]) * 1000000 + (ended[2] - started[2])) }
