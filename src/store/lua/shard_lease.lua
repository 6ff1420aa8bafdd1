-- shard_lease: a daemon takes, keeps or lets go of a schedule shard's lease (docs/shards.md). The
-- lease is a key in the shard's own slot: the holder's owner id, expiring unless renewed.
-- KEYS[1] shardLease string (the holder's owner id, with a time to live)
-- ARGV owner    the daemon's owner id (name:pid:tag)
-- ARGV lease_ms how long the lease lasts unless renewed
-- ARGV take     flag: take or keep it (set), else let it go (absent)
-- Returns 1 when the daemon holds the lease after the call, 0 when it does not.
--#include include/generated.lua

local a = ARGS.shard_lease()
local holder = redis.call('GET', KEYS[1])
if not a.take then
  if holder == a.owner then redis.call('DEL', KEYS[1]) end
  return 0
end
if holder and holder ~= a.owner then return 0 end
redis.call('SET', KEYS[1], a.owner, 'PX', a.lease_ms)
return 1
