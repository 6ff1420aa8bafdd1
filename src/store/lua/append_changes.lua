-- append_changes: who changed what (docs/logs-and-history.md "Who changed what"): entries added
-- to the changes stream, in order, in one call (an apply of 10,000 tasks makes 10,000; a MULTI
-- of that many XADDs cost the command more than its tasks' own writes), each trimming the
-- stream to history_max_runs entries as it goes, then the stream trimmed by age.
-- KEYS[1] changes stream
-- ARGV max_entries      entries kept at most (history_max_runs), trimmed approximately (~)
-- ARGV min_id           entries recorded before this, unix ms (history_max_age), are trimmed
-- ARGV each fields_json per entry: its fields as a JSON array, [name, value, name, value, ...]
-- Returns how many entries were added.
--#include include/generated.lua

local a = ARGS.append_changes()
local entries = a.each or {}
for _, e in ipairs(entries) do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', a.max_entries, '*', unpack(cjson.decode(e.fields_json)))
end
redis.call('XTRIM', KEYS[1], 'MINID', '~', a.min_id)
return #entries
