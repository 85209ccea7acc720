-- The live rates: counters of the last complete second by Redis's own clock (the one gcra.lua
-- writes them by). ARGV[1]: hash prefix; ARGV[2..]: field names. Returns their values.
local t = redis.call('TIME')
local hash = ARGV[1] .. tostring(tonumber(t[1]) - 1)
if #ARGV < 2 then return {} end
return redis.call('HMGET', hash, unpack(ARGV, 2))
