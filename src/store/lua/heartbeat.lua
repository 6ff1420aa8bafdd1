-- heartbeat: a daemon says it is alive, and what it is (name, host, pid, labels, version, when it
-- started, its last claim, its running runs, digests of its settings: `ktimer daemons`). A daemon
-- not heard of for a while is forgotten on the way: it stopped without leaving, or died.
-- KEYS[1] daemons hash (owner id -> the daemon, JSON)
-- KEYS[2] daemonsSeen sorted set (owner id -> when it last said so, unix ms)
-- ARGV owner          the daemon's owner id (name:pid:tag)
-- ARGV daemon_json    what it is, now
-- ARGV now_ms         now, unix ms (its Redis clock)
-- ARGV forget_before  daemons last heard of before this (unix ms) are forgotten
-- Returns how many daemons were forgotten.
--#include include/generated.lua

local a = ARGS.heartbeat()
redis.call('HSET', KEYS[1], a.owner, a.daemon_json)
redis.call('ZADD', KEYS[2], a.now_ms, a.owner)
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. a.forget_before)
for _, owner in ipairs(gone) do
  redis.call('HDEL', KEYS[1], owner)
  redis.call('ZREM', KEYS[2], owner)
end
return #gone
