-- clear: remove every task (hash and schedule together).
-- KEYS[1] pool hash, KEYS[2] schedule sorted set
-- Returns how many tasks were removed.
local n = redis.call('HLEN', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2])
return n
