-- clear: remove every task (hash, schedule and paused set together), every task's last run and
-- every name. The history stays until it ages out (history_max_age).
-- KEYS[1] pool hash, KEYS[2] schedule sorted set, KEYS[3] last-run hash, KEYS[4] paused sorted set
-- KEYS[5] names hash (task name -> kid)
-- Returns how many tasks were removed.
local n = redis.call('HLEN', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
return n
